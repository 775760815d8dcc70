"""Helpers on ``nn.Module`` shared by the models and the engine."""
from mmengine.model import is_model_wrapper
from torch import nn


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a distributed wrapper, or the module itself."""
    return module.module if is_model_wrapper(module) else module
