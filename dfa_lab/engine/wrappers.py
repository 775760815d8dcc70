"""Distributed wrapper that keeps adapters' own ``train_step``."""
import re
from typing import List

import torch
from mmengine.model import MMSeparateDistributedDataParallel
from mmengine.model.wrappers import MMDistributedDataParallel
from torch import nn

from dfa_lab.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class SeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """One ``DistributedDataParallel`` per child module of the adapter.

    mmengine's default wrapper never calls a model's own ``train_step``;
    this one does, and every child network synchronises its gradients
    through its own DDP, also when it runs several times in one step.

    On top of mmengine's wrapper it

    - runs on CPU with gloo (``device_ids`` is dropped when CUDA is absent);
    - finds unused parameters by default, since an adapter step often leaves
      a network out (e.g. an aligner's parameters in a source-only term);
    - keeps checkpoints wrapper-free: wrapping renames every parameter to
      ``<child>.module.<name>``, which a non-distributed run (or a resume
      with another world size) would not load. The adapter's ``state_dict``
      drops that infix and ``load_state_dict`` puts it back.

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
        super().__init__(
            module,
            broadcast_buffers=broadcast_buffers,
            find_unused_parameters=find_unused_parameters,
            **kwargs)
        wrapped = [
            name for name, child in module.named_children()
            if isinstance(child, MMDistributedDataParallel)
        ]
        if wrapped:
            module._register_state_dict_hook(_strip_wrapper_infix(wrapped))
            module._register_load_state_dict_pre_hook(
                _insert_wrapper_infix(wrapped))


def _strip_wrapper_infix(wrapped: List[str]):
    pattern = re.compile(r'^(' + '|'.join(map(re.escape, wrapped)) +
                         r')\.module\.')

    def hook(module, state_dict, prefix, local_metadata):
        for key in list(state_dict):
            if key.startswith(prefix):
                short = prefix + pattern.sub(r'\1.', key[len(prefix):])
                if short != key:
                    state_dict[short] = state_dict.pop(key)
        return state_dict

    return hook


def _insert_wrapper_infix(wrapped: List[str]):
    pattern = re.compile(r'^(' + '|'.join(map(re.escape, wrapped)) +
                         r')\.(?!module\.)')

    def hook(state_dict, prefix, local_metadata, strict, missing_keys,
             unexpected_keys, error_msgs):
        for key in list(state_dict):
            if key.startswith(prefix):
                long = prefix + pattern.sub(r'\1.module.', key[len(prefix):])
                if long != key:
                    state_dict[long] = state_dict.pop(key)

    return hook
