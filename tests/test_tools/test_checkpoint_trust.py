"""No load path runs code that a checkpoint carries: resuming (with a path
or automatically), load_from and tools/test.py, on checkpoints with payloads
planted where mmengine's loaders would run them."""
import copyreg
import io
import pickle
import sys

import pytest
import torch
from mmengine.logging import HistoryBuffer

from dfa_lab.utils import message_hub_from_data
from .helpers import (REPO, assert_same_training_state, evaluate, load, run,
                      train)

CONFIG = REPO / 'configs' / 'mcd' / 'syndigits_ucidigits.py'
EVERY_ITERATION = [
    'model.num_k=2', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=1'
]


class Getattr:
    """Pickles as ``getattr(owner, name)``."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


def planted_history_buffer(command: str) -> HistoryBuffer:
    """A HistoryBuffer whose pickle sets its ``__reduce_ex__`` to
    ``{4: (eval, (command,))}.get``: copying it (``MessageHub.
    load_state_dict`` deep-copies the runtime information) evaluates
    ``command``. ``eval`` is reached as ``getattr(getattr(getattr,
    '__self__'), 'eval')``."""
    evaluate_ = Getattr(Getattr(getattr, '__self__'), 'eval')
    state = {'__reduce_ex__': Getattr({4: (evaluate_, (command, ))}, 'get')}
    buffer = HistoryBuffer.__new__(HistoryBuffer)
    buffer.__reduce_ex__ = lambda protocol: (copyreg.__newobj__,
                                             (HistoryBuffer, ), state)
    return buffer


def plant(source, target, kind, marker):
    """Copy the checkpoint ``source`` to ``target`` with a payload that
    creates the file ``marker`` when run: a config string in
    ``meta['config']`` (``kind='config'``) or a history buffer in the
    message hub's runtime information (``kind='buffer'``)."""
    checkpoint = torch.load(source, weights_only=True)
    command = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    if kind == 'config':
        checkpoint['meta']['config'] = command
    else:
        checkpoint['message_hub']['runtime_info']['planted'] = \
            planted_history_buffer(command)
    torch.save(checkpoint, target)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A work dir with the checkpoint of one tiny training iteration."""
    work_dir = tmp_path_factory.mktemp('trained')
    train(
        CONFIG, work_dir, options=EVERY_ITERATION + ['train_cfg.max_iters=1'])
    return work_dir / 'iter_1.pth'


def test_import_allows_no_general_global():
    """``getattr`` allow-listed process-wide would let any
    ``weights_only=True`` load reach ``eval``."""
    from dfa_lab.utils import register_all_modules
    register_all_modules()
    assert getattr not in torch.serialization.get_safe_globals()
    file = io.BytesIO()
    torch.save(Getattr(Getattr(getattr, '__self__'), 'eval'), file)
    file.seek(0)
    with pytest.raises(pickle.UnpicklingError, match='GLOBAL getattr'):
        torch.load(file, weights_only=True)


@pytest.mark.slow
def test_checkpoints_need_no_allowed_global(trained):
    """A checkpoint loads with ``weights_only=True`` in a process that
    allow-lists nothing (dfa_lab not imported)."""
    check = ('import sys, torch; '
             'assert "dfa_lab" not in sys.modules; '
             f'torch.load({str(trained)!r}, weights_only=True)')
    run([sys.executable, '-c', check])


@pytest.mark.slow
@pytest.mark.parametrize('resume', ['path', 'auto'])
def test_resume_does_not_run_a_config_string(trained, tmp_path, resume):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    checkpoint = work_dir / 'iter_1.pth'
    marker = tmp_path / 'ran'
    plant(trained, checkpoint, 'config', marker)
    log = train(
        CONFIG,
        work_dir,
        '--resume',
        *([str(checkpoint)] if resume == 'path' else []),
        options=EVERY_ITERATION + ['train_cfg.max_iters=2'])
    assert not marker.exists()
    assert f"Checkpoint {checkpoint} carries meta['config']" in log
    assert 'resumed epoch: 0, iter: 1' in log


@pytest.mark.slow
def test_a_planted_history_buffer_is_refused_on_every_load_path(
        trained, tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    checkpoint = work_dir / 'iter_1.pth'
    marker = tmp_path / 'ran'
    plant(trained, checkpoint, 'buffer', marker)
    refusal = f'Checkpoint {checkpoint} stores a Python object of type ' \
        'builtins.getattr, which loading refuses'
    for extra, options in ((['--resume'], []), (['--resume',
                                                 str(checkpoint)], []),
                           ([], [f'load_from={checkpoint}'])):
        log = train(
            CONFIG,
            work_dir,
            *extra,
            options=EVERY_ITERATION + ['train_cfg.max_iters=2', *options],
            expect_ok=False)
        assert refusal in log, extra + options
    log = evaluate(
        CONFIG,
        checkpoint,
        tmp_path / 'metrics.json',
        options=['model.num_k=2'],
        expect_ok=False)
    assert refusal in log
    assert not marker.exists()


@pytest.mark.slow
def test_a_checkpoint_in_the_earlier_format_resumes_exactly(trained, tmp_path):
    """Checkpoints written before the message hub was saved as data (its
    buffers pickled, numpy's random state as an array) still resume, to
    the same weights as an uninterrupted run."""
    train(
        CONFIG,
        tmp_path / 'full',
        options=EVERY_ITERATION + ['train_cfg.max_iters=2'])
    work_dir = tmp_path / 'earlier'
    work_dir.mkdir()
    checkpoint = load(trained)
    checkpoint['message_hub'] = message_hub_from_data(
        checkpoint['message_hub'], str(trained))
    name, keys, *rest = checkpoint['random_state']['numpy']
    checkpoint['random_state']['numpy'] = (name, keys.numpy().astype('uint32'),
                                           *rest)
    del checkpoint['meta']['train_batches']
    torch.save(checkpoint, work_dir / 'iter_1.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_1.pth'))
    log = train(
        CONFIG,
        work_dir,
        '--resume',
        options=EVERY_ITERATION + ['train_cfg.max_iters=2'])
    assert 'does not record its number of processes' in log
    assert_same_training_state(tmp_path / 'full' / 'iter_2.pth',
                               work_dir / 'iter_2.pth')
