"""Distributed set-up that mmengine leaves to CUDA machines."""
import gc
import os

import torch
import torch.distributed as dist
from mmengine.dist import get_dist_info
from torch import Tensor


def init_cpu_process_group(launcher: str) -> None:
    """Start a gloo process group for a CPU-only distributed run.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` even for gloo,
    which fails without CUDA. Starting the group first makes the Runner
    skip its own initialisation. Only ``launcher='pytorch'`` (torchrun) is
    supported on CPU.
    """
    if launcher == 'none' or torch.cuda.is_available() or \
            dist.is_initialized():
        return
    if launcher != 'pytorch':
        raise ValueError(
            f'--launcher {launcher} needs CUDA; on CPU use torchrun with '
            '--launcher pytorch.')
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR') if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch expects torchrun\'s environment; {missing} '
            'are unset. Start the run with tools/dist_train.sh or torchrun.')
    dist.init_process_group(backend='gloo')


def shutdown_process_group() -> None:
    """Close the process group so that no rank exits while another still
    talks to it.

    The distributed wrappers of a finished run are collected first: a DDP
    reducer destroyed after its process group aborts the process at exit.
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


def randn_like_global_batch(like: Tensor) -> Tensor:
    """Standard normal noise shaped like ``like``: this rank's rows of one
    draw for the batch of all ranks together.

    ``like`` holds this rank's ``B`` samples. Every rank draws ``world_size
    * B`` rows from the global generator, whose state is the same on every
    rank, and keeps rows ``rank, rank + world_size, ...``: the positions of
    its own samples in the joint batch when the sampler deals samples to the
    ranks in turn (as :class:`~dfa_lab.datasets.UDAPairSampler` does). The
    ranks thus get different noise, and ``W`` ranks with ``B`` samples each
    draw exactly the noise that one process with ``W * B`` samples draws.
    In a single process this is ``torch.randn_like(like)``, memory layout
    included.
    """
    rank, world_size = get_dist_info()
    channels_last = like.dim() == 4 and not like.is_contiguous() and \
        like.is_contiguous(memory_format=torch.channels_last)
    noise = torch.empty((world_size * like.shape[0], *like.shape[1:]),
                        dtype=like.dtype,
                        device=like.device,
                        memory_format=torch.channels_last
                        if channels_last else torch.contiguous_format)
    return noise.normal_()[rank::world_size]
