"""What tools/train.py and tools/test.py refuse, and how they say it."""
import argparse
import json
import re

import pytest
import torch

from dfa_lab.utils import add_common_arguments, load_config
from .helpers import REPO, evaluate, load, train

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
