import math

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from dfa_lab.registry import MODELS

SHAPES = {'usps': (3, 1, 28, 28), 'svhn': (3, 3, 32, 32),
          'gtsrb': (3, 3, 40, 40)}


def encoder_decoder(arch, tied=True):
    encoder = MODELS.build(dict(type='DigitCNN', arch=arch))
    decoder = MODELS.build(dict(type='DigitDecoder', tied=tied),
                           default_args=dict(encoder=encoder))
    return encoder, decoder


@pytest.mark.parametrize('arch', SHAPES)
@pytest.mark.parametrize('tied', [True, False])
def test_decoder_output_has_input_shape(arch, tied):
    encoder, decoder = encoder_decoder(arch, tied)
    x = torch.randn(SHAPES[arch])
    encoded = encoder(x)
    assert decoder(encoded.latent, encoded).shape == x.shape
    prior = torch.randn_like(encoded.latent)
    assert decoder(prior, encoded).shape == x.shape
    assert (decoder(prior, encoded) >= 0).all()  # ReLU at the output


@pytest.mark.parametrize('arch', SHAPES)
def test_tied_decoder_uses_encoder_weight_tensors(arch):
    encoder, decoder = encoder_decoder(arch, tied=True)
    convs = [stage.conv.weight for stage in encoder.stages][::-1]
    assert all(a is b for a, b in zip(decoder.transposed_weights(), convs))
    # It owns BatchNorms only: no convolution weight of its own.
    own = dict(decoder.named_parameters())
    assert own and all(name.startswith('bns.') for name in own)
    encoder_ids = {id(p) for p in encoder.parameters()}
    assert not encoder_ids & {id(p) for p in decoder.parameters()}


@pytest.mark.parametrize('arch', SHAPES)
def test_untied_decoder_owns_its_weights(arch):
    encoder, decoder = encoder_decoder(arch, tied=False)
    weights = decoder.transposed_weights()
    convs = [stage.conv.weight for stage in encoder.stages][::-1]
    assert all(w is not c and w.shape == c.shape
               for w, c in zip(weights, convs))
    assert {id(w) for w in weights} <= {id(p) for p in decoder.parameters()}


def test_decoder_rejects_mismatched_latent():
    encoder, decoder = encoder_decoder('usps')
    encoded = encoder(torch.randn(4, 1, 28, 28))
    with pytest.raises(ValueError, match='pooling indices'):
        decoder(torch.randn(2, 48, 4, 4), encoded)
    with pytest.raises(TypeError, match='DigitCNN'):
        MODELS.build(dict(type='DigitDecoder'),
                     default_args=dict(encoder=torch.nn.Linear(2, 2)))


def test_dal_gradient_reaches_encoder_convolutions():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(dict(type='DFA'), default_args=dict(backbone=encoder))
    losses = dfa(encoder(torch.randn(4, 1, 28, 28)), 'target')
    assert set(losses) == {'loss_dal'}
    losses['loss_dal'].backward()
    for stage in encoder.stages:
        assert stage.conv.weight.grad is not None
        assert stage.conv.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in dfa.decoder.bns.parameters())


def test_softmax_prior_kl_matches_hand_computation():
    # One sample, C=2 channels, 1x2 spatial: rows of C in logical order.
    latent = torch.tensor([[[[0.0, 1.0]], [[2.0, 3.0]]]], requires_grad=True)
    prior = torch.tensor([[[[0.0, 0.0]], [[math.log(3.0), 0.0]]]])
    loss = MODELS.build(dict(type='PriorKLLoss', mode='softmax'))(
        latent, prior)
    # reshape(-1, 2) rows: latent (0,1), (2,3); prior (0,0), (log3, 0).
    q1, q2 = (0.5, 0.5), (0.75, 0.25)
    e = math.exp(1.0)
    p_row = (1 / (1 + e), e / (1 + e))  # softmax of (0,1) and of (2,3)
    kl = sum(q[k] * (math.log(q[k]) - math.log(p_row[k]))
             for q in (q1, q2) for k in range(2))
    assert loss.item() == pytest.approx(kl / 4, rel=1e-5)
    loss.backward()
    # d/dlatent_row of sum_k q_k(log q_k - log p_k) = p - q, then / 4.
    grad_rows = torch.tensor([[p_row[0] - 0.5, p_row[1] - 0.5],
                              [p_row[0] - 0.75, p_row[1] - 0.25]]) / 4
    assert torch.allclose(latent.grad.reshape(-1, 2), grad_rows, atol=1e-6)


def test_gaussian_prior_kl_matches_closed_form():
    latent = torch.tensor([[1.0, 0.0], [3.0, 0.5]], requires_grad=True)
    loss = MODELS.build(dict(type='PriorKLLoss', mode='gaussian',
                             loss_weight=2.0))(latent)
    # dim 0: mu=2, var=1 -> 0.5*(1+4-1-0)=2; dim 1: mu=.25, var=.0625.
    kl1 = 0.5 * (0.0625 + 0.0625 - 1 - math.log(0.0625))
    assert loss.item() == pytest.approx(2.0 * (2.0 + kl1) / 2, rel=1e-5)
    loss.backward()
    # dKL_d/dx_i = ((x_i - mu)(1 - 1/var) + mu) / B per dimension; the loss
    # averages over D=2 dimensions and is weighted by 2; B=2.
    x = latent.detach()
    mu, var = x.mean(0), x.var(0, unbiased=False)
    batch, dims, weight = 2, 2, 2.0
    expected = weight * ((x - mu) * (1 - 1 / var) + mu) / batch / dims
    assert torch.allclose(latent.grad, expected, atol=1e-5)
    with pytest.raises(ValueError, match='two samples'):
        MODELS.build(dict(type='PriorKLLoss', mode='gaussian'))(
            torch.randn(1, 3))
    with pytest.raises(ValueError, match='mode'):
        MODELS.build(dict(type='PriorKLLoss', mode='normal'))


def test_dal_matches_hand_computation():
    a = torch.tensor([[1.0, -2.0], [0.0, 4.0]], requires_grad=True)
    b = torch.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    loss = MODELS.build(dict(type='DistributionAlignmentLoss',
                             loss_weight=10.0))(a, b)
    assert loss.item() == pytest.approx(10.0 * (1 + 2 + 1 + 3) / 4)
    loss.backward()
    assert torch.allclose(a.grad, 10.0 * torch.tensor(
        [[1.0, -1.0], [-1.0, 1.0]]) / 4)
    assert torch.allclose(b.grad, -a.grad)


def test_dfa_source_term_and_weights():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(dict(type='DFA', alpha=0.5, beta=2.0,
                            kl_mode='gaussian'),
                       default_args=dict(backbone=encoder))
    encoded = encoder(torch.randn(8, 1, 28, 28))
    source = dfa(encoded, 'source')
    assert set(source) == {'loss_kld'}
    expected = 0.5 * MODELS.build(dict(type='PriorKLLoss', mode='gaussian'))(
        encoded.latent)
    assert torch.allclose(source['loss_kld'], expected)
    assert dfa.loss_dal.loss_weight == 2.0
    with pytest.raises(ValueError, match='domain'):
        dfa(encoded, 'both')


@pytest.mark.parametrize('adapter,optim', [
    ('ENT', dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))),
    ('MCD', dict(constructor='MultiOptimWrapperConstructor',
                 generator=dict(modules=['backbone', 'aligner'],
                                optimizer=dict(type='Adam', lr=1e-3)),
                 classifiers=dict(optimizer=dict(type='Adam', lr=1e-3)))),
])
def test_dfa_hosts_log_their_terms(adapter, optim):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type=adapter, backbone=dict(type='DigitCNN'),
        classifier=dict(type='MLPHead', in_channels=768,
                        hidden_channels=(16, ), num_classes=3),
        aligner=dict(type='DFA')))
    # The aligner's own parameters are the decoder's BatchNorms only.
    assert all(n.startswith('decoder.bns.')
               for n, _ in model.aligner.named_parameters())
    wrapper = build_optim_wrapper(model, optim)
    batch = dict(source=dict(img=torch.randn(6, 1, 28, 28),
                             label=torch.tensor([0, 1, 2, 0, 1, 2])),
                 target=dict(img=torch.randn(6, 1, 28, 28)))
    bn_before = model.aligner.decoder.bns[0].weight.clone()
    log = model.train_step(batch, wrapper)
    keys = {'loss_kld', 'loss_dal'} if adapter == 'ENT' else {
        'step1/loss_kld', 'step2/loss_kld', 'step3/loss_dal'}
    assert keys <= set(log)
    assert not torch.equal(bn_before, model.aligner.decoder.bns[0].weight)


def test_dal_from_previous_iteration_carries_no_gradient():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(dict(type='DFA', dal_from_previous_iteration=True),
                       default_args=dict(backbone=encoder))
    first = dfa(encoder(torch.randn(4, 1, 28, 28)), 'target')['loss_dal']
    assert first.item() == 0 and not first.requires_grad
    second = dfa(encoder(torch.randn(4, 1, 28, 28)), 'target')['loss_dal']
    assert second.item() > 0 and not second.requires_grad
    # Each value is the DAL of the batches the previous call decoded.
    decoded_target, decoded_prior = dfa._previous_decoded
    assert not decoded_target.requires_grad
    expected = 10.0 * (decoded_target - decoded_prior).abs().mean()
    third = dfa(encoder(torch.randn(4, 1, 28, 28)), 'target')['loss_dal']
    assert torch.allclose(third, expected)


def test_decoder_without_affine_batchnorm_cannot_switch_itself_off():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    affine = MODELS.build(dict(type='DigitDecoder'),
                          default_args=dict(encoder=encoder))
    plain = MODELS.build(dict(type='DigitDecoder', bn_affine=False),
                         default_args=dict(encoder=encoder))
    assert list(plain.parameters()) == []
    encoded = encoder(torch.randn(8, 1, 28, 28))
    # An affine output BN with a small weight and a negative bias zeroes
    # every decoded image, and with it the DAL.
    with torch.no_grad():
        affine.bns[-1].weight.fill_(0.1)
        affine.bns[-1].bias.fill_(-1.0)
    prior = torch.randn_like(encoded.latent)
    assert affine(encoded.latent, encoded).abs().max() == 0
    assert affine(prior, encoded).abs().max() == 0
    # Without the affine parameters each output channel has unit batch
    # variance before the ReLU: about half of the pixels stay positive.
    decoded = plain(encoded.latent, encoded)
    assert 0.3 < (decoded > 0).float().mean() < 0.7
