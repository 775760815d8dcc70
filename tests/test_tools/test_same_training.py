"""tools/same_training.py: whether an earlier commit trains a run as the
current checkout does."""
import shutil
import subprocess
import sys

import pytest
import torch
from benchmarking import RunResult
from benchmarking.code_drift import checkout_at, compare_state_dicts

from .helpers import REPO

CONFIG = 'configs/source_only/syndigits_ucidigits.py'
TINY = [
    'train_dataloader.batch_size=16',
    'train_dataloader.dataset.source.num_samples=128'
]


def test_compare_state_dicts_counts_equal_tensors_and_largest_difference():
    first = {
        'a': torch.tensor([1.0, 2.0]),
        'b': torch.tensor([0.0, 3.0]),
        'c': torch.zeros(2),
        'd': torch.zeros(1)
    }
    second = {
        'a': torch.tensor([1.0, 2.0]),
        'b': torch.tensor([0.5, 1.0]),  # differs by 0.5 and 2.0
        'c': torch.zeros(3),  # another shape
        'e': torch.zeros(1)  # only here
    }
    comparison = compare_state_dicts(first, second)
    assert comparison.tensors == 5
    assert comparison.equal == 1
    assert comparison.max_abs_difference == 2.0
    assert comparison.unmatched == ['c', 'd', 'e']
    assert not comparison.identical
    assert compare_state_dicts(first, dict(first)).identical


def git(repository, *args):
    return subprocess.run([
        'git', '-C',
        str(repository), '-c', 'user.name=dfa_lab', '-c',
        'user.email=dfa_lab@localhost', *args
    ],
                          check=True,
                          capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repository(tmp_path):
    """A git repository holding this checkout's package, configs and
    tools, committed once."""
    root = tmp_path / 'repo'
    for folder in ('dfa_lab', 'configs', 'tools'):
        shutil.copytree(
            REPO / folder,
            root / folder,
            ignore=shutil.ignore_patterns('__pycache__'))
    git(tmp_path, 'init', '--quiet', str(root))
    git(root, 'add', '.')
    git(root, 'commit', '--quiet', '-m', 'first')
    return root


def same_training(repository, *args):
    return subprocess.run(
        [
            sys.executable, 'tools/same_training.py', *map(str, args),
            '--iters', '2'
        ],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=600)


def test_same_training_passes_unchanged_code_and_catches_a_change(
        repository, tmp_path):
    result = tmp_path / 'run' / 'result.json'
    result.parent.mkdir()
    RunResult(
        config=CONFIG,
        seed=1,
        cfg_options=TINY,
        max_iters=2000,
        minutes=1.0,
        resumed=False,
        validations=[(2000, {
            'target/accuracy': 90.0
        })],
        final_metrics={
            'target/accuracy': 90.0
        },
        code_version=git(repository, 'rev-parse', 'HEAD')).dump(str(result))

    unchanged = same_training(repository, result.parent)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert '| yes |' in unchanged.stdout

    # A change of the training (a learning rate) in the current working tree.
    config = repository / CONFIG
    config.write_text(config.read_text() +
                      '\noptim_wrapper = dict(optimizer=dict(lr=0.5))\n')
    changed = same_training(repository, result, '--out',
                            tmp_path / 'table.md')
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert '| **no** |' in (tmp_path / 'table.md').read_text()
    # The worktree of the earlier commit is gone again.
    assert len(git(repository, 'worktree', 'list').splitlines()) == 1


def test_same_training_refuses_runs_no_commit_holds(repository, tmp_path):
    result = tmp_path / 'result.json'
    run = dict(
        config=CONFIG,
        seed=1,
        cfg_options=[],
        max_iters=2,
        minutes=1.0,
        resumed=False,
        validations=[],
        final_metrics={})
    RunResult(**run).dump(str(result))
    unknown = same_training(repository, result)
    assert unknown.returncode != 0
    assert 'records no code_version' in unknown.stderr
    with pytest.raises(ValueError, match='uncommitted changes'):
        with checkout_at(str(repository), 'abc123-dirty'):
            pass
    with pytest.raises(ValueError, match='not a commit'):
        with checkout_at(str(repository), '0' * 40):
            pass
