"""Reading mmengine checkpoints safely and with clear errors."""
import os
import os.path as osp
import pickle
import re
import zipfile
import zlib
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

_HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer'


class _SavedHistoryBuffer:
    """Stands in for mmengine's ``HistoryBuffer`` while a checkpoint is
    read: earlier dfa_lab versions pickled the message hub's buffers, and
    their fields come back as plain attributes of this class.

    ``HistoryBuffer`` itself is never unpickled: its ``__setstate__``
    installs the functions that the pickle names as the class's statistics
    methods, process-wide. Its buffers are rebuilt from their histories by
    :func:`message_hub_from_data`.
    """


def _statistics_method_name(owner, name: str) -> str:
    """``getattr`` as a pickled ``HistoryBuffer`` uses it: its statistics
    methods are pickled as ``getattr(HistoryBuffer, 'min')``, ... This
    returns the method's name (the methods are not restored); any other use
    is refused, so that a pickle cannot reach other attributes (such as
    ``getattr(getattr, '__self__')``, the builtins module)."""
    if owner is _SavedHistoryBuffer and isinstance(name, str):
        return name
    raise pickle.UnpicklingError('Unsupported global: GLOBAL builtins.getattr')


def _checkpoint_globals() -> list:
    """The non-tensor objects that reading a checkpoint allows besides
    torch's own: the fields of message hubs pickled by earlier versions
    (numpy arrays and scalars, history buffers as data).

    mmengine 0.10 calls ``torch.load`` without ``weights_only``, which
    since torch 2.6 means ``weights_only=True``: tensors, numbers, strings
    and containers only. These objects are allowed besides only while
    :func:`read_checkpoint` reads a file, never process-wide; checkpoints
    written now need none of them (:func:`message_hub_to_data`).
    """
    numpy_core = getattr(np, '_core', None) or np.core
    return [
        (_SavedHistoryBuffer, _HISTORY_BUFFER),
        (_statistics_method_name, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        numpy_core.multiarray._reconstruct,
        numpy_core.multiarray.scalar,
    ] + [
        type(np.dtype(t))
        for t in ('float64', 'float32', 'int64', 'int32', 'uint32', 'bool')
    ]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read, or does not fit the run that loads it."""


_ZIP_MAGIC = b'PK\x03\x04'


def checkpoint_damage(path: str) -> Optional[str]:
    """What is wrong with the checkpoint file ``path``, or ``None`` when it
    reads as an intact PyTorch archive.

    ``torch.save`` writes a zip archive with a checksum per stored tensor;
    this reads the archive's directory and checks every checksum, without
    unpickling anything. A file cut short (a save that was interrupted), an
    empty file and flipped bytes are told apart. A file in torch's legacy
    (non-zip) format is not checked here.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    with open(path, 'rb') as file:
        magic = file.read(len(_ZIP_MAGIC))
    if magic != _ZIP_MAGIC:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            corrupt = archive.testzip()
    except zipfile.BadZipFile:
        return ('the archive is truncated (its end is missing, e.g. because '
                'writing it was interrupted)')
    except (OSError, EOFError, zlib.error) as error:
        return f'the archive cannot be read ({error})'
    if corrupt is not None:
        return (f'its entry {corrupt!r} fails its checksum (the file is '
                'corrupt)')
    return None


def read_checkpoint(filename: str, map_location='cpu') -> dict:
    """Load the checkpoint ``filename`` as mmengine's Runner does, with one
    clear error naming the file when it cannot be used.

    Raises:
        FileNotFoundError: No file ``filename``.
        CheckpointError: The file is empty, truncated, corrupt, or not a
            checkpoint dict.
    """
    local = '://' not in filename
    if local:
        filename = osp.expanduser(filename)
        if not osp.isfile(filename):
            raise FileNotFoundError(f'Checkpoint {filename} not found.')
        damage = checkpoint_damage(filename)
        if damage is not None:
            raise CheckpointError(
                f'Checkpoint {filename} cannot be read: {damage}. Use another '
                'checkpoint, e.g. an earlier iter_*.pth of the same work '
                'dir; --resume without a path picks the newest intact one.')
    try:
        with torch.serialization.safe_globals(_checkpoint_globals()):
            checkpoint = _load_checkpoint(filename, map_location=map_location)
    except pickle.UnpicklingError as error:
        unsupported = re.search(r'GLOBAL ([\w.]+)', str(error))
        if unsupported is None:
            raise CheckpointError(
                f'Checkpoint {filename} cannot be read: it is not a PyTorch '
                'checkpoint (its contents are no pickle that torch.load '
                'reads).') from error
        raise CheckpointError(
            f'Checkpoint {filename} stores a Python object of type '
            f'{unsupported.group(1)}, which loading refuses for safety '
            '(torch.load with weights_only=True). dfa_lab loads checkpoints '
            'written by mmengine\'s Runner; save other weights as a plain '
            '{name: tensor} state dict.') from error
    except (EOFError, RuntimeError, KeyError, ValueError) as error:
        raise CheckpointError(
            f'Checkpoint {filename} cannot be read: it is not a PyTorch '
            f'checkpoint ({type(error).__name__}: {error}).') from error
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'Checkpoint {filename} holds a {type(checkpoint).__name__}, '
            'not a checkpoint dict or a state dict.')
    return checkpoint


def message_hub_to_data(state: dict) -> dict:
    """A message hub's ``state_dict`` as plain data, which
    ``torch.load(weights_only=True)`` reads with no allow-listed globals.

    mmengine's ``MessageHub.state_dict`` holds ``HistoryBuffer`` objects,
    whose pickles name functions (``getattr(HistoryBuffer, 'min')``) and
    numpy arrays. Each buffer becomes ``{'log_history': Tensor,
    'count_history': Tensor, 'max_length': int}`` (the histories exactly,
    dtypes included), and numpy values of the runtime information become
    Python numbers and tensors.
    """
    scalars = {
        key:
        dict(
            log_history=torch.from_numpy(np.array(buffer._log_history)),
            count_history=torch.from_numpy(np.array(buffer._count_history)),
            max_length=int(buffer.max_length))
        for key, buffer in state['log_scalars'].items()
    }
    return dict(
        log_scalars=scalars,
        runtime_info=_numpy_to_data(state['runtime_info']),
        resumed_keys=state['resumed_keys'])


def _numpy_to_data(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    if isinstance(value, dict):
        return type(value)(
            (key, _numpy_to_data(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy_to_data(item) for item in value)
    return value


def message_hub_from_data(state: dict, filename: str) -> dict:
    """The ``state_dict`` that ``MessageHub.load_state_dict`` takes, from
    the message hub of the checkpoint ``filename``: in the form of
    :func:`message_hub_to_data`, or as earlier versions pickled it.

    Raises:
        CheckpointError: The message hub is not a dict of logged histories
            (each two numeric arrays of one length and a ``max_length``),
            runtime information and resumed keys, or holds a history buffer
            outside its logged histories.
    """
    keys = ('log_scalars', 'runtime_info', 'resumed_keys')
    if not isinstance(state, dict) or not all(
            isinstance(state.get(key), dict) for key in keys):
        raise CheckpointError(
            f'Checkpoint {filename}: its message hub is not a dict of '
            f'{", ".join(keys)}.')
    if _holds_saved_buffer([state['runtime_info'], state['resumed_keys']]):
        raise CheckpointError(
            f'Checkpoint {filename}: its message hub holds a HistoryBuffer '
            'outside its logged histories, which mmengine never writes; '
            'the file is refused.')
    scalars = {}
    for key, saved in state['log_scalars'].items():
        if isinstance(saved, _SavedHistoryBuffer):
            saved = dict(
                log_history=vars(saved).get('_log_history'),
                count_history=vars(saved).get('_count_history'),
                max_length=vars(saved).get('max_length'))
        buffer = _history_buffer(saved) if isinstance(saved, dict) else None
        if buffer is None:
            raise CheckpointError(
                f'Checkpoint {filename}: the logged history {key!r} of its '
                'message hub is not two numeric arrays of one length and a '
                'max_length.')
        scalars[key] = buffer
    return dict(state, log_scalars=scalars)


def _holds_saved_buffer(value) -> bool:
    if isinstance(value, _SavedHistoryBuffer):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(
        _holds_saved_buffer(item) for item in value)


def _history_buffer(saved: dict) -> Optional[HistoryBuffer]:
    log_history, count_history = (
        _numeric_history(saved.get(name))
        for name in ('log_history', 'count_history'))
    max_length = saved.get('max_length')
    if log_history is None or count_history is None or \
            len(log_history) != len(count_history) or \
            isinstance(max_length, bool) or not isinstance(max_length, int):
        return None
    return HistoryBuffer(log_history, count_history, max_length)


def _numeric_history(history) -> Optional[np.ndarray]:
    if isinstance(history, torch.Tensor):
        history = history.cpu().numpy()
    if isinstance(history, np.ndarray) and history.ndim == 1 and \
            history.dtype.kind in 'iufb':
        return history
    return None


_CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def find_resumable_checkpoint(work_dir: str) -> Tuple[Optional[str], list]:
    """The newest intact checkpoint of ``work_dir`` to resume from.

    The checkpoint named in ``work_dir/last_checkpoint`` (written by
    mmengine's ``CheckpointHook``) comes first, then the ``iter_<n>.pth`` and
    ``epoch_<n>.pth`` files of its folder and of ``work_dir``, newest first.

    Returns:
        tuple: The path (``None`` when there is no checkpoint at all), and
        ``(path, damage)`` for every newer checkpoint that was skipped.

    Raises:
        CheckpointError: There are checkpoints, but none is intact.
    """
    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    folders = [work_dir]
    if osp.isfile(pointer):
        with open(pointer) as file:
            last = file.read().strip()
        if last:
            candidates.append(last)
            folders.insert(0, osp.dirname(last) or work_dir)
    numbered = []
    for folder in folders:
        if not osp.isdir(folder):
            continue
        for name in os.listdir(folder):
            match = _CHECKPOINT_NAME.match(name)
            if match:
                numbered.append((int(match.group(1)), osp.join(folder, name)))
    candidates += [path for _, path in sorted(numbered, reverse=True)]
    skipped = []
    seen = set()
    for path in candidates:
        if osp.abspath(path) in seen:
            continue
        seen.add(osp.abspath(path))
        damage = checkpoint_damage(path)
        if damage is None:
            return path, skipped
        skipped.append((path, damage))
    if skipped:
        raise CheckpointError(
            f'No intact checkpoint to resume from in {work_dir}: ' +
            '; '.join(f'{path}: {damage}' for path, damage in skipped) +
            '. Start a new run (without --resume) or resume from a '
            'checkpoint elsewhere with --resume PATH.')
    return None, skipped


def _shapes(state_dict: dict) -> Dict[str, tuple]:
    return {
        key: tuple(value.shape)
        for key, value in state_dict.items() if hasattr(value, 'shape')
    }


def state_dict_mismatch(model_state: dict, checkpoint_state: dict) -> str:
    """Describe how ``checkpoint_state`` fails to fit ``model_state``: the
    keys missing from the checkpoint, those the model does not have and
    those whose shapes differ; an empty string when it fits exactly.

    ``num_batches_tracked`` counters are not required (older BatchNorm
    checkpoints lack them), as in mmengine's loader.
    """
    model_shapes = _shapes(model_state)
    checkpoint_shapes = _shapes(checkpoint_state)
    missing = [
        key for key in model_shapes if key not in checkpoint_shapes
        and not key.endswith('num_batches_tracked')
    ]
    unexpected = [key for key in checkpoint_shapes if key not in model_shapes]
    mis_shaped = [
        f'{key}: checkpoint {checkpoint_shapes[key]}, model {shape}'
        for key, shape in model_shapes.items()
        if key in checkpoint_shapes and checkpoint_shapes[key] != shape
    ]
    lines = []
    for title, items in (('missing from the checkpoint', missing),
                         ('not in the model', unexpected), ('of another shape',
                                                            mis_shaped)):
        if items:
            lines.append(f'  {len(items)} {title}:')
            lines += [f'    {item}' for item in items[:8]]
            if len(items) > 8:
                lines.append(f'    ... and {len(items) - 8} more')
    return '\n'.join(lines)
