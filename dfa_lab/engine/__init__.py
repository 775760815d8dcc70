from .diagnostics import DecoderCollapseHook
from .hooks import (AverageOverRanksHook, NonFiniteCheckHook, RandomStateHook,
                    SafeCheckpointHook)
from .loops import UDAValLoop
from .optimizers import AutocastOptimWrapper, MultiOptimWrapperConstructor
from .runner import AdapterRunner
from .schedulers import InvLR, InvParamScheduler
from .summary import TrainingSummaryHook
from .sync_bn import GlooSyncBatchNorm
from .wrappers import SeparateDistributedDataParallel

__all__ = [
    'AdapterRunner', 'AutocastOptimWrapper', 'AverageOverRanksHook',
    'DecoderCollapseHook', 'GlooSyncBatchNorm', 'InvLR', 'InvParamScheduler',
    'MultiOptimWrapperConstructor', 'NonFiniteCheckHook', 'RandomStateHook',
    'SafeCheckpointHook', 'SeparateDistributedDataParallel',
    'TrainingSummaryHook', 'UDAValLoop'
]
