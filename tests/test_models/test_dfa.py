import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import dfa_lab.models.losses as losses_module
from dfa_lab.registry import MODELS

SHAPES = {
    'usps': (3, 1, 28, 28),
    'svhn': (3, 3, 32, 32),
    'gtsrb': (3, 3, 40, 40)
}


def encoder_decoder(arch, tied=True):
    encoder = MODELS.build(dict(type='DigitCNN', arch=arch))
    decoder = MODELS.build(
        dict(type='DigitDecoder', tied=tied),
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
        MODELS.build(
            dict(type='DigitDecoder'),
            default_args=dict(encoder=torch.nn.Linear(2, 2)))


def test_dal_gradient_reaches_encoder_convolutions():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(dict(type='DFA'), default_args=dict(backbone=encoder))
    losses = dfa(encoder(torch.randn(4, 1, 28, 28)), 'target')
    assert {k for k in losses if 'loss' in k} == {'loss_dal'}
    losses['loss_dal'].backward()
    for stage in encoder.stages:
        assert stage.conv.weight.grad is not None
        assert stage.conv.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in dfa.decoder.bns.parameters())


def test_softmax_prior_kl_matches_hand_computation():
    # One sample, C=2 channels, 1x2 spatial: rows of C in logical order.
    latent = torch.tensor([[[[0.0, 1.0]], [[2.0, 3.0]]]], requires_grad=True)
    prior = torch.tensor([[[[0.0, 0.0]], [[math.log(3.0), 0.0]]]])
    loss = MODELS.build(dict(type='PriorKLLoss', mode='softmax'))(latent,
                                                                  prior)
    # reshape(-1, 2) rows: latent (0,1), (2,3); prior (0,0), (log3, 0).
    q1, q2 = (0.5, 0.5), (0.75, 0.25)
    e = math.exp(1.0)
    p_row = (1 / (1 + e), e / (1 + e))  # softmax of (0,1) and of (2,3)
    kl = sum(q[k] * (math.log(q[k]) - math.log(p_row[k])) for q in (q1, q2)
             for k in range(2))
    assert loss.item() == pytest.approx(kl / 4, rel=1e-5)
    loss.backward()
    # d/dlatent_row of sum_k q_k(log q_k - log p_k) = p - q, then / 4.
    grad_rows = torch.tensor([[p_row[0] - 0.5, p_row[1] - 0.5],
                              [p_row[0] - 0.75, p_row[1] - 0.25]]) / 4
    assert torch.allclose(latent.grad.reshape(-1, 2), grad_rows, atol=1e-6)


def test_reverse_gaussian_prior_kl_matches_closed_form():
    # KL(fitted || prior), the direction of a VAE's latent term.
    latent = torch.tensor([[1.0, 0.0], [3.0, 0.5]], requires_grad=True)
    loss = MODELS.build(
        dict(type='PriorKLLoss', mode='gaussian_reverse', loss_weight=2.0))(
            latent)
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


def test_gaussian_prior_kl_in_eq17_direction_matches_closed_form():
    # KL(q || p): q = N(0, 1) the prior, p = N(mu, var) fitted to the batch.
    latent = torch.tensor([[1.0, 0.0], [3.0, 0.5]], requires_grad=True)
    loss = MODELS.build(
        dict(type='PriorKLLoss', mode='gaussian', loss_weight=2.0))(
            latent)
    # dim 0: mu=2, var=1 -> 0.5*(log 1 + (1+4)/1 - 1) = 2;
    # dim 1: mu=.25, var=.0625 -> 0.5*(log .0625 + 1.0625/.0625 - 1).
    kl1 = 0.5 * (math.log(0.0625) + 1.0625 / 0.0625 - 1)
    assert loss.item() == pytest.approx(2.0 * (2.0 + kl1) / 2, rel=1e-5)
    loss.backward()
    # dKL/dmu = mu/var, dKL/dvar = (1/var - (1+mu^2)/var^2) / 2, with
    # dmu/dx_i = 1/B and dvar/dx_i = 2 (x_i - mu) / B.
    x = latent.detach()
    mu, var = x.mean(0), x.var(0, unbiased=False)
    batch, dims, weight = 2, 2, 2.0
    expected = weight / dims * (
        mu / var / batch + 0.5 * (1 / var - (1 + mu**2) / var**2) * 2 *
        (x - mu) / batch)
    assert torch.allclose(latent.grad, expected, atol=1e-4)


def test_dal_matches_hand_computation():
    a = torch.tensor([[1.0, -2.0], [0.0, 4.0]], requires_grad=True)
    b = torch.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    loss = MODELS.build(
        dict(type='DistributionAlignmentLoss', loss_weight=10.0))(a, b)
    assert loss.item() == pytest.approx(10.0 * (1 + 2 + 1 + 3) / 4)
    loss.backward()
    assert torch.allclose(a.grad,
                          10.0 * torch.tensor([[1.0, -1.0], [-1.0, 1.0]]) / 4)
    assert torch.allclose(b.grad, -a.grad)


def test_dfa_source_term_and_weights():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(
        dict(type='DFA', alpha=0.5, beta=2.0, kl_mode='gaussian'),
        default_args=dict(backbone=encoder))
    encoded = encoder(torch.randn(8, 1, 28, 28))
    source = dfa(encoded, 'source')
    assert set(source) == {
        'loss_kld', 'dfa/kld', 'align/source_latent_rms',
        'align/source_latent_zeros'
    }
    unweighted = MODELS.build(dict(type='PriorKLLoss', mode='gaussian'))(
        encoded.latent)
    assert torch.allclose(source['loss_kld'], 0.5 * unweighted)
    assert torch.allclose(source['dfa/kld'], unweighted)
    assert not source['dfa/kld'].requires_grad
    with pytest.raises(ValueError, match='domain'):
        dfa(encoded, 'both')
    with pytest.raises(TypeError, match='alpha'):
        MODELS.build(
            dict(type='DFA', alpha='x'), default_args=dict(backbone=encoder))
    with pytest.raises(ValueError, match='beta'):
        MODELS.build(
            dict(
                type='DFA',
                loss_dal=dict(type='EnergyDistanceLoss', loss_weight=3.0)),
            default_args=dict(backbone=encoder))


@pytest.mark.parametrize('adapter,optim', [
    ('ENT', dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))),
    ('MCD',
     dict(
         constructor='MultiOptimWrapperConstructor',
         generator=dict(
             modules=['backbone', 'aligner'],
             optimizer=dict(type='Adam', lr=1e-3)),
         classifiers=dict(optimizer=dict(type='Adam', lr=1e-3)))),
])
def test_dfa_hosts_log_their_terms(adapter, optim):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type=adapter,
            backbone=dict(type='DigitCNN'),
            classifier=dict(
                type='MLPHead', hidden_channels=(16, ), num_classes=3),
            aligner=dict(type='DFA')))
    # The aligner's own parameters are the decoder's BatchNorms only.
    assert all(
        n.startswith('decoder.bns.')
        for n, _ in model.aligner.named_parameters())
    wrapper = build_optim_wrapper(model, optim)
    batch = dict(
        source=dict(
            img=torch.randn(6, 1, 28, 28),
            label=torch.tensor([0, 1, 2, 0, 1, 2])),
        target=dict(img=torch.randn(6, 1, 28, 28)))
    bn_before = model.aligner.decoder.bns[0].weight.clone()
    log = model.train_step(batch, wrapper)
    diagnostics = {
        'dfa/dal', 'dfa/zero_fraction', 'dfa/decoded_std',
        'dfa/target_latent_mean', 'dfa/target_latent_std'
    }
    keys = {'loss_kld', 'loss_dal', 'dfa/kld'} | diagnostics
    if adapter == 'MCD':
        keys = {'step1/loss_kld', 'step3/loss_dal', 'step1/dfa/kld'
                } | {f'step3/{k}'
                     for k in diagnostics}
    assert keys <= set(log)
    # G is fixed in MCD's step 2, where the aligner's term would move
    # nothing: it is not computed there.
    assert not [
        key for key in log if key.startswith('step2/') and 'kld' in key
    ]
    if adapter == 'ENT':
        # Diagnostics are logged, not added to the objective.
        assert torch.allclose(
            log['loss'], log['loss_cls'] + log['loss_ent'] + log['loss_kld'] +
            log['loss_dal'])
    assert not torch.equal(bn_before, model.aligner.decoder.bns[0].weight)


def test_decoder_without_affine_batchnorm_cannot_switch_itself_off():
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    affine = MODELS.build(
        dict(type='DigitDecoder'), default_args=dict(encoder=encoder))
    plain = MODELS.build(
        dict(type='DigitDecoder', bn_affine=False),
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


def decoder_pair(**options):
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    decoder = MODELS.build(
        dict(type='DigitDecoder', **options),
        default_args=dict(encoder=encoder))
    with torch.no_grad():  # BatchNorms away from the identity
        for name, p in decoder.named_parameters():
            if 'bn' in name:
                p.add_(0.3 * torch.randn_like(p))
    return encoder, decoder


@pytest.mark.parametrize('options', [
    dict(),
    dict(residual_block=True),
    dict(tied=False),
    dict(bn_affine=False)
])
def test_one_pass_decoding_equals_two_passes(options):
    encoder, decoder = decoder_pair(**options)
    twin = copy.deepcopy(decoder)
    x = torch.randn(5, 1, 28, 28)
    encoded = encoder(x)
    latent = encoded.latent.detach().requires_grad_()
    prior = torch.randn_like(latent).requires_grad_()
    weights = torch.randn(2, 5, 1, 28, 28)

    one = decoder(torch.cat([latent, prior]), encoded, branches=2)
    (one * weights.flatten(0, 1)).sum().backward()
    grads_one = [latent.grad.clone(), prior.grad.clone()
                 ] + [p.grad.clone() for p in decoder.parameters()]
    latent.grad = prior.grad = None

    two = torch.cat([twin(latent, encoded), twin(prior, encoded)])
    (two * weights.flatten(0, 1)).sum().backward()
    grads_two = [latent.grad, prior.grad] + [p.grad for p in twin.parameters()]

    assert torch.allclose(one, two, atol=1e-5)
    for a, b in zip(grads_one, grads_two):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)
    # The running statistics see each branch as a separate call would.
    for a, b in zip(decoder.buffers(), twin.buffers()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)


def test_shared_statistics_normalise_the_prior_with_the_target_batch():
    _, decoder = decoder_pair(bn_affine=False, shared_bn_statistics=True)
    bn = decoder.bns[0]
    target = torch.randn(6, 32, 3, 3) * 2 + 1
    prior = torch.randn(6, 32, 3, 3, requires_grad=True)
    target.requires_grad_()
    out = decoder.normalize(bn, torch.cat([target, prior]), branches=2)
    mean = target.mean((0, 2, 3), keepdim=True)
    var = target.var((0, 2, 3), unbiased=False, keepdim=True)
    expected = (torch.cat([target, prior]) - mean) / torch.sqrt(var + bn.eps)
    assert torch.allclose(out, expected, atol=1e-5)
    # The running estimates follow the target block alone (momentum 0.1,
    # unbiased variance).
    n = 6 * 3 * 3
    assert torch.allclose(bn.running_mean, 0.1 * mean.flatten(), atol=1e-6)
    assert torch.allclose(
        bn.running_var, 0.9 + 0.1 * var.flatten() * n / (n - 1), atol=1e-5)
    # A loss on the prior branch alone reaches the target batch through the
    # shared statistics: the prior branch cannot be scaled away on its own.
    out[6:].pow(2).mean().backward()
    assert target.grad.abs().sum() > 0
    # Evaluation uses the running estimates for every row.
    bn.eval()
    rows = torch.randn(4, 32, 3, 3)
    assert torch.allclose(decoder.normalize(bn, rows, branches=2), bn(rows))


def test_decoder_rejects_a_batch_that_does_not_split_into_branches():
    encoder, decoder = decoder_pair()
    encoded = encoder(torch.randn(4, 1, 28, 28))
    with pytest.raises(ValueError, match='2 stacked latents'):
        decoder(torch.randn(6, 48, 4, 4), encoded, branches=2)


def test_residual_block_matches_its_formula():
    encoder, decoder = decoder_pair(residual_block=True)
    block = decoder.residual
    # Its own weights, not the encoder's.
    assert block.conv1.weight.shape == (48, 48, 5, 5)
    assert not {id(p)
                for p in encoder.parameters()
                } & {id(p)
                     for p in decoder.parameters()}
    z = torch.randn(4, 48, 4, 4)
    h = F.relu(block.bn1(block.conv1(z)))
    expected = z + block.bn2(block.conv2(h))
    assert torch.allclose(block(z, lambda bn, x: bn(x)), expected, atol=1e-5)


def test_dfa_logs_its_diagnostics():
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(
        dict(type='DFA', beta=4.0), default_args=dict(backbone=encoder))
    encoded = encoder(torch.randn(8, 1, 28, 28))
    with torch.no_grad():
        dfa.decoder.bns[-1].bias.fill_(-0.5)  # some pixels at 0
    torch.manual_seed(1)
    losses = dfa(encoded, 'target')
    torch.manual_seed(1)
    decoded_target, decoded_prior = dfa.decode_with_prior(encoded)
    dal = (decoded_target - decoded_prior).abs().mean()
    assert torch.allclose(losses['loss_dal'], 4.0 * dal)
    assert torch.allclose(losses['dfa/dal'], dal)
    zeros = (decoded_target == 0).float().mean()
    assert 0 < zeros < 1
    assert torch.allclose(losses['dfa/zero_fraction'], zeros)
    # Population standard deviations: defined for a batch of one.
    assert torch.allclose(losses['dfa/decoded_std'],
                          decoded_target.std(dim=0, correction=0).mean())
    assert torch.allclose(losses['dfa/target_latent_mean'],
                          encoded.latent.mean())
    assert torch.allclose(losses['dfa/target_latent_std'],
                          encoded.latent.std(correction=0))
    assert not any(v.requires_grad
                   for k, v in losses.items() if k.startswith('dfa/'))


@pytest.mark.parametrize('loss_dal,distance', [
    (dict(type='EnergyDistanceLoss'), 'energy_distance'),
    (dict(type='SlicedWassersteinLoss',
          num_projections=8), 'sliced_wasserstein'),
])
def test_dfa_takes_another_alignment_distance(loss_dal, distance):
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='DigitCNN', arch='usps'))
    dfa = MODELS.build(
        dict(
            type='DFA',
            beta=3.0,
            loss_dal=loss_dal,
            decoder=dict(bn_affine=False, shared_bn_statistics=True)),
        default_args=dict(backbone=encoder))
    encoded = encoder(torch.randn(6, 1, 28, 28))
    torch.manual_seed(1)
    loss = dfa(encoded, 'target')['loss_dal']
    torch.manual_seed(1)
    pair = dfa.decode_with_prior(encoded)
    kwargs = dict(num_projections=8) if distance == 'sliced_wasserstein' \
        else {}
    expected = 3.0 * getattr(losses_module, distance)(*pair, **kwargs)
    assert torch.allclose(loss, expected, atol=1e-6)
    loss.backward()
    assert encoder.stages[0].conv.weight.grad.abs().sum() > 0
