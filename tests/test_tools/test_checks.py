"""What tools/train.py and tools/test.py refuse, and how they say it."""
import argparse
import bz2
import importlib.util
import json
import re
import shutil
import sys

import numpy as np
import pytest
import torch
from dataset_files import write_idx

from dfa_lab.utils import add_common_arguments, load_config
from .helpers import REPO, TINY, evaluate, load, run, train

CONFIGS = {
    method: REPO / 'configs' / method / 'syndigits_ucidigits.py'
    for method in ('mcd', 'dfa_ent', 'dfa_mcd')
}


def options(config, *cfg_options):
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    return load_config(
        parser.parse_args([str(config), '--cfg-options', *cfg_options]))


def test_misspelled_top_level_option_is_refused_with_the_closest_names():
    with pytest.raises(
            KeyError,
            match=r"'train_cfgg' is neither a Runner "
            r'setting nor defined in the config.*Did you mean '
            'train_cfg'):
        options(CONFIGS['mcd'], 'train_cfgg.max_iters=5')
    # Runner settings, and the config's own variables, are accepted.
    cfg = options(CONFIGS['dfa_mcd'], 'train_cfg.max_iters=5', 'sync_bn=torch',
                  'dfa_aligner.alpha=1', 'source_train.num_samples=64',
                  'load_strict=False')
    assert cfg.train_cfg.max_iters == 5 and cfg.sync_bn == 'torch'


@pytest.mark.slow
def test_nan_loss_stops_training_and_keeps_the_good_checkpoints(tmp_path):
    log = train(
        CONFIGS['dfa_ent'],
        tmp_path,
        expect_ok=False,
        options=[
            'optim_wrapper.optimizer.lr=1e8', 'train_cfg.max_iters=20',
            'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1'
        ])
    stop = re.search(
        r'FloatingPointError: Non-finite (loss at|values after) '
        r'iteration (\d+)', log)
    assert stop, log[-3000:]
    last_good = int(stop.group(2)) - 1
    written = sorted(
        tmp_path.glob('iter_*.pth'),
        key=lambda path: load(path)['meta']['iter'])
    # Two are kept: the last two before the failure are still there.
    assert [load(path)['meta']['iter']
            for path in written] == [last_good - 1, last_good]
    for path in written:
        checkpoint = load(path)
        for value in checkpoint['state_dict'].values():
            assert torch.isfinite(value.float()).all(), path
    assert f'the last checkpoint written is {written[-1]}' in log


@pytest.mark.slow
def test_nan_loss_error_names_the_term_and_iteration(tmp_path):
    log = train(
        CONFIGS['dfa_ent'],
        tmp_path,
        expect_ok=False,
        options=[
            'optim_wrapper.optimizer.lr=1e8', 'train_cfg.max_iters=20',
            'train_cfg.val_interval=100',
            'default_hooks.checkpoint.interval=100'
        ])
    assert re.search(
        r'FloatingPointError: Non-finite loss at iteration '
        r'\d+: (loss\w* = (nan|inf)(, )?)+\. Training stops '
        r'here', log), log[-3000:]
    assert not list(tmp_path.glob('iter_*.pth'))


@pytest.mark.slow
def test_infinite_running_variance_is_never_saved(tmp_path):
    log = train(
        CONFIGS['mcd'],
        tmp_path,
        expect_ok=False,
        options=[
            'model.num_k=2', 'optim_wrapper.generator.optimizer.lr=1e10',
            'optim_wrapper.classifiers.optimizer.lr=1e10',
            'train_cfg.max_iters=5', 'train_cfg.val_interval=100',
            'default_hooks.checkpoint.interval=1'
        ])
    assert re.search(
        r'FloatingPointError: Non-finite values after '
        r'iteration \d+ in .*running_var', log), log[-3000:]
    for path in tmp_path.glob('iter_*.pth'):
        for value in load(path)['state_dict'].values():
            assert torch.isfinite(value.float()).all(), path


@pytest.mark.slow
def test_test_tool_loads_strictly_unless_asked(tmp_path):
    train(
        CONFIGS['mcd'],
        tmp_path,
        options=[
            'model.num_k=2', 'train_cfg.max_iters=1',
            'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1'
        ])
    checkpoint = tmp_path / 'iter_1.pth'
    out = tmp_path / 'metrics.json'
    log = evaluate(CONFIGS['dfa_mcd'], checkpoint, out, expect_ok=False)
    assert f'Checkpoint {checkpoint} does not fit the model (MCD)' in log
    assert 'aligner.decoder.bns.0.running_mean' in log
    assert not out.exists()
    log = evaluate(CONFIGS['dfa_mcd'], checkpoint, out, '--non-strict')
    assert 'Loading' in log and 'non-strictly' in log
    assert 0 <= json.loads(out.read_text())['target/accuracy'] <= 100
    # A damaged checkpoint is named, with the cause.
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    log = evaluate(CONFIGS['mcd'], checkpoint, out, expect_ok=False)
    assert f'Checkpoint {checkpoint} cannot be read: the archive is ' \
        'truncated' in log


def load_train_tool():
    spec = importlib.util.spec_from_file_location('train_tool',
                                                  REPO / 'tools' / 'train.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('method, option, message', [
    ('mcd', 'train_cfg.max_iters=-5',
     'train_cfg.max_iters must be a positive integer, got -5.'),
    ('mcd', 'train_cfg.val_interval=0',
     'train_cfg.val_interval must be a positive integer, got 0.'),
    ('mcd', 'randomness.seed=abc',
     "randomness.seed must be an integer (or None to draw one), got 'abc'."),
    ('dfa_mcd', 'model.aligner.alpha=-1',
     'DFA alpha (model.aligner.alpha) must be a non-negative weight, got -1'),
    ('dfa_mcd', 'model.aligner.beta=-1',
     'DFA beta (model.aligner.beta) must be a non-negative weight, got -1'),
])
def test_bad_values_are_refused_when_the_run_is_built(tmp_path, method, option,
                                                      message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_train_tool().main([
            str(CONFIGS[method]), '--work-dir',
            str(tmp_path), '--cfg-options', *TINY, 'model.num_k=2',
            'train_cfg.max_iters=2', option
        ])
    assert not list(tmp_path.glob('iter_*.pth'))


def write_config(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize('broken', ['leaf', 'base'])
def test_a_config_syntax_error_names_the_file_and_line(tmp_path, broken):
    base = write_config(
        tmp_path / 'configs' / '_base_' / 'schedule.py',
        'train_cfg = dict(max_iters=3\n'
        if broken == 'base' else 'train_cfg = dict(max_iters=3)\n')
    leaf = write_config(
        tmp_path / 'configs' / 'mine' / 'task.py',
        f"_base_ = ['{CONFIGS['mcd']}', '../_base_/schedule.py']\n"
        'model = dict(num_k=2\n' if broken == 'leaf' else
        f"_base_ = ['{CONFIGS['mcd']}', '../_base_/schedule.py']\n")
    broken_file = leaf if broken == 'leaf' else base
    with pytest.raises(SyntaxError) as error:
        options(leaf, 'model.num_k=2')
    assert error.value.filename == str(broken_file)
    assert error.value.lineno == (2 if broken == 'leaf' else 1)


def copy_digit_files(data_root, tmp_path):
    """A data root with copies of the MNIST and USPS files, to change."""
    root = tmp_path / 'data'
    for name in ('mnist', 'usps'):
        shutil.copytree(data_root / name, root / name)
    return root


def relabel_usps(path, label):
    """Give the first digit of a USPS file the label ``label``."""
    with bz2.open(path, 'rt') as file:
        lines = file.readlines()
    lines[0] = f'{label + 1} ' + lines[0].split(' ', 1)[1]
    with bz2.open(path, 'wt') as file:
        file.writelines(lines)


def train_on_files(data_root, work_dir, *options, expect_ok=True):
    """tools/train.py on MNIST->USPS from ``data_root``, one iteration."""
    return run([
        sys.executable, 'tools/train.py', 'configs/mcd/mnist_usps.py',
        '--data-root',
        str(data_root), '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_iters=1',
        'train_cfg.val_interval=1', 'train_dataloader.batch_size=8',
        'val_dataloader.batch_size=64', 'model.num_k=1', *options
    ],
               expect_ok=expect_ok)


@pytest.mark.slow
def test_a_source_label_outside_the_classes_is_refused_at_build(
        data_root, tmp_path):
    root = copy_digit_files(data_root, tmp_path)
    labels = np.arange(2100) % 10
    labels[::7] = 10
    write_idx(root / 'mnist' / 'MNIST' / 'raw' / 'train-labels-idx1-ubyte',
              labels)
    log = train_on_files(root, tmp_path / 'work', expect_ok=False)
    assert ('ValueError: train_dataloader.dataset.source (MNIST, train '
            f'split, root {root}/mnist) has the label 10') in log
    assert "the model's classifiers have num_classes=10." in log
    assert 'IndexError' not in log


@pytest.mark.slow
def test_a_target_test_label_outside_the_classes_is_refused(
        data_root, tmp_path):
    root = copy_digit_files(data_root, tmp_path)
    relabel_usps(root / 'usps' / 'usps.t.bz2', 10)
    refusal = (f'(USPS, test split, root {root}/usps) has the label 10 (1 '
               'of its 110 labels are outside 0..9)')
    log = train_on_files(root, tmp_path / 'work', expect_ok=False)
    assert 'ValueError: val_dataloader.dataset ' + refusal in log
    checkpoint = tmp_path / 'work' / 'iter_1.pth'
    assert not checkpoint.exists()
    train_on_files(data_root, tmp_path / 'work')
    log = evaluate(
        'configs/mcd/mnist_usps.py',
        checkpoint,
        tmp_path / 'metrics.json',
        '--data-root',
        str(root),
        options=['model.num_k=1'],
        expect_ok=False)
    assert 'ValueError: test_dataloader.dataset ' + refusal in log
    assert not (tmp_path / 'metrics.json').exists()


@pytest.mark.slow
def test_an_empty_training_domain_is_refused_before_training(
        data_root, tmp_path):
    root = copy_digit_files(data_root, tmp_path)
    (root / 'usps' / 'usps.bz2').write_bytes(bz2.compress(b''))
    log = train_on_files(
        root,
        tmp_path / 'work',
        'train_dataloader.dataset.target.subset_size=None',
        expect_ok=False)
    assert ('ValueError: The target dataset of UDAPairDataset (USPS, train '
            f'split, root {root}/usps) is empty') in log


@pytest.mark.slow
def test_test_tool_creates_the_folder_of_its_output(tmp_path):
    train(
        CONFIGS['mcd'],
        tmp_path,
        options=[
            'model.num_k=2', 'train_cfg.max_iters=1',
            'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1'
        ])
    out = tmp_path / 'results' / 'mcd' / 'metrics.json'
    run([
        sys.executable, 'tools/test.py',
        str(CONFIGS['mcd']),
        str(tmp_path / 'iter_1.pth'), '--out',
        str(out), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', 'model.num_k=2'
    ])
    assert 0 <= json.loads(out.read_text())['target/accuracy'] <= 100
