import pytest
import torch
import torch.distributed as dist
from mmengine.optim import build_optim_wrapper
from mmengine.runner import load_checkpoint, save_checkpoint
from mmengine.runner.checkpoint import get_state_dict

from dfa_lab.engine import SeparateDistributedDataParallel
from dfa_lab.registry import MODELS, RUNNERS

HEAD = dict(
    type='MLPHead', in_channels=768, hidden_channels=(8, ), num_classes=3)
ADAM = dict(type='Adam', lr=1e-3)


def mcd():
    return MODELS.build(
        dict(type='MCD', backbone=dict(type='DigitCNN'), classifier=HEAD))


def test_multi_optim_constructor_groups_modules():
    model = mcd()
    wrappers = build_optim_wrapper(
        model,
        dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(
                modules=['backbone', 'aligner'],
                optimizer=dict(type='Adam', lr=1e-3)),
            classifiers=dict(optimizer=dict(type='SGD', lr=0.1))))
    gen = {
        id(p)
        for g in wrappers['generator'].optimizer.param_groups
        for p in g['params']
    }
    assert gen == {id(p) for p in model.backbone.parameters()}
    assert isinstance(wrappers['classifiers'].optimizer, torch.optim.SGD)


def test_multi_optim_constructor_errors():
    model = mcd()
    with pytest.raises(ValueError, match='in no optimizer group'):
        build_optim_wrapper(
            model,
            dict(
                constructor='MultiOptimWrapperConstructor',
                generator=dict(modules=['backbone'], optimizer=ADAM)))
    with pytest.raises(AttributeError, match='does not have'):
        build_optim_wrapper(
            model,
            dict(
                constructor='MultiOptimWrapperConstructor',
                generator=dict(modules=['encoder'], optimizer=ADAM)))
    with pytest.raises(ValueError, match='in optimizer groups'):
        build_optim_wrapper(
            model,
            dict(
                constructor='MultiOptimWrapperConstructor',
                a=dict(modules=['backbone', 'classifiers'], optimizer=ADAM),
                b=dict(modules=['classifiers'], optimizer=ADAM)))
    with pytest.raises(ValueError, match="'optimizer'"):
        build_optim_wrapper(
            model,
            dict(constructor='MultiOptimWrapperConstructor', a=dict(lr=1)))


def test_autocast_optim_wrapper_runs_bfloat16_on_cpu():
    model = mcd()
    wrapper = build_optim_wrapper(
        model, dict(type='AutocastOptimWrapper', optimizer=ADAM))
    with wrapper.optim_context(model):
        out = model.backbone(torch.randn(2, 1, 28, 28)).latent
    assert out.dtype == torch.bfloat16
    with pytest.raises(ValueError, match='bfloat16'):
        build_optim_wrapper(
            model,
            dict(type='AutocastOptimWrapper', dtype='float16', optimizer=ADAM))


@pytest.fixture
def process_group(tmp_path):
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_separate_ddp_checkpoints_are_wrapper_free(process_group):
    plain = mcd()
    reference = plain.state_dict()
    wrapped_model = mcd()
    wrapper = SeparateDistributedDataParallel(wrapped_model, device_ids=[0])
    state = wrapper.module.state_dict()
    assert list(state) and set(state) == set(reference)
    assert not any('.module.' in key for key in state)
    assert set(get_state_dict(wrapper)) == set(reference)
    # A plain checkpoint loads into the wrapped model, strictly.
    wrapper.module.load_state_dict(reference, strict=True)
    assert_state_equal(wrapper.module.state_dict(), reference)
    # And the wrapped checkpoint into a plain model.
    mcd().load_state_dict(state, strict=True)


def assert_state_equal(state, reference):
    assert set(state) == set(reference)
    for key, value in state.items():
        assert torch.equal(value, reference[key]), key


@pytest.mark.parametrize('loader', ['runner', 'load_checkpoint'])
def test_separate_ddp_loads_through_mmengine(process_group, tmp_path,
                                             monkeypatch, loader):
    """mmengine's loader steps over the wrappers into the networks: the
    weights must arrive there, whichever entry point loads them. (Resume
    and tools/test.py under torchrun: tests/test_tools/test_distributed.py.)
    """
    trained = mcd()
    for param in trained.parameters():
        param.data.normal_()
    save_checkpoint(
        dict(state_dict=trained.state_dict()), str(tmp_path / 'trained.pth'))
    reference = trained.state_dict()
    monkeypatch.setenv('LOCAL_RANK', '0')
    if loader == 'load_checkpoint':
        wrapper = SeparateDistributedDataParallel(mcd(), device_ids=[0])
        load_checkpoint(wrapper, str(tmp_path / 'trained.pth'), strict=True)
        model = wrapper.module
    else:
        runner = RUNNERS.build(
            dict(
                runner_type='AdapterRunner',
                model=dict(
                    type='MCD',
                    backbone=dict(type='DigitCNN'),
                    classifier=HEAD),
                work_dir=str(tmp_path / 'work'),
                launcher='pytorch',
                load_from=str(tmp_path / 'trained.pth'),
                model_wrapper_cfg=dict(
                    type='dfa_lab.SeparateDistributedDataParallel'),
                default_scope='dfa_lab'))
        assert isinstance(runner.model, SeparateDistributedDataParallel)
        runner.load_or_resume()
        model = runner.model.module
    assert_state_equal(get_state_dict(model), reference)
    assert_state_equal(model.state_dict(), reference)
