"""Distributed set-up that mmengine leaves to CUDA machines."""
import gc
import os

import torch
import torch.distributed as dist


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
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR')
               if k not in os.environ]
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
