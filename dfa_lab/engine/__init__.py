from .diagnostics import DecoderCollapseHook
from .hooks import RandomStateHook
from .loops import UDAValLoop
from .optimizers import AutocastOptimWrapper, MultiOptimWrapperConstructor
from .runner import AdapterRunner
from .summary import TrainingSummaryHook
from .wrappers import SeparateDistributedDataParallel

__all__ = [
    'AdapterRunner', 'AutocastOptimWrapper', 'DecoderCollapseHook',
    'MultiOptimWrapperConstructor', 'RandomStateHook',
    'SeparateDistributedDataParallel', 'TrainingSummaryHook', 'UDAValLoop'
]
