"""The Table-8 aligners: which terms, their values, where gradients go, and
the source cache of the cross-domain aligners."""
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


def images(batch=4):
    return torch.randn(batch, 1, 28, 28, requires_grad=True)


def conv_grads(encoder):
    return [stage.conv.weight.grad for stage in encoder.stages]


def assert_reaches_encoder(encoder, *inputs):
    assert all(g is not None and g.abs().sum() > 0
               for g in conv_grads(encoder))
    assert all(x.grad is not None and x.grad.abs().sum() > 0
               for x in inputs)


def test_kld_alone_has_no_target_term():
    encoder, aligner = build(dict(type='PriorKLAligner', alpha=0.5))
    assert not list(aligner.parameters())  # no decoder
    encoded = encoder(images())
    torch.manual_seed(1)
    source = aligner(encoded, 'source')
    torch.manual_seed(1)
    prior = torch.randn_like(encoded.latent)
    assert set(source) == {'loss_kld'}
    assert torch.allclose(source['loss_kld'],
                          0.5 * softmax_prior_kl(encoded.latent, prior))
    assert aligner(encoder(images()), 'target') == {}


def test_target_kl_pulls_target_to_prior():
    encoder, aligner = build(
        dict(type='PriorKLAligner', alpha=0.5, beta=3.0, kl_mode='gaussian'))
    x_s, x_t = images(), images()
    source = aligner(encoder(x_s), 'source')
    target_pass = encoder(x_t)
    target = aligner(target_pass, 'target')
    assert set(source) == {'loss_kld'} and set(target) == {'loss_kld_target'}
    assert torch.allclose(target['loss_kld_target'],
                          3.0 * gaussian_prior_kl(target_pass.latent))
    target['loss_kld_target'].backward()
    assert_reaches_encoder(encoder, x_t)
    assert x_s.grad is None


def test_daldir_decodes_each_domain_with_its_own_indices():
    encoder, aligner = build(dict(type='DALDir', beta=2.0))
    # The decoder's own parameters are BatchNorms only: it is tied.
    assert all(n.startswith('decoder.bns.')
               for n, _ in aligner.named_parameters())
    x_s, x_t = images(), images()
    source, target = encoder(x_s), encoder(x_t)
    assert aligner(source, 'source') == {}
    losses = aligner(target, 'target')
    assert set(losses) == {'loss_daldir'}
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
    aligner(encoder(images(4)), 'source')
    with pytest.raises(ValueError, match='equally sized'):
        aligner(encoder(images(2)), 'target')


@pytest.mark.parametrize('aligner', [dict(type='DALDir'),
                                     dict(type='KLLDir')])
def test_source_cache_is_explicit_and_single_use(aligner):
    encoder, aligner = build(aligner)
    with pytest.raises(RuntimeError, match='source pass of the same'):
        aligner(encoder(images()), 'target')
    aligner(encoder(images()), 'source')
    aligner(encoder(images()), 'target')
    assert aligner._source is None  # consumed: nothing held past the step
    with pytest.raises(RuntimeError, match='source pass of the same'):
        aligner(encoder(images()), 'target')
    # A source pass without a graph cannot serve a target pass with one.
    with torch.no_grad():
        aligner(encoder(images()), 'source')
    with pytest.raises(RuntimeError, match='without an autograd graph'):
        aligner(encoder(images()), 'target')


def test_cross_domain_aligners_refuse_mcd():
    # MCD's step 3 runs target hooks after a graph-less source pass.
    model = MODELS.build(dict(
        type='MCD', backbone=dict(type='DigitCNN'), num_k=2,
        classifier=dict(type='MLPHead', in_channels=768,
                        hidden_channels=(8, ), num_classes=3),
        aligner=dict(type='DALDir')))
    optim = dict(type='Adam', lr=1e-3)
    wrapper = build_optim_wrapper(model, dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(modules=['backbone', 'aligner'], optimizer=optim),
        classifiers=dict(optimizer=optim)))
    batch = dict(source=dict(img=torch.randn(4, 1, 28, 28),
                             label=torch.tensor([0, 1, 2, 0])),
                 target=dict(img=torch.randn(4, 1, 28, 28)))
    with pytest.raises(RuntimeError, match='same training step'):
        model.train_step(batch, wrapper)


def test_klldir_aligns_target_with_source_statistics():
    encoder, aligner = build(dict(type='KLLDir', beta=3.0))
    assert not list(aligner.parameters())  # no decoder without L_recon
    x_s, x_t = images(), images()
    source, target = encoder(x_s), encoder(x_t)
    assert aligner(source, 'source') == {}
    losses = aligner(target, 'target')
    assert set(losses) == {'loss_klldir'}
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
    assert set(source_losses) == {'loss_recon_source'}
    expected = 2.0 * (aligner.decoder(source.latent, source) -
                      x_s).abs().mean()
    assert torch.allclose(source_losses['loss_recon_source'], expected)
    target = encoder(x_t)
    target_losses = aligner(target, 'target')
    assert set(target_losses) == {'loss_klldir', 'loss_recon_target'}
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
    aligner(earlier, 'target')
    with pytest.raises(ValueError, match='EncoderOutput.inputs'):
        aligner(earlier._replace(inputs=None), 'source')