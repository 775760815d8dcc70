"""The Table-8 aligners: which terms, their values, where gradients go, and
how the cross-domain aligners get the source pass."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

from dfa_lab.models.losses import (gaussian_latent_kl, gaussian_prior_kl,
                                   softmax_prior_kl)
from dfa_lab.registry import MODELS


def build(aligner):
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    return encoder, MODELS.build(aligner, default_args=dict(backbone=encoder))


def terms(out):
    """An aligner's output without the latent-scale diagnostics every
    aligner logs."""
    return {k: v for k, v in out.items() if not k.startswith('align/')}


def images(batch=4):
    return torch.randn(batch, 1, 28, 28, requires_grad=True)


def conv_grads(encoder):
    return [stage.conv.weight.grad for stage in encoder.stages]


def assert_reaches_encoder(encoder, *inputs):
    assert all(g is not None and g.abs().sum() > 0
               for g in conv_grads(encoder))
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in inputs)


def test_kld_alone_has_no_target_term():
    encoder, aligner = build(dict(type='PriorKLAligner', alpha=0.5))
    assert not list(aligner.parameters())  # no decoder
    encoded = encoder(images())
    torch.manual_seed(1)
    source = aligner(encoded, 'source')
    torch.manual_seed(1)
    prior = torch.randn_like(encoded.latent)
    assert set(terms(source)) == {'loss_kld'}
    assert torch.allclose(source['loss_kld'],
                          0.5 * softmax_prior_kl(encoded.latent, prior))
    assert terms(aligner(encoder(images()), 'target')) == {}


def test_target_kl_pulls_target_to_prior():
    encoder, aligner = build(
        dict(type='PriorKLAligner', alpha=0.5, beta=3.0, kl_mode='gaussian'))
    x_s, x_t = images(), images()
    source = aligner(encoder(x_s), 'source')
    target_pass = encoder(x_t)
    target = aligner(target_pass, 'target')
    assert set(terms(source)) == {'loss_kld'}
    assert set(terms(target)) == {'loss_kld_target'}
    assert torch.allclose(target['loss_kld_target'],
                          3.0 * gaussian_prior_kl(target_pass.latent))
    target['loss_kld_target'].backward()
    assert_reaches_encoder(encoder, x_t)
    assert x_s.grad is None


def test_daldir_decodes_each_domain_with_its_own_indices():
    encoder, aligner = build(dict(type='DALDir', beta=2.0))
    # The decoder's own parameters are BatchNorms only: it is tied.
    assert all(
        n.startswith('decoder.bns.') for n, _ in aligner.named_parameters())
    x_s, x_t = images(), images()
    source, target = encoder(x_s), encoder(x_t)
    assert terms(aligner(source, 'source')) == {}
    losses = aligner(target, 'target', source=source)
    assert set(terms(losses)) == {'loss_daldir'}
    decoder = aligner.decoder
    expected = 2.0 * (decoder(target.latent, target) -
                      decoder(source.latent, source)).abs().mean()
    assert torch.allclose(losses['loss_daldir'], expected)
    # The indices matter: decoding the source with the target's indices
    # gives another value.
    swapped = 2.0 * (decoder(target.latent, target) -
                     decoder(source.latent, target)).abs().mean()
    assert not torch.allclose(losses['loss_daldir'], swapped)
    losses['loss_daldir'].backward()
    assert_reaches_encoder(encoder, x_s, x_t)
    assert all(p.grad is not None for p in decoder.bns.parameters())


def test_daldir_rejects_unequal_batches():
    encoder, aligner = build(dict(type='DALDir'))
    with pytest.raises(ValueError, match='equally sized'):
        aligner(encoder(images(2)), 'target', source=encoder(images(4)))


@pytest.mark.parametrize('aligner', [dict(type='DALDir'), dict(type='KLLDir')])
def test_cross_domain_aligners_need_the_source_pass_of_the_update(aligner):
    encoder, aligner = build(aligner)
    assert aligner.needs_source_pass
    with pytest.raises(RuntimeError, match='source pass of the same'):
        aligner(encoder(images()), 'target')
    # A source pass without a graph cannot serve a target pass with one.
    with torch.no_grad():
        source = encoder(images())
    with pytest.raises(RuntimeError, match='without an autograd graph'):
        aligner(encoder(images()), 'target', source=source)
    # The aligner keeps nothing between calls.
    assert not any(
        isinstance(value, tuple) and hasattr(value, 'latent')
        for value in vars(aligner).values())


def test_mcd_encodes_the_source_for_a_cross_domain_aligner_only():
    # MCD's step 3 has no source pass of its own: it makes one for an
    # aligner that declares needs_source_pass, and none otherwise.
    x_s, x_t = torch.randn(4, 1, 28, 28), torch.randn(4, 1, 28, 28)
    for aligner, encoded, term in [(dict(type='KLLDir',
                                         beta=3.0), [x_t, x_s], 'loss_klldir'),
                                   (dict(type='DFA'), [x_t], 'loss_dal')]:
        torch.manual_seed(0)
        model = MODELS.build(
            dict(
                type='MCD',
                backbone=dict(type='DigitCNN'),
                num_k=2,
                classifier=dict(
                    type='MLPHead', hidden_channels=(8, ), num_classes=3),
                aligner=aligner))
        seen = []
        model.backbone.register_forward_hook(
            lambda module, args, out: seen.append(args[0]))
        losses = model.step3_losses(x_s, torch.tensor([0, 1, 2, 0]), x_t)
        assert len(seen) == len(encoded)
        assert all(a is b for a, b in zip(seen, encoded))
        assert term in losses


def test_ent_hands_the_source_pass_to_a_cross_domain_aligner():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ENT',
            backbone=dict(type='DigitCNN'),
            classifier=dict(
                type='MLPHead', hidden_channels=(8, ), num_classes=3),
            aligner=dict(type='KLLDir', beta=3.0)))
    wrapper = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.0)))
    x_s, x_t = torch.randn(4, 1, 28, 28), torch.randn(4, 1, 28, 28)
    batch = dict(
        source=dict(img=x_s, label=torch.tensor([0, 1, 2, 0])),
        target=dict(img=x_t))
    model.train()
    log = model.train_step(batch, wrapper)
    # lr 0 and no dropout in the backbone: the passes can be recomputed.
    expected = 3.0 * gaussian_latent_kl(
        model.backbone(x_t).latent,
        model.backbone(x_s).latent)
    assert torch.allclose(log['loss_klldir'], expected, rtol=1e-4)


def test_klldir_aligns_target_with_source_statistics():
    encoder, aligner = build(dict(type='KLLDir', beta=3.0))
    assert not list(aligner.parameters())  # no decoder without L_recon
    x_s, x_t = images(), images()
    source, target = encoder(x_s), encoder(x_t)
    assert terms(aligner(source, 'source')) == {}
    losses = aligner(target, 'target', source=source)
    assert set(terms(losses)) == {'loss_klldir'}
    assert torch.allclose(
        losses['loss_klldir'],
        3.0 * gaussian_latent_kl(target.latent, source.latent))
    losses['loss_klldir'].backward()
    assert_reaches_encoder(encoder, x_s, x_t)


def test_klldir_with_reconstruction_of_both_domains():
    encoder, aligner = build(dict(type='KLLDir', beta=3.0, recon_weight=2.0))
    assert aligner.decoder.tied
    x_s, x_t = images(), images()
    source = encoder(x_s)
    source_losses = aligner(source, 'source')
    assert set(terms(source_losses)) == {'loss_recon_source'}
    expected = 2.0 * (aligner.decoder(source.latent, source) -
                      x_s).abs().mean()
    assert torch.allclose(source_losses['loss_recon_source'], expected)
    target = encoder(x_t)
    target_losses = aligner(target, 'target', source=source)
    assert set(terms(target_losses)) == {'loss_klldir', 'loss_recon_target'}
    expected = 2.0 * (aligner.decoder(target.latent, target) -
                      x_t).abs().mean()
    assert torch.allclose(target_losses['loss_recon_target'], expected)
    # Each reconstruction trains the encoder on its own domain.
    source_losses['loss_recon_source'].backward()
    assert_reaches_encoder(encoder, x_s)
    assert x_t.grad is None


def test_reconstruction_compares_each_pass_with_its_own_input():
    encoder, aligner = build(dict(type='KLLDir', recon_weight=2.0))
    earlier = encoder(images())
    encoder(images())
    decoded = aligner.decoder(earlier.latent, earlier)
    expected = 2.0 * (decoded - earlier.inputs).abs().mean()
    losses = aligner(earlier, 'source')
    assert torch.allclose(losses['loss_recon_source'], expected)
    with pytest.raises(ValueError, match='EncoderOutput.inputs'):
        aligner(earlier._replace(inputs=None), 'source')


@pytest.mark.parametrize('aligner, weight', [
    (dict(type='DFA', alpha=-1.0), 'alpha'),
    (dict(type='DFA', beta=-0.5), 'beta'),
    (dict(type='PriorKLAligner', alpha=-1), 'alpha'),
    (dict(type='PriorKLAligner', beta=-1), 'beta'),
    (dict(type='DALDir', beta=-10), 'beta'),
    (dict(type='KLLDir', beta=-1), 'beta'),
    (dict(type='KLLDir', recon_weight=-1), 'recon_weight'),
    (dict(type='LatentDivergenceAligner', beta=-1), 'beta'),
    (dict(type='ClassConditionalAligner', num_classes=3, alpha=-1), 'alpha'),
    (dict(type='ClassConditionalAligner', num_classes=3, beta=-1), 'beta'),
])
def test_a_negative_loss_weight_is_refused_with_its_option(aligner, weight):
    """A negative weight flips its term's sign: training would maximise the
    term it is meant to minimise."""
    with pytest.raises(
            ValueError,
            match=rf'{aligner["type"]} {weight} \(model\.aligner\.{weight}\) '
            'must be a non-negative weight'):
        build(aligner)
    build(dict(aligner, **{weight: 0}))
