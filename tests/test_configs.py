"""Every leaf config builds: its model, its optimizers and, on the tests'
data folder, its datasets; each setting comes from the one file that owns
it; names and work dirs follow configs/<method>/<task>.py."""
import argparse
import os.path as osp
import re
import shutil
from pathlib import Path

import pytest
from benchmarking import parse_config_name
from benchmarking.config_name import method_label
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.datasets import DatasetNotFoundError
from dfa_lab.registry import DATASETS, MODELS
from dfa_lab.utils import (add_common_arguments, check_model_selection,
                           enable_autocast, load_config, parse_arguments,
                           set_data_root)

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
LEAF_CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
SCHEDULES = sorted((CONFIG_ROOT / '_base_' / 'schedules').glob('*.py'))
TASKS = sorted({p.name for p in LEAF_CONFIGS})
# One config per task on dataset files, and the file it reads first.
FIRST_FILE_READ = {
    'mcd/mnist_usps.py': 'mnist/MNIST/raw/train-images-idx3-ubyte',
    'mcd/usps_mnist.py': 'usps/usps.bz2',
    'mcd/svhn_mnist.py': 'svhn/train_32x32.mat',
    'mcd/synsigns_gtsrb.py': 'synsigns/train_labelling.txt',
    'mcd/office31.py': 'office31',
    'mcd/office_home.py': 'office_home',
    'mcd/image_clef.py': 'image_clef',
    'mcd/visda2017.py': 'visda2017',
}
# <optimizer>_lr<learning rate>_bs<batch size>[_mcd][_annealed]
SCHEDULE_NAME = re.compile(
    r'(?P<optimizer>[a-z]+)_lr(?P<lr>[0-9.e-]+)_bs(?P<batch>[0-9]+)'
    r'(?P<mcd>_mcd)?(?P<annealed>_annealed)?')


def config_id(path):
    return str(path.relative_to(CONFIG_ROOT).with_suffix(''))


def test_configs_are_found():
    folders = {p.relative_to(CONFIG_ROOT).parts[0] for p in LEAF_CONFIGS}
    assert {
        'source_only', 'ent', 'mcd', 'dfa_ent', 'dfa_mcd', 'safn', 'dfa_safn',
        'dann', 'dfa_dann', 'cdan', 'dfa_cdan', 'ablations'
    } == folders


@pytest.mark.parametrize(
    'path', LEAF_CONFIGS, ids=[config_id(p) for p in LEAF_CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'dfa_lab'
    if cfg.model.backbone.get('pretrained'):
        cfg.model.backbone.pretrained = False  # nothing is downloaded here
    model = MODELS.build(cfg.model)
    build_optim_wrapper(model, cfg.optim_wrapper)
    assert cfg.train_cfg.max_iters % cfg.train_cfg.val_interval == 0
    # The datasets are the task's, built in test_task_datasets_build.
    task = Config.fromfile(CONFIG_ROOT / '_base_' / 'datasets' / path.name)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset == task[loader].dataset


@pytest.mark.parametrize('task', TASKS)
def test_task_datasets_build(task, data_root):
    cfg = Config.fromfile(CONFIG_ROOT / '_base_' / 'datasets' / task)
    if 'data_root' in cfg:
        assert cfg.data_root == 'data'
        set_data_root(cfg, str(data_root))
    else:
        cfg.train_dataloader.dataset.source.num_samples = 100
    train, test = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
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
    assert set(
        cfg.keys()) == {'optim_wrapper', 'param_scheduler', 'auto_scale_lr'}
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
    # Annealed schedules anneal the rate over the whole training length
    # (the Runner sets InvLR's end to train_cfg.max_iters); the others keep
    # it constant.
    if name['annealed']:
        assert [dict(s) for s in cfg.param_scheduler] == [
            dict(type='InvLR', gamma=10.0, power=0.75, by_epoch=False)
        ]
    else:
        assert cfg.param_scheduler == []


@pytest.mark.parametrize(
    'path', LEAF_CONFIGS, ids=[config_id(p) for p in LEAF_CONFIGS])
def test_batch_and_training_length_come_from_schedule_and_task(path):
    cfg = Config.fromfile(path)
    # The batch size the schedule's learning rate is meant for.
    assert cfg.train_dataloader.batch_size == cfg.auto_scale_lr.base_batch_size
    task = Config.fromfile(CONFIG_ROOT / '_base_' / 'datasets' / path.name)
    assert cfg.train_cfg == task.train_cfg
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'


@pytest.mark.parametrize('config, expected', FIRST_FILE_READ.items())
def test_datasets_read_the_data_folder_by_default(config, expected, tmp_path,
                                                  monkeypatch):
    # Without --data-root, every dataset reads data/<its folder>.
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(CONFIG_ROOT / config)
    with pytest.raises(
            DatasetNotFoundError, match=str(tmp_path / 'data' / expected)):
        DATASETS.build(cfg.train_dataloader.dataset)


def cli_config(argv):
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    return load_config(parse_arguments(parser, argv))


def test_a_variant_is_a_config_of_a_few_lines(tmp_path, monkeypatch):
    configs = tmp_path / 'configs'
    shutil.copytree(CONFIG_ROOT, configs)
    variant = configs / 'dfa_mcd' / 'my_variant' / 'mnist_usps.py'
    variant.parent.mkdir()
    variant.write_text("_base_ = ['../mnist_usps.py']\n"
                       'model = dict(aligner=dict(beta=1.0))\n')
    cfg = Config.fromfile(variant)
    dfa_mcd = Config.fromfile(CONFIG_ROOT / 'dfa_mcd' / 'mnist_usps.py')
    assert cfg.model.aligner == dict(dfa_mcd.model.aligner, beta=1.0)
    assert cfg.train_cfg == dfa_mcd.train_cfg
    name = parse_config_name(str(variant))
    assert name == ('dfa_mcd/my_variant', 'mnist_usps')
    assert method_label(name.method) == 'DFA-MCD (my_variant)'
    monkeypatch.chdir(tmp_path)
    assert cli_config([str(variant)
                       ]).work_dir == osp.join('./work_dirs', 'dfa_mcd',
                                               'my_variant', 'mnist_usps')
    assert cli_config(['configs/ablations/kld/mnist_usps.py']).work_dir == \
        osp.join('./work_dirs', 'ablations', 'kld', 'mnist_usps')


def test_work_dir_of_a_config_outside_configs(tmp_path):
    config = tmp_path / 'my_config.py'
    config.write_text(
        f"_base_ = ['{CONFIG_ROOT / 'mcd' / 'syndigits_ucidigits.py'}']\n")
    assert cli_config([str(config)]).work_dir == './work_dirs/my_config'
    assert cli_config([str(config), '--work-dir', 'here']).work_dir == 'here'


def test_every_method_folder_has_a_readme_listing_its_configs():
    methods = [
        folder for folder in CONFIG_ROOT.iterdir()
        if folder.is_dir() and folder.name not in ('_base_', '__pycache__')
    ]
    assert {folder.name
            for folder in methods} >= {
                'source_only', 'ent', 'mcd', 'safn', 'dann', 'cdan', 'dfa_ent',
                'dfa_mcd', 'dfa_safn', 'dfa_dann', 'dfa_cdan', 'ablations'
            }
    assert [
        folder.name for folder in methods
        if not (folder / 'README.md').is_file()
    ] == []
    repo = CONFIG_ROOT.parent
    for folder in methods:
        # The configs directly in the folder; a folder of sub-folders only
        # (ablations: one per Table-8 row) lists theirs.
        configs = sorted(folder.glob('*.py')) or sorted(folder.rglob('*.py'))
        text = (folder / 'README.md').read_text()
        assert [
            config.relative_to(repo).as_posix() for config in configs
            if config.relative_to(repo).as_posix() not in text
        ] == [], folder / 'README.md'


def test_readmes_and_results_name_existing_configs():
    repo = CONFIG_ROOT.parent
    documents = [
        repo / 'README.md', *(repo / 'docs').rglob('*.md'),
        *CONFIG_ROOT.glob('*/README.md')
    ]
    named = {}
    for document in documents:
        for name in re.findall(r'(?<!\w)configs/[\w/.-]+?\.py',
                               document.read_text()):
            named.setdefault(name, document.relative_to(repo).as_posix())
    assert 'configs/dfa_mcd/mnist_usps.py' in named
    assert {
        name: document
        for name, document in named.items() if not (repo / name).is_file()
    } == {}


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
    embedded = Config.fromfile(CONFIG_ROOT / 'mcd' / 'syndigits_ucidigits.py')
    with pytest.raises(
            KeyError, match='No dataset of this config takes a '
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
