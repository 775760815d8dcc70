"""Batches that a dataset gathers whole, and the collate function that
passes them on."""
from typing import Any, List, Optional, Union

import torch
from torch.utils.data import default_collate, get_worker_info

from dfa_lab.registry import FUNCTIONS


class GatheredBatch(dict):
    """A batch that a dataset's ``__getitems__`` gathered as whole tensors
    (e.g. ``{'img': (B, C, H, W), 'label': (B,)}``).

    torch's ``DataLoader`` hands what ``__getitems__`` returns to the collate
    function; :func:`gathered_collate` passes this batch on unchanged. A
    collate function that expects a list of samples, such as
    ``default_collate``, reads ``batch[0]`` and gets an error that says
    which collate function to use.
    """

    def __missing__(self, key):
        if isinstance(key, int):
            raise KeyError(
                f'{key}: this batch was gathered whole by the dataset (an '
                'in-memory digit dataset with `device` set); set the data '
                "loader's collate_fn=dict(type='dfa_lab.gathered_collate'), "
                'which passes it on, instead of a collate function that '
                'stacks a list of samples.')
        raise KeyError(key)


@FUNCTIONS.register_module()
def gathered_collate(data: Union[GatheredBatch, List[Any]]) -> Any:
    """Collate a batch: a :class:`GatheredBatch` is already one and passes
    unchanged; a list of samples is stacked by torch's
    ``default_collate``."""
    if isinstance(data, GatheredBatch):
        return data
    return default_collate(data)


def resolve_device(device: Optional[str]) -> Optional[torch.device]:
    """The device named by a dataset's ``device`` option.

    Args:
        device: None, ``'auto'`` (the current CUDA device when CUDA is
            available, otherwise the CPU) or a torch device name (``'cpu'``,
            ``'cuda'``, ``'cuda:1'``).
    """
    if device is None:
        return None
    if device == 'auto':
        if torch.cuda.is_available():
            return torch.device('cuda', torch.cuda.current_device())
        return torch.device('cpu')
    device = torch.device(device)
    if device.type == 'cuda' and device.index is None:
        device = torch.device('cuda', torch.cuda.current_device())
    return device


def check_main_process(dataset: object, device: torch.device) -> None:
    """Refuse to gather on a CUDA device in a data loader worker, which
    cannot use CUDA."""
    if device.type == 'cuda' and get_worker_info() is not None:
        raise RuntimeError(
            f'{type(dataset).__name__} keeps its images on {device} and '
            'gathers batches there, which data loader worker processes '
            'cannot do: set the data loader\'s num_workers=0.')
