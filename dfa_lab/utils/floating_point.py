"""Subnormal floats on the CPU.

x86 CPUs compute with subnormal floats (magnitudes below ~1.2e-38 in
float32) through a slow microcode path, tens of times slower per operation.
A training whose terms die out produces them in bulk: once the paper's
decoder collapses, ``loss_dal`` and its gradients decay towards zero, and so
do Adam's moment estimates of the decoder. On the CPU, flushing subnormals
to zero (the FTZ and DAZ flags) keeps those iterations at full speed; it
changes only values below the smallest normal float, which every later
operation would lose anyway, but it does change the arithmetic, so a run
with it is not bit for bit the run without it.
"""
import torch

#: Elements per thread of the check, enough for PyTorch to split the
#: operation over all its threads (its grain size is 32,768).
_CHECK_ELEMENTS_PER_THREAD = 65536

#: The bits of 2 ** -127, half the smallest normal float32: a subnormal
#: number, written as an integer because writing it as a float is itself
#: flushed on a thread that flushes.
_SUBNORMAL_BITS = 0x00400000


def flush_denormals() -> None:
    """Flush subnormal floats to zero in CPU arithmetic, on the calling
    thread and on PyTorch's worker threads, which inherit the setting when
    they are started after it.

    Raises:
        RuntimeError: The CPU has no such mode, or PyTorch's worker threads
            were started before and still compute with subnormals (call it
            before the first multi-threaded operation of the process).
    """
    if not torch.set_flush_denormal(True):
        raise RuntimeError(
            'env_cfg.flush_denormal: this CPU cannot flush subnormal floats '
            'to zero (it lacks the DAZ flag); leave the option off.')
    threads = torch.get_num_threads()
    probe = torch.full((threads * _CHECK_ELEMENTS_PER_THREAD, ),
                       _SUBNORMAL_BITS,
                       dtype=torch.int32).view(torch.float32)
    # Counted on the bits: a float comparison treats subnormals as zero on
    # the threads that flush.
    kept = int(probe.mul_(1.0).view(torch.int32).count_nonzero())
    if kept:
        raise RuntimeError(
            'env_cfg.flush_denormal: PyTorch\'s CPU worker threads were '
            'started before subnormals were flushed and still compute with '
            f'them ({kept} of {probe.numel()} subnormals survived a '
            f'multiplication on {threads} threads); flush before the first '
            'multi-threaded operation.')


def count_subnormals(tensor: torch.Tensor) -> int:
    """The number of subnormal elements of a floating-point ``tensor``
    (non-zero, smaller in magnitude than its dtype's smallest normal
    number); 0 for other dtypes."""
    if not tensor.is_floating_point():
        return 0
    magnitude = tensor.detach().abs()
    return int(((magnitude > 0)
                & (magnitude < torch.finfo(tensor.dtype).tiny)).sum())
