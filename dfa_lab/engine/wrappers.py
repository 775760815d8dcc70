"""Distributed wrapper that keeps adapters' own ``train_step``."""
import torch
from mmengine.model import MMSeparateDistributedDataParallel
from mmengine.model.wrappers import MMDistributedDataParallel
from torch import nn

from dfa_lab.registry import MODEL_WRAPPERS
from .sync_bn import use_gloo_sync_batchnorm


@MODEL_WRAPPERS.register_module()
class SeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """One ``DistributedDataParallel`` per child module of the adapter.

    mmengine's default wrapper never calls a model's own ``train_step``;
    this one does, and every child network synchronises its gradients
    through its own DDP, also when it runs several times in one step.

    On top of mmengine's wrapper it

    - runs on CPU with gloo: ``device_ids`` is dropped when CUDA is absent,
      and so are torch's GPU-only SyncBatchNorm layers (the config's
      ``sync_bn = 'torch'``), replaced by
      :class:`~dfa_lab.engine.GlooSyncBatchNorm`;
    - finds unused parameters by default, since an adapter step often leaves
      a network out (e.g. an aligner's parameters in a source-only term);
    - keeps checkpoints wrapper-free: wrapping renames every parameter to
      ``<child>.module.<name>``, which a non-distributed run (or a resume
      with another world size) would not load. Each wrapped child drops
      that infix from its state dict and puts it back when it loads one.
      The hooks sit on the wrapped children themselves, so loading is
      right whichever loader walks the model: torch's ``load_state_dict``
      goes through a child's wrapper (and its hooks), mmengine's
      ``load_checkpoint`` (``load_from``, ``--resume``, ``tools/test.py``)
      steps over the wrapper into the network, where the keys already fit.

    Args:
        module: The adapter.
        broadcast_buffers: See ``DistributedDataParallel``.
        find_unused_parameters: See ``DistributedDataParallel``.
        **kwargs: Other ``DistributedDataParallel`` arguments.
    """

    def __init__(self,
                 module: nn.Module,
                 broadcast_buffers: bool = False,
                 find_unused_parameters: bool = True,
                 **kwargs):
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            use_gloo_sync_batchnorm(module)
        super().__init__(
            module,
            broadcast_buffers=broadcast_buffers,
            find_unused_parameters=find_unused_parameters,
            **kwargs)
        for child in module.children():
            if isinstance(child, MMDistributedDataParallel):
                child._register_state_dict_hook(_strip_wrapper_infix)
                child._register_load_state_dict_pre_hook(_insert_wrapper_infix)


def _strip_wrapper_infix(wrapper, state_dict, prefix, local_metadata):
    """State-dict hook of a wrapped child: ``<prefix>module.<name>`` becomes
    ``<prefix><name>``."""
    inner = prefix + 'module.'
    for key in [k for k in state_dict if k.startswith(inner)]:
        state_dict[prefix + key[len(inner):]] = state_dict.pop(key)
    return state_dict


def _insert_wrapper_infix(state_dict, prefix, local_metadata, strict,
                          missing_keys, unexpected_keys, error_msgs):
    """Load pre-hook of a wrapped child: ``<prefix><name>`` becomes
    ``<prefix>module.<name>``, where the wrapped network looks for it."""
    inner = prefix + 'module.'
    for key in [
            k for k in state_dict
            if k.startswith(prefix) and not k.startswith(inner)
    ]:
        state_dict[inner + key[len(prefix):]] = state_dict.pop(key)
