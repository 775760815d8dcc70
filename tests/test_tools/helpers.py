"""Running tools/ in subprocesses, as users do."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
# A few hundred rendered digits and tiny batches: seconds per run.
TINY = [
    'train_dataloader.dataset.source.num_samples=256',
    'train_dataloader.batch_size=16',
    'val_dataloader.batch_size=200',
    'test_dataloader.batch_size=200',
    'default_hooks.logger.interval=1',
]


def run(args, expect_ok=True, env_extra=None):
    """Run ``args`` from the repository root; check the exit status."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(REPO),
        **(env_extra or {}))
    result = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    if expect_ok:
        assert result.returncode == 0, output[-5000:]
    else:
        assert result.returncode != 0, output[-5000:]
    return output


def train(config, work_dir, *extra, options=(), expect_ok=True, nproc=1):
    """tools/train.py (or tools/dist_train.sh with ``nproc`` > 1) on the
    tiny settings plus ``options``."""
    launch = ([sys.executable, 'tools/train.py']
              if nproc == 1 else ['bash', 'tools/dist_train.sh'])
    args = [str(config)] if nproc == 1 else [str(config), str(nproc)]
    env = None if nproc == 1 else dict(PORT=str(free_port()))
    return run(
        launch + args + [
            '--work-dir',
            str(work_dir), *extra, '--cfg-options', *TINY, *options
        ],
        expect_ok=expect_ok,
        env_extra=env)


def evaluate(config,
             checkpoint,
             out,
             *extra,
             options=(),
             expect_ok=True,
             nproc=1):
    """tools/test.py on ``checkpoint``, in ``nproc`` processes."""
    if nproc == 1:
        launch = [sys.executable, 'tools/test.py']
    else:
        launch = [
            sys.executable, '-m', 'torch.distributed.run',
            f'--nproc_per_node={nproc}', f'--master_port={free_port()}',
            'tools/test.py', '--launcher', 'pytorch'
        ]
    return run(
        launch + [
            str(config),
            str(checkpoint), '--out',
            str(out), '--work-dir',
            str(Path(out).parent / 'test'), *extra, '--cfg-options',
            'test_dataloader.batch_size=200', *options
        ],
        expect_ok=expect_ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def assert_same_training_state(path_a, path_b):
    """The weights, buffers and optimizer states of two checkpoints are
    bit-identical."""
    a, b = load(path_a), load(path_b)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    # One optimizer's state dict, or one per name (OptimWrapperDict).
    optimizers_a, optimizers_b = a['optimizer'], b['optimizer']
    if 'state' in optimizers_a:
        optimizers_a, optimizers_b = {'': optimizers_a}, {'': optimizers_b}
    assert optimizers_a.keys() == optimizers_b.keys()
    for name in optimizers_a:
        assert optimizers_a[name]['param_groups'] == \
            optimizers_b[name]['param_groups']
        state_a = optimizers_a[name]['state']
        state_b = optimizers_b[name]['state']
        assert state_a.keys() == state_b.keys()
        for index in state_a:
            for field in state_a[index]:
                assert torch.equal(
                    torch.as_tensor(state_a[index][field]),
                    torch.as_tensor(state_b[index][field]))
