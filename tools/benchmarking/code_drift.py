"""Whether a run recorded by an earlier commit trains as the current checkout
does: both train the run's config, seed and options for a few iterations,
and their final weights are compared tensor by tensor.

A benchmark's ``result.json`` names the commit that trained it
(``code_version``). Code moves on between the runs of a long study; a run
made earlier can be paired with runs of the current code only when the two
commits train its config identically, which identical weights and
BatchNorm statistics after the same iterations show (the same random
draws, the same arithmetic).
"""
import contextlib
import functools
import os
import os.path as osp
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence

import torch

from dfa_lab.utils.checkpoint import read_checkpoint

from .runs import SEED_KEY


@dataclass
class WeightComparison:
    """Two state dicts compared tensor by tensor.

    Attributes:
        tensors: Number of names in either state dict.
        equal: Names whose tensors are bit for bit the same in both.
        max_abs_difference: Largest absolute difference over the tensors
            present in both with the same shape (0.0 when all are equal).
        unmatched: Names present in one state dict only, or with another
            shape or dtype in the other.
    """
    tensors: int
    equal: int
    max_abs_difference: float
    unmatched: List[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.equal == self.tensors


def compare_state_dicts(first: Dict[str, torch.Tensor],
                        second: Dict[str, torch.Tensor]) -> WeightComparison:
    names = sorted(set(first) | set(second))
    equal, largest, unmatched = 0, 0.0, []
    for name in names:
        a, b = first.get(name), second.get(name)
        if (a is None or b is None or a.shape != b.shape
                or a.dtype != b.dtype):
            unmatched.append(name)
            continue
        if torch.equal(a, b):
            equal += 1
        elif a.numel():
            largest = max(largest,
                          (a.double() - b.double()).abs().max().item())
    return WeightComparison(len(names), equal, largest, unmatched)


@contextlib.contextmanager
def checkout_at(repository: str, revision: str) -> Iterator[str]:
    """A detached git worktree of ``repository`` at ``revision`` in a
    temporary folder, removed on exit.

    Raises:
        ValueError: ``revision`` is not a commit of ``repository`` (e.g. a
            shallow clone without it, or a ``-dirty`` version, whose
            uncommitted changes no commit holds).
    """
    if revision.endswith('-dirty'):
        raise ValueError(
            f'{revision} was trained with uncommitted changes: no commit '
            'holds the code that trained it.')
    known = subprocess.run(
        ['git', '-C', repository, 'cat-file', '-e', f'{revision}^{{commit}}'],
        capture_output=True)
    if known.returncode != 0:
        raise ValueError(f'{revision} is not a commit of {repository} (a '
                         'shallow clone lacks older commits: git fetch '
                         '--unshallow).')
    with tempfile.TemporaryDirectory(prefix='dfa_lab_checkout_') as parent:
        folder = osp.join(parent, revision[:12])
        subprocess.run([
            'git', '-C', repository, 'worktree', 'add', '--detach', '--quiet',
            folder, revision
        ],
                       check=True)
        try:
            yield folder
        finally:
            subprocess.run([
                'git', '-C', repository, 'worktree', 'remove', '--force',
                folder
            ],
                           check=True)


@functools.lru_cache(maxsize=None)
def check_imports_from(checkout: str) -> None:
    """Check, once per checkout, that a process run in ``checkout`` with it
    on ``PYTHONPATH`` imports that checkout's ``dfa_lab`` (and not, e.g., an
    installed copy).

    Raises:
        RuntimeError: Another copy of ``dfa_lab`` would be imported.
    """
    imported = subprocess.run(
        [sys.executable, '-c', 'import dfa_lab; print(dfa_lab.__file__)'],
        cwd=checkout,
        env=dict(os.environ, PYTHONPATH=checkout),
        capture_output=True,
        text=True)
    expected = osp.join(osp.realpath(checkout), 'dfa_lab', '__init__.py')
    if osp.realpath(imported.stdout.strip()) != expected:
        raise RuntimeError(
            f'Training in {checkout} would import dfa_lab from '
            f'{imported.stdout.strip() or imported.stderr.strip()}, not from '
            'the checkout.')


def train_briefly(checkout: str,
                  config: str,
                  seed: int,
                  cfg_options: Sequence[str],
                  iters: int,
                  work_dir: str,
                  data_root: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Train ``config`` (relative to ``checkout``) with ``checkout``'s own
    ``tools/train.py`` and ``dfa_lab`` for ``iters`` iterations, without
    validation, and return the final state dict.

    The run's options apply first, then those that make the run short
    (later options win).

    Raises:
        RuntimeError: Training failed (its log's end in the message), or
            another copy of ``dfa_lab`` than the checkout's was imported.
    """
    env = dict(os.environ, PYTHONPATH=checkout)
    env.setdefault('OMP_NUM_THREADS', '1')
    check_imports_from(checkout)
    command = [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--no-validate'
    ]
    if data_root is not None:
        command += ['--data-root', osp.abspath(data_root)]
    command += [
        '--cfg-options', f'{SEED_KEY}={seed}', *cfg_options,
        f'train_cfg.max_iters={iters}',
        f'default_hooks.checkpoint.interval={iters}'
    ]
    process = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        output = (process.stdout + process.stderr)[-3000:]
        raise RuntimeError(f'Training {config} in {checkout} failed:\n'
                           f'{output}')
    checkpoint = read_checkpoint(osp.join(work_dir, f'iter_{iters}.pth'))
    return checkpoint['state_dict']
