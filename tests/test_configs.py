"""Every leaf config builds: its model, its optimizers and its datasets
(or, for data that is not here, the clear missing-data error); each
setting comes from the one file that owns it."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.datasets import DatasetNotFoundError
from dfa_lab.registry import DATASETS, MODELS
from dfa_lab.utils import (check_model_selection, enable_autocast,
                           set_data_root)

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
LEAF_CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
SCHEDULES = sorted((CONFIG_ROOT / '_base_' / 'schedules').glob('*.py'))
ABSENT_DATA = ('svhn_mnist', 'synsigns_gtsrb', 'office31', 'office_home',
               'image_clef', 'visda2017')
# <optimizer>_lr<learning rate>_bs<batch size>[_mcd]
SCHEDULE_NAME = re.compile(
    r'(?P<optimizer>[a-z]+)_lr(?P<lr>[0-9.e-]+)_bs(?P<batch>[0-9]+)'
    r'(?P<mcd>_mcd)?')


def config_id(path):
    return str(path.relative_to(CONFIG_ROOT).with_suffix(''))


def test_configs_are_found():
    folders = {p.relative_to(CONFIG_ROOT).parts[0] for p in LEAF_CONFIGS}
    assert {'source_only', 'ent', 'mcd', 'dfa_ent', 'dfa_mcd', 'safn',
            'dfa_safn', 'ablations'} == folders


@pytest.mark.parametrize('path', LEAF_CONFIGS,
                         ids=[config_id(p) for p in LEAF_CONFIGS])
def test_config_builds(path, shared_data):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'dfa_lab'
    if cfg.model.backbone.get('pretrained'):
        cfg.model.backbone.pretrained = False  # nothing is downloaded here
    model = MODELS.build(cfg.model)
    build_optim_wrapper(model, cfg.optim_wrapper)
    assert cfg.train_cfg.max_iters % cfg.train_cfg.val_interval == 0
    if 'data_root' in cfg:
        set_data_root(cfg, str(shared_data))
    else:
        cfg.train_dataloader.dataset.source.num_samples = 100
    train, test = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    if path.stem.endswith(ABSENT_DATA):
        with pytest.raises(DatasetNotFoundError, match=str(shared_data)):
            DATASETS.build(train)
        return
    pairs = DATASETS.build(train)
    item = pairs[(0, 0)]
    assert item['source']['img'].shape == item['target']['img'].shape
    assert 'label' not in item['target']
    assert len(DATASETS.build(test)) > 0


@pytest.mark.parametrize('path', SCHEDULES, ids=[p.stem for p in SCHEDULES])
def test_schedule_names_say_optimizer_rate_and_batch(path):
    name = SCHEDULE_NAME.fullmatch(path.stem)
    assert name is not None, path.name
    cfg = Config.fromfile(path)
    # Schedules hold optimizers only; the task's base config owns train_cfg.
    assert set(cfg.keys()) == {
        'optim_wrapper', 'param_scheduler', 'auto_scale_lr'
    }
    optim_wrapper = cfg.optim_wrapper
    if name['mcd']:
        assert optim_wrapper.constructor == 'MultiOptimWrapperConstructor'
        wrappers = [optim_wrapper.generator, optim_wrapper.classifiers]
    else:
        assert 'constructor' not in optim_wrapper
        wrappers = [optim_wrapper]
    for wrapper in wrappers:
        assert wrapper.optimizer.type.lower() == name['optimizer']
        assert wrapper.optimizer.lr == float(name['lr'])
    assert cfg.auto_scale_lr.base_batch_size == int(name['batch'])


@pytest.mark.parametrize('path', LEAF_CONFIGS,
                         ids=[config_id(p) for p in LEAF_CONFIGS])
def test_batch_and_training_length_come_from_schedule_and_task(path):
    cfg = Config.fromfile(path)
    # The batch size the schedule's learning rate is meant for.
    assert cfg.train_dataloader.batch_size == cfg.auto_scale_lr.base_batch_size
    task = Config.fromfile(CONFIG_ROOT / '_base_' / 'datasets' / path.name)
    assert cfg.train_cfg == task.train_cfg
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'


def test_usps_framing_is_explicit():
    cfg = Config.fromfile(CONFIG_ROOT / 'mcd' / 'mnist_usps.py')
    assert cfg.train_dataloader.dataset.target.content_size == 20
    assert cfg.val_dataloader.dataset.content_size == 20


def test_set_data_root_moves_every_dataset():
    cfg = Config.fromfile(CONFIG_ROOT / 'mcd' / 'mnist_usps.py')
    # A dataset whose data_root is written out, not taken from the
    # config's variable, moves too.
    cfg.val_dataloader.dataset.data_root = '/elsewhere'
    set_data_root(cfg, '/datasets')
    assert cfg.data_root == '/datasets'
    for dataset in (cfg.train_dataloader.dataset.source,
                    cfg.train_dataloader.dataset.target,
                    cfg.val_dataloader.dataset, cfg.test_dataloader.dataset):
        assert dataset.data_root == '/datasets'
    embedded = Config.fromfile(
        CONFIG_ROOT / 'mcd' / 'syndigits_ucidigits.py')
    with pytest.raises(KeyError, match='No dataset of this config takes a '
                       'data_root'):
        set_data_root(embedded, '/datasets')


def test_enable_autocast_covers_every_optimizer():
    cfg = Config.fromfile(CONFIG_ROOT / 'mcd' / 'mnist_usps.py')
    enable_autocast(cfg)
    assert cfg.optim_wrapper.generator.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.classifiers.type == 'AutocastOptimWrapper'
    single = Config.fromfile(CONFIG_ROOT / 'ent' / 'mnist_usps.py')
    enable_autocast(single)
    assert single.optim_wrapper.type == 'AutocastOptimWrapper'
    single.optim_wrapper.type = 'AmpOptimWrapper'
    with pytest.raises(ValueError, match='AmpOptimWrapper'):
        enable_autocast(single)


def test_checkpoint_selection_on_target_labels_must_say_oracle():
    cfg = Config.fromfile(CONFIG_ROOT / 'mcd' / 'mnist_usps.py')
    check_model_selection(cfg)
    cfg.default_hooks.checkpoint.save_best = 'target/accuracy'
    with pytest.raises(ValueError, match='oracle'):
        check_model_selection(cfg)
    cfg.val_evaluator = dict(type='TargetAccuracy', prefix='oracle')
    cfg.default_hooks.checkpoint.save_best = 'oracle/accuracy'
    check_model_selection(cfg)
