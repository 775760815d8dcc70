import pytest
import torch
from mmengine.optim import OptimWrapperDict, build_optim_wrapper

from dfa_lab.registry import MODELS

HEAD = dict(
    type='MLPHead',
    in_channels=48 * 4 * 4,
    hidden_channels=(32, ),
    num_classes=4)
BACKBONE = dict(type='DigitCNN', arch='usps')
ADAM = dict(type='Adam', lr=1e-3)
SINGLE = dict(type='OptimWrapper', optimizer=ADAM)
MULTI = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(modules=['backbone', 'aligner'], optimizer=ADAM),
    classifiers=dict(optimizer=ADAM))


def tiny_batch(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    # Class-dependent source images so that the task is learnable.
    source = torch.randn(n, 1, 28, 28, generator=g) * 0.1
    source[:, :, :7] += labels.view(-1, 1, 1, 1).float()
    target = source + 0.3 * torch.randn(n, 1, 28, 28, generator=g)
    return dict(source=dict(img=source, label=labels), target=dict(img=target))


def build(adapter, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type=adapter, backbone=BACKBONE, classifier=HEAD, **kwargs))


@pytest.mark.parametrize('adapter,optim,key', [
    ('SourceOnly', SINGLE, 'loss_cls'),
    ('ENT', SINGLE, 'loss'),
    ('MCD', MULTI, 'step1/loss'),
])
def test_adapter_trains_and_loss_goes_down(adapter, optim, key):
    model = build(adapter)
    wrapper = build_optim_wrapper(model, optim)
    batch = tiny_batch()
    history = [model.train_step(batch, wrapper)[key].item() for _ in range(25)]
    assert all(torch.isfinite(torch.tensor(history)))
    assert sum(history[-3:]) / 3 < 0.7 * sum(history[:3]) / 3


def test_mcd_logs_three_steps_and_updates_right_networks():
    model = build('MCD', num_k=3)
    wrapper = build_optim_wrapper(model, MULTI)
    assert isinstance(wrapper, OptimWrapperDict)
    log = model.train_step(tiny_batch(), wrapper)
    assert {
        'step1/loss_cls_F1', 'step1/loss_cls_F2', 'step2/loss_neg_dis',
        'step3/loss_dis'
    } <= set(log)
    # Every gradient is cleared after the iteration.
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    # Step 3 alone: classifiers must not move.
    before = [p.clone() for p in model.classifiers.parameters()]
    model.step_optimizers(
        model.loss_dis(*model.classifiers(
            model.backbone(tiny_batch()['target']['img']).flat).values()),
        step=(wrapper['generator'], ),
        zero=wrapper.values())
    for b, p in zip(before, model.classifiers.parameters()):
        assert torch.equal(b, p)


def test_mcd_needs_named_optimizers():
    model = build('MCD')
    with pytest.raises(TypeError, match='MultiOptimWrapperConstructor'):
        model.train_step(tiny_batch(), build_optim_wrapper(model, SINGLE))


def test_predict_outputs_per_sample():
    model = build('MCD').eval()
    img = torch.randn(5, 1, 28, 28)
    samples = model(img, torch.arange(5) % 4, mode='predict')
    assert len(samples) == 5
    logits = model(img, mode='tensor')
    assert torch.allclose(samples[2]['pred_logits'],
                          logits['F1'][2] + logits['F2'][2])
    assert set(samples[0]['head_logits']) == {'F1', 'F2'}
    assert int(samples[3]['gt_label']) == 3
    single = build('SourceOnly').eval()(img, mode='predict')
    assert single[0]['head_logits'] == {}
    with pytest.raises(ValueError, match='train_step'):
        model(img, mode='loss')


def test_bad_batch_is_explained():
    model = build('SourceOnly')
    wrapper = build_optim_wrapper(model, SINGLE)
    with pytest.raises(KeyError, match='source.img'):
        model.train_step(dict(img=torch.randn(2, 1, 28, 28)), wrapper)
