"""Let mmengine's checkpoints load under ``torch.load(weights_only=True)``."""
import torch


def allow_checkpoint_globals() -> None:
    """Allow-list the non-tensor objects that mmengine stores in a
    checkpoint.

    Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, and
    mmengine 0.10 calls it without that argument: every resume or
    ``load_from`` of an mmengine checkpoint then fails with an
    ``UnpicklingError``. The message hub's history buffers and the numpy
    scalars and arrays they hold are the only objects it meets.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    import numpy as np
    from mmengine.logging import HistoryBuffer

    numpy_core = getattr(np, '_core', None) or np.core
    torch.serialization.add_safe_globals([
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        numpy_core.multiarray._reconstruct,
        numpy_core.multiarray.scalar,
        getattr,
    ] + [type(np.dtype(t)) for t in (
        'float64', 'float32', 'int64', 'int32', 'uint32', 'bool')])
