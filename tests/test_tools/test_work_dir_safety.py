"""What a work dir survives through tools/train.py: a second training
started into it, a training killed while it saves, a disk that fills up."""
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from dfa_lab.utils import checkpoint_damage
from .helpers import REPO, TINY, assert_same_training_state, load, run, train

CONFIG = REPO / 'configs' / 'mcd' / 'syndigits_ucidigits.py'
EVERY_ITERATION = [
    'model.num_k=2', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=1'
]

pytestmark = pytest.mark.slow


def start_training(work_dir, *options):
    """tools/train.py in the background, on the tiny settings."""
    return subprocess.Popen([
        sys.executable, 'tools/train.py',
        str(CONFIG), '--work-dir',
        str(work_dir), '--cfg-options', *TINY, *EVERY_ITERATION, *options
    ],
                            cwd=REPO,
                            env=dict(
                                os.environ,
                                OMP_NUM_THREADS='1',
                                PYTHONPATH=str(REPO)),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait_for(condition, process, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, 'the training ended early'
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.2)


def link_a_checkpoint(work_dir, target) -> bool:
    """Hard-link one of the checkpoints of ``work_dir`` (which a running
    training writes and removes) to ``target``."""
    for path in sorted(work_dir.glob('iter_*.pth')):
        try:
            os.link(path, target)
            return True
        except FileNotFoundError:
            continue
    return False


def is_locked(path) -> bool:
    if not path.exists():
        return False
    with open(path) as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(file, fcntl.LOCK_UN)
    return False


def test_a_second_training_into_a_busy_work_dir_is_refused(tmp_path):
    work_dir = tmp_path / 'work'
    first = start_training(work_dir, 'train_cfg.max_iters=100000',
                           'randomness.seed=1')
    try:
        # Any checkpoint will do: with max_keep_ckpts=2 each one lives for
        # two iterations only, shorter than a poll on a fast machine.
        wait_for(lambda: any(work_dir.glob('iter_*.pth')), first)
        assert is_locked(work_dir / 'train.lock')
        logs = set(path.name for path in work_dir.iterdir() if path.is_dir())
        log = train(
            CONFIG,
            work_dir,
            options=EVERY_ITERATION +
            ['train_cfg.max_iters=2', 'randomness.seed=2'],
            expect_ok=False)
        assert f'WorkDirBusyError: The work dir {work_dir} is in use by ' \
            f'another training (process {first.pid} on ' in log
        # The second run wrote nothing: no log folder, the first run's
        # config dump.
        assert set(path.name for path in work_dir.iterdir()
                   if path.is_dir()) == logs
        dump = work_dir / 'syndigits_ucidigits.py'
        assert 'seed=1' in dump.read_text()
        # Testing a checkpoint of the running training is no training: it
        # runs, and leaves the training's config dump alone.
        checkpoint = tmp_path / 'snapshot.pth'
        wait_for(lambda: link_a_checkpoint(work_dir, checkpoint), first)
        run([
            sys.executable, 'tools/test.py',
            str(CONFIG),
            str(checkpoint), '--work-dir',
            str(work_dir), '--cfg-options', 'model.num_k=2',
            'randomness.seed=3'
        ])
        assert 'seed=1' in dump.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The lock of a killed training is stale: the next run takes it.
    train(
        CONFIG,
        work_dir,
        options=EVERY_ITERATION +
        ['train_cfg.max_iters=2', 'randomness.seed=2'])
    assert load(work_dir / 'iter_2.pth')['meta']['seed'] == 2
    assert not is_locked(work_dir / 'train.lock')


# Runs tools/train.py with the checkpoint file writer killing the process
# half-way through writing iter_2's bytes.
KILLED_MID_SAVE = '''
import os, runpy, signal, sys
from mmengine.fileio import LocalBackend
put = LocalBackend.put
def put_half_then_die(self, data, path):
    if 'iter_2' in str(path):
        with open(path, 'wb') as file:
            file.write(data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    put(self, data, path)
LocalBackend.put = put_half_then_die
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path('tools/train.py', run_name='__main__')
'''


@pytest.mark.parametrize('max_keep_ckpts', [1, 2])
def test_a_training_killed_while_saving_keeps_its_last_checkpoint(
        tmp_path, max_keep_ckpts):
    options = EVERY_ITERATION + [
        f'default_hooks.checkpoint.max_keep_ckpts={max_keep_ckpts}'
    ]
    train(
        CONFIG, tmp_path / 'full', options=options + ['train_cfg.max_iters=3'])
    work_dir = tmp_path / 'killed'
    run([
        sys.executable, '-c', KILLED_MID_SAVE,
        str(CONFIG), '--work-dir',
        str(work_dir), '--cfg-options', *TINY, *options,
        'train_cfg.max_iters=3'
    ],
        expect_ok=False)
    assert checkpoint_damage(str(work_dir / 'iter_1.pth')) is None
    assert not (work_dir / 'iter_2.pth').exists()
    log = train(
        CONFIG,
        work_dir,
        '--resume',
        options=options + ['train_cfg.max_iters=3'])
    assert 'resumed epoch: 0, iter: 1' in log
    assert_same_training_state(tmp_path / 'full' / 'iter_3.pth',
                               work_dir / 'iter_3.pth')
    assert sorted(path.name for path in work_dir.glob('iter_*')) == \
        ['iter_2.pth', 'iter_3.pth'][-max_keep_ckpts:]


def can_mount_a_small_disk() -> bool:
    if shutil.which('unshare') is None:
        return False
    probe = subprocess.run(
        ['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'],
        capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(
    not can_mount_a_small_disk(),
    reason='needs unshare to mount a small tmpfs in a user namespace')
def test_a_full_disk_names_the_checkpoint_and_leaves_no_partial_file(tmp_path):
    disk, kept = tmp_path / 'disk', tmp_path / 'kept'
    disk.mkdir()
    # Room for one checkpoint of the tiny MCD (2.7 MB), not for two.
    script = ('mount -t tmpfs -o size=4m tmpfs "$0" && "$@"; status=$?; '
              f'cp -r "$0" {kept}; exit $status')
    log = run([
        'unshare', '-rm', 'sh', '-c', script,
        str(disk), sys.executable, 'tools/train.py',
        str(CONFIG), '--work-dir',
        str(disk / 'work'), '--cfg-options', *TINY, *EVERY_ITERATION,
        'train_cfg.max_iters=3'
    ],
              expect_ok=False)
    assert log.rstrip().splitlines()[-1] == (
        'dfa_lab.utils.checkpoint.CheckpointError: Could not write the '
        f'checkpoint {disk / "work" / "iter_2.pth"}: No space left on '
        'device (ENOSPC). The checkpoints written before are kept.')
    assert 'OSError' not in log
    work_dir = kept / 'work'
    assert checkpoint_damage(str(work_dir / 'iter_1.pth')) is None
    assert sorted(path.name for path in work_dir.glob('iter_*')) == \
        ['iter_1.pth']
