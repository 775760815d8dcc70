"""torch.compile by config: adapters compile their networks, the Runner's
``compile`` option calls that, and compiled training computes what eager
training computes."""
import copy
import importlib.util
import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.engine import AdapterRunner, SeparateDistributedDataParallel
from dfa_lab.registry import MODELS, RUNNERS
from dfa_lab.utils import unwrap

REPO = Path(__file__).resolve().parents[2]
DFA_MCD = REPO / 'configs/dfa_mcd/syndigits_ucidigits.py'
DFA = dict(type='DFA', alpha=0.01, beta=10.0)
ADAM = dict(type='Adam', lr=1e-3)
SINGLE = dict(type='OptimWrapper', optimizer=ADAM)
MULTI = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(modules=['backbone', 'aligner'], optimizer=ADAM),
    classifiers=dict(optimizer=ADAM))
MLP = dict(
    type='MLPHead',
    hidden_channels=(32, ),
    num_classes=4,
    input_dropout=0.5,
    hidden_dropout=0.5)
# Every adapter with the DFA aligner on the digit network, with its
# optimizers and the key of its total loss.
ADAPTERS = {
    'SourceOnly': (dict(type='SourceOnly', classifier=MLP), SINGLE, ['loss']),
    'ENT': (dict(type='ENT', classifier=MLP), SINGLE, ['loss']),
    'MCD':
    (dict(type='MCD', num_k=2,
          classifier=MLP), MULTI, ['step1/loss', 'step2/loss', 'step3/loss']),
    'SAFN': (dict(
        type='SAFN',
        classifier=dict(type='SAFNHead', embed_channels=32,
                        num_classes=4)), SINGLE, ['loss']),
}
#: Largest relative difference between the losses of a compiled and an
#: eager run: in the first iteration, where only the order of the compiled
#: kernels' sums differs; and after updates, which Adam makes from
#: gradients divided by their running RMS, so that rounding differences in
#: gradients near zero move parameters by up to a learning rate.
FIRST_LOSS_RTOL = 1e-5
LOSS_RTOL = 1e-3
ITERATIONS = 3


def batch(n=8):
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 4
    source = torch.randn(n, 1, 28, 28, generator=g) * 0.1
    source[:, :, :7] += labels.view(-1, 1, 1, 1).float()
    target = source + 0.3 * torch.randn(n, 1, 28, 28, generator=g)
    return dict(source=dict(img=source, label=labels), target=dict(img=target))


def build(adapter):
    model_cfg, optim, keys = ADAPTERS[adapter]
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            model_cfg,
            backbone=dict(type='DigitCNN', arch='usps'),
            aligner=DFA))
    return model, optim, keys


def train(model, optim, keys, iterations=ITERATIONS):
    """The total losses of ``iterations`` iterations, with the torch
    generator seeded alike before each."""
    wrapper = build_optim_wrapper(model, optim)
    losses = []
    for index in range(iterations):
        torch.manual_seed(index)
        log_vars = model.train_step(batch(), wrapper)
        losses.append([log_vars[key].item() for key in keys])
    return losses


def test_compile_covers_backbone_classifiers_and_decoder():
    model, _, _ = build('MCD')
    keys = list(model.state_dict())
    model.compile(backend='eager')
    assert model.networks() == [
        model.backbone, model.classifiers, model.aligner.decoder
    ]
    # nn.Module.compile keeps the module and its state dict keys.
    assert all(net._compiled_call_impl is not None for net in model.networks())
    assert list(model.state_dict()) == keys
    assert model._compiled_call_impl is None


@pytest.mark.slow
@pytest.mark.parametrize('adapter', list(ADAPTERS))
def test_compiled_training_matches_eager(adapter):
    model, optim, keys = build(adapter)
    compiled = copy.deepcopy(model)
    eager = train(model, optim, keys)
    # Inductor draws dropout masks with its own generator unless told to
    # use torch's, as eager mode does.
    with torch._inductor.config.patch(fallback_random=True):
        compiled.compile()
        losses = train(compiled, optim, keys)
    assert_agree(losses, eager)


def assert_agree(losses, reference):
    assert losses[0] == pytest.approx(reference[0], rel=FIRST_LOSS_RTOL)
    for step in range(1, len(reference)):
        assert losses[step] == pytest.approx(
            reference[step], rel=LOSS_RTOL), step


def tiny_config(work_dir, **options):
    cfg = Config.fromfile(DFA_MCD)
    cfg.merge_from_dict({
        'work_dir': str(work_dir),
        'train_dataloader.dataset.source.num_samples': 64,
        'train_dataloader.batch_size': 8,
        'model.num_k': 2,
        'train_cfg.max_iters': 2,
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': 2,
        'log_level': 'WARNING',
        **options
    })
    return cfg


@pytest.mark.slow
def test_runner_compiles_networks_not_train_step(tmp_path):
    runner = RUNNERS.build(
        tiny_config(
            tmp_path / 'compiled',
            compile=dict(backend='eager'),
            experiment_name='compiled'))
    assert isinstance(runner, AdapterRunner)
    runner.train()
    model = unwrap(runner.model)
    assert model.train_step.__func__ is type(model).train_step
    assert all(net._compiled_call_impl is not None for net in model.networks())

    eager = RUNNERS.build(
        tiny_config(tmp_path / 'eager', experiment_name='eager'))
    eager.train()
    assert all(
        net._compiled_call_impl is None
        for net in unwrap(eager.model).networks())
    compiled_state = torch.load(
        tmp_path / 'compiled' / 'iter_2.pth', weights_only=False)['state_dict']
    eager_state = torch.load(
        tmp_path / 'eager' / 'iter_2.pth', weights_only=False)['state_dict']
    assert list(compiled_state) == list(eager_state)

    # A compiled run resumes from the eager run's checkpoint.
    resumed = RUNNERS.build(
        tiny_config(
            tmp_path / 'eager',
            compile=dict(backend='eager'),
            resume=True,
            experiment_name='resumed',
            **{'train_cfg.max_iters': 4}))
    resumed.train()
    assert resumed.iter == 4


def test_runner_refuses_a_compile_option_of_the_wrong_type(tmp_path):
    runner = RUNNERS.build(
        tiny_config(tmp_path, compile='yes', experiment_name='wrong'))
    with pytest.raises(TypeError, match='compile option'):
        runner._maybe_compile('train_step')


@pytest.fixture
def process_group(tmp_path):
    os.environ.setdefault('LOCAL_RANK', '0')
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


@pytest.mark.slow
def test_compiled_networks_under_the_distributed_wrapper(process_group):
    model, optim, keys = build('MCD')
    reference_keys = list(model.state_dict())
    eager = train(copy.deepcopy(model), optim, keys)
    wrapper = SeparateDistributedDataParallel(model)
    wrapper.module.compile(backend='aot_eager')
    assert [type(net).__name__ for net in wrapper.module.networks()
            ] == ['DigitCNN', 'ClassifierSet', 'DigitDecoder']
    assert_agree(train(wrapper.module, optim, keys), eager)
    assert list(wrapper.module.state_dict()) == reference_keys


def load_train_tool():
    spec = importlib.util.spec_from_file_location('train_tool',
                                                  REPO / 'tools' / 'train.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('flag, options, expected', [
    ([], {}, None),
    (['--compile'], {}, dict(mode='default')),
    (['--compile', 'reduce-overhead'], dict(compile=dict(dynamic=False)),
     dict(dynamic=False, mode='reduce-overhead')),
])
def test_train_compile_flag(flag, options, expected):
    tool = load_train_tool()
    args = tool.parse_args([str(DFA_MCD), *flag])
    cfg = Config.fromfile(DFA_MCD)
    cfg.merge_from_dict(options)
    assert tool.merge_train_args(cfg, args).get('compile') == expected
