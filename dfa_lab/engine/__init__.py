from .diagnostics import DecoderCollapseHook
from .hooks import AverageOverRanksHook, NonFiniteCheckHook, RandomStateHook
from .loops import UDAValLoop
from .optimizers import AutocastOptimWrapper, MultiOptimWrapperConstructor
from .runner import CheckedRunner
from .sync_bn import GlooSyncBatchNorm
from .wrappers import SeparateDistributedDataParallel

__all__ = ['AverageOverRanksHook', 'DecoderCollapseHook',
           'NonFiniteCheckHook', 'RandomStateHook', 'AutocastOptimWrapper', 'MultiOptimWrapperConstructor',
           'CheckedRunner', 'GlooSyncBatchNorm',
           'SeparateDistributedDataParallel', 'UDAValLoop']
