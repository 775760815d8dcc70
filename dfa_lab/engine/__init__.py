from .diagnostics import DecoderCollapseHook
from .hooks import RandomStateHook
from .loops import UDAValLoop
from .optimizers import AutocastOptimWrapper, MultiOptimWrapperConstructor
from .wrappers import SeparateDistributedDataParallel

__all__ = ['DecoderCollapseHook', 'RandomStateHook', 'AutocastOptimWrapper', 'MultiOptimWrapperConstructor',
           'SeparateDistributedDataParallel', 'UDAValLoop']
