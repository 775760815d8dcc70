"""DANN and CDAN: the gradient reversal layer, its schedule, the annealed
learning rate, the discriminator and what it reads, and the adapters'
joint update with an aligner."""
import math

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from test_adapters import BACKBONE, HEAD, MULTI, build, tiny_batch

from dfa_lab.models.layers import (GradientReversal, MultilinearMap,
                                   RandomizedMultilinearMap, grl_coefficient,
                                   reverse_gradient)
from dfa_lab.models.losses import domain_adversarial_loss, entropy_weights
from dfa_lab.registry import MODELS, PARAM_SCHEDULERS

SGD = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
SMALL_DISCRIMINATOR = dict(type='DomainDiscriminator', hidden_channels=32)


@pytest.fixture
def progress():
    """Set the training progress the adapters read from the message hub,
    as the Runner's RuntimeInfoHook does; cleared afterwards."""
    hub = MessageHub.get_current_instance()

    def set_progress(iteration, max_iters):
        hub.update_info('iter', iteration)
        hub.update_info('max_iters', max_iters)

    yield set_progress
    hub.pop_info('iter')
    hub.pop_info('max_iters')


# ------------------------------------------------------------------- GRL
@pytest.mark.parametrize('coefficient', [0.0, 0.3, 1.0, 2.5])
def test_grl_is_the_identity_forward_and_reverses_the_gradient(coefficient):
    x = torch.randn(5, 7, requires_grad=True)
    layer = GradientReversal()
    y = layer(x, coefficient)
    assert torch.equal(y, x)
    upstream = torch.randn(5, 7)
    (y * upstream).sum().backward()
    assert torch.allclose(x.grad, -coefficient * upstream)


def test_grl_reverses_only_what_passes_through_it():
    w = torch.randn(3, requires_grad=True)
    x = torch.randn(4, 3)
    features = x * w
    # A loss on the reversed features and one on the features themselves.
    (reverse_gradient(features, 0.5).sum() + features.sum()).backward()
    assert torch.allclose(w.grad, (1 - 0.5) * x.sum(0))


def test_grl_coefficient_schedule():
    assert grl_coefficient(0.0) == 0.0
    assert grl_coefficient(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert grl_coefficient(1.0) == pytest.approx(0.99990920)
    values = [grl_coefficient(p / 10) for p in range(11)]
    assert values == sorted(values)
    assert grl_coefficient(1.7) == grl_coefficient(1.0)
    assert grl_coefficient(
        0.2, gamma=1.0) == pytest.approx(2 / (1 + math.exp(-0.2)) - 1)


# ------------------------------------------------------------------ InvLR
def scheduled_optimizer():
    model = torch.nn.ModuleDict(
        dict(backbone=torch.nn.Linear(2, 2), head=torch.nn.Linear(2, 2)))
    return build_optim_wrapper(
        model,
        dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
            paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})))


def test_inv_lr_anneals_every_group_over_the_training_length():
    wrapper = scheduled_optimizer()
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='InvLR', gamma=10.0, power=0.75, by_epoch=False, end=200),
        default_args=dict(optimizer=wrapper))
    rates = []
    for _ in range(200):
        rates.append([group['lr'] for group in wrapper.param_groups])
        wrapper.step()
        scheduler.step()
    for step in (0, 1, 57, 199):
        factor = (1 + 10 * step / 200)**-0.75
        assert sorted(set(rates[step])) == pytest.approx(
            [0.001 * factor, 0.01 * factor])


def test_inv_lr_resumes_from_its_step_count_and_needs_an_end():
    wrapper = scheduled_optimizer()
    config = dict(type='InvLR', by_epoch=False, end=100)
    scheduler = PARAM_SCHEDULERS.build(
        config, default_args=dict(optimizer=wrapper))
    for _ in range(30):
        wrapper.step()
        scheduler.step()
    state = scheduler.state_dict()
    expected = [group['lr'] for group in wrapper.param_groups]
    # A fresh optimizer as a resumed run builds it, then the checkpoint.
    fresh = scheduled_optimizer()
    fresh.load_state_dict(wrapper.state_dict())
    resumed = PARAM_SCHEDULERS.build(
        config, default_args=dict(optimizer=fresh))
    resumed.load_state_dict(state)
    fresh.step()
    resumed.step()
    wrapper.step()
    scheduler.step()
    assert [g['lr'] for g in fresh.param_groups] == \
        [g['lr'] for g in wrapper.param_groups] != expected
    # The horizon is the config's, not the checkpoint's: a resumed run with
    # a longer training length anneals over the new length.
    longer = PARAM_SCHEDULERS.build(
        dict(config, end=1000), default_args=dict(optimizer=fresh))
    longer.load_state_dict(state)
    assert longer.end == 1000 and longer.last_step == 30
    with pytest.raises(ValueError, match='end'):
        PARAM_SCHEDULERS.build(
            dict(type='InvLR', by_epoch=False),
            default_args=dict(optimizer=wrapper))


# --------------------------------------------------------- discriminator
def test_discriminator_is_a_registered_head():
    head = MODELS.build(
        dict(
            type='DomainDiscriminator',
            in_channels=20,
            hidden_channels=(16, 8)))
    linear = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(20, 16),
                                                                 (16, 8),
                                                                 (8, 1)]
    assert sum(isinstance(m, torch.nn.Dropout) for m in head.modules()) == 2
    assert head(torch.randn(6, 20)).shape == (6, )
    head.init_weights()
    assert all(not m.bias.any() for m in linear)


def test_domain_adversarial_loss_and_entropy_weights():
    source, target = torch.randn(6), torch.randn(4)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    plain = domain_adversarial_loss(source, target)
    assert plain == pytest.approx(
        0.5 * (bce(source, torch.ones(6)) + bce(target, torch.zeros(4))))
    # Weights are normalised within each domain: scaling one domain's
    # weights changes nothing.
    ws, wt = torch.rand(6) + 0.5, torch.rand(4) + 0.5
    weighted = domain_adversarial_loss(source, target, ws, wt)
    assert weighted == pytest.approx(
        domain_adversarial_loss(source, target, 3 * ws, wt))
    s_terms = bce(source, torch.ones(6), reduction='none')
    t_terms = bce(target, torch.zeros(4), reduction='none')
    assert weighted == pytest.approx(0.5 * ((ws * s_terms).sum() / ws.sum() +
                                            (wt * t_terms).sum() / wt.sum()))
    probabilities = torch.tensor([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    assert entropy_weights(probabilities) == pytest.approx(
        torch.tensor([2.0, 1 + 1 / 3]))


# ------------------------------------------------------------- adapters
def build_dann(adapter='DANN', **kwargs):
    return build(adapter, discriminator=SMALL_DISCRIMINATOR, **kwargs)


@pytest.mark.parametrize('adapter,options', [
    ('DANN', {}),
    ('CDAN', {}),
    ('CDAN', dict(entropy_conditioning=True)),
    ('CDAN', dict(max_multilinear_dim=0, random_dim=64)),
])
def test_adversarial_adapter_builds_from_config_and_trains(
        adapter, options, progress):
    model = build_dann(adapter, **options)
    wrapper = build_optim_wrapper(model, SGD)
    batch = tiny_batch()
    discriminator = [p.clone() for p in model.discriminator.parameters()]
    history = []
    for iteration in range(25):
        progress(iteration, 25)
        log = model.train_step(batch, wrapper)
        history.append(log['loss_cls'].item())
        assert log['domain/grl_coefficient'].item() == pytest.approx(
            grl_coefficient(iteration / 25))
    assert {'loss', 'loss_cls', 'loss_domain', 'domain/accuracy'} <= set(log)
    assert all(math.isfinite(v) for v in history)
    assert sum(history[-3:]) / 3 < 0.7 * sum(history[:3]) / 3
    # The discriminator trains in the same update.
    assert all(not torch.equal(before, after) for before, after in zip(
        discriminator, model.discriminator.parameters()))


def test_outside_a_training_loop_the_coefficient_is_its_final_value():
    model = build_dann()
    log = model.train_step(tiny_batch(), build_optim_wrapper(model, SGD))
    assert log['domain/grl_coefficient'].item() == pytest.approx(
        grl_coefficient(1.0))


@pytest.mark.parametrize('adapter', ['DANN', 'CDAN'])
def test_the_backbone_gets_the_reversed_discriminator_gradient(
        adapter, progress):
    """The domain loss's gradient on the latent is -lambda_p times its
    gradient without reversal; the discriminator's own is unchanged."""
    model = build_dann(adapter).eval()  # no dropout: repeatable passes
    batch = tiny_batch()
    source = model.backbone(batch['source']['img'])
    target = model.backbone(batch['target']['img'])
    progress(3, 10)
    coefficient = grl_coefficient(0.3)
    reversed_grads = torch.autograd.grad(
        model.domain_losses(source, target)['loss_domain'],
        [source.latent, target.latent, *model.discriminator.parameters()])
    # The same loss without the reversal layer.
    inputs = [model.discriminator_inputs(e) for e in (source, target)]
    logits = model.discriminator(torch.cat([inputs[0][0], inputs[1][0]]))
    plain = model.loss_domain(logits[:16], logits[16:], inputs[0][1],
                              inputs[1][1])
    plain_grads = torch.autograd.grad(
        plain,
        [source.latent, target.latent, *model.discriminator.parameters()])
    for got, want in zip(reversed_grads[:2], plain_grads[:2]):
        assert want.abs().sum() > 0
        assert torch.allclose(got, -coefficient * want, atol=1e-7)
    for got, want in zip(reversed_grads[2:], plain_grads[2:]):
        assert torch.allclose(got, want, atol=1e-7)


def capture_discriminator_input(model):
    seen = []
    model.discriminator.register_forward_hook(
        lambda module, args, output: seen.append(args[0]))
    return seen


def test_dann_discriminator_reads_the_latent():
    model = build_dann().eval()
    seen = capture_discriminator_input(model)
    batch = tiny_batch()
    source = model.backbone(batch['source']['img'])
    target = model.backbone(batch['target']['img'])
    model.domain_losses(source, target)
    assert model.discriminator.in_channels == model.backbone.latent_dim
    assert torch.equal(seen[0], torch.cat([source.flat, target.flat]))


def test_cdan_discriminator_reads_the_multilinear_map():
    model = build_dann('CDAN').eval()
    seen = capture_discriminator_input(model)
    batch = tiny_batch()
    source = model.backbone(batch['source']['img'])
    target = model.backbone(batch['target']['img'])
    model.domain_losses(source, target)
    # 768 latent values x 4 classes <= 4096: the full map.
    assert isinstance(model.multilinear_map, MultilinearMap)
    assert model.discriminator.in_channels == 768 * 4
    expected = []
    for encoded in (source, target):
        g = model.classifiers(encoded.flat)['F'].softmax(1)
        expected.append(
            (g.unsqueeze(2) * encoded.flat.unsqueeze(1)).flatten(1))
    assert torch.allclose(seen[0], torch.cat(expected))
    # g is detached: the classifier gets no gradient from the domain loss.
    model.zero_grad()
    model.domain_losses(source, target)['loss_domain'].backward()
    assert all(p.grad is None or not p.grad.any()
               for p in model.classifiers.parameters())
    assert any(p.grad is not None and p.grad.any()
               for p in model.backbone.parameters())


def test_cdan_randomizes_wide_maps_and_keeps_the_matrices():
    model = build_dann('CDAN', random_dim=50)
    assert model.multilinear_map.out_channels == 768 * 4
    torch.manual_seed(1)
    model = MODELS.build(
        dict(
            type='CDAN',
            backbone=BACKBONE,
            classifier=dict(HEAD, num_classes=10),
            discriminator=SMALL_DISCRIMINATOR,
            random_dim=50))
    assert isinstance(model.multilinear_map, RandomizedMultilinearMap)
    assert model.discriminator.in_channels == 50
    f, g = torch.randn(3, 768), torch.rand(3, 10).softmax(1)
    R_f = model.multilinear_map.feature_matrix
    R_g = model.multilinear_map.class_matrix
    assert R_f.shape == (768, 50) and R_g.shape == (10, 50)
    assert torch.allclose(
        model.multilinear_map(f, g), (f @ R_f) * (g @ R_g) / math.sqrt(50))
    state = model.state_dict()
    assert torch.equal(state['multilinear_map.feature_matrix'], R_f)
    # Buffers, not parameters: nothing trains them.
    assert not any(
        name.startswith('multilinear_map')
        for name, _ in model.named_parameters())


def test_cdan_e_weights_the_discriminator_loss_by_certainty():
    plain = build_dann('CDAN').eval()
    weighted = build_dann('CDAN', entropy_conditioning=True).eval()
    weighted.load_state_dict(plain.state_dict())
    batch = tiny_batch()
    source = plain.backbone(batch['source']['img'])
    target = plain.backbone(batch['target']['img'])
    _, no_weight = plain.discriminator_inputs(source)
    inputs, weight = weighted.discriminator_inputs(source)
    assert no_weight is None
    g = plain.classifiers(source.flat)['F'].softmax(1)
    assert torch.allclose(weight, entropy_weights(g))
    assert not weight.requires_grad
    assert plain.domain_losses(source, target)['loss_domain'] != \
        weighted.domain_losses(source, target)['loss_domain']


class SpyAligner(torch.nn.Module):
    """Records what the adapter passes to each hook."""

    needs_source_pass = True

    def __init__(self, backbone=None):
        super().__init__()
        self.calls = []

    def forward(self, encoded, domain, source=None, source_labels=None):
        self.calls.append((domain, encoded, source, source_labels))
        return {}


@pytest.mark.parametrize('adapter', ['DANN', 'CDAN'])
def test_aligner_hooks_get_both_passes_of_the_one_update(adapter):
    model = build_dann(adapter)
    model.aligner = SpyAligner()
    model.train_step(tiny_batch(), build_optim_wrapper(model, SGD))
    (source_call, target_call) = model.aligner.calls
    assert source_call[0] == 'source' and source_call[2] is None
    assert target_call[0] == 'target'
    # The target hook's source pass is the source hook's pass.
    assert target_call[2] is source_call[1]
    assert target_call[1].latent.requires_grad
    # Both hooks get the source labels.
    labels = tiny_batch()['source']['label']
    assert torch.equal(source_call[3], labels)
    assert torch.equal(target_call[3], labels)


@pytest.mark.parametrize('adapter', ['DANN', 'CDAN', 'MCD'])
@pytest.mark.parametrize('aligner', ['DALDir', 'KLLDir'])
def test_aligners_that_need_the_source_pass(adapter, aligner):
    """DANN and CDAN have both passes in their one update, so they serve
    the aligners that compare the domains; MCD's generator step makes a
    source pass for them."""
    options = dict(aligner=dict(type=aligner))
    if adapter != 'MCD':
        options['discriminator'] = SMALL_DISCRIMINATOR
    model = build(adapter, **options)
    optim = MULTI if adapter == 'MCD' else SGD
    log = model.train_step(tiny_batch(), build_optim_wrapper(model, optim))
    assert any('loss_' in key and 'loss_cls' not in key
               and 'loss_domain' not in key and 'dis' not in key
               for key in log), log


def test_dfa_dann_trains_every_network_with_one_optimizer(progress):
    model = build_dann(aligner=dict(type='DFA', alpha=0.01, beta=10.0))
    wrapper = build_optim_wrapper(model, SGD)
    optimised = {
        id(p)
        for group in wrapper.param_groups
        for p in group['params']
    }
    assert optimised == {id(p) for p in model.parameters()}
    progress(5, 10)
    log = model.train_step(tiny_batch(), wrapper)
    assert {'loss_kld', 'loss_dal', 'loss_domain', 'loss_cls'} <= set(log)
    # torch.compile compiles the discriminator with the other networks.
    assert model.networks()[-1] is model.discriminator


def test_dann_needs_one_optimizer():
    model = build_dann()
    two = dict(
        MULTI,
        generator=dict(
            MULTI['generator'], modules=['backbone', 'discriminator']))
    with pytest.raises(TypeError, match='one optimizer'):
        model.train_step(tiny_batch(), build_optim_wrapper(model, two))
