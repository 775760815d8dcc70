"""Optimizer construction for adapters that step several optimizers."""
from contextlib import contextmanager
from typing import Dict, List, Optional

import torch
from mmengine.device import get_device
from mmengine.optim import (DefaultOptimWrapperConstructor, OptimWrapper,
                            OptimWrapperDict)
from torch import nn

from dfa_lab.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS
from dfa_lab.utils import unwrap


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build one optimizer wrapper per named group of the model's modules.

    Config form::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(
                modules=['backbone', 'aligner'],
                optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4)),
            classifiers=dict(
                optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4)))

    Each group's ``modules`` lists attribute names of the model (default: the
    group's own name); the rest of the group's dict is an ordinary mmengine
    optim-wrapper config (``type``, ``optimizer``, ``clip_grad``,
    ``paramwise_cfg`` with custom keys prefixed by the module name, ...).
    A listed module that the model sets to ``None`` (e.g. ``aligner`` in a
    run without one) contributes no parameters. Every trainable parameter
    must belong to exactly one group, so a forgotten module is an error
    rather than a network that silently never trains.

    Args:
        optim_wrapper_cfg: ``{group name: optim-wrapper config}``.
        paramwise_cfg: Must be ``None``: give each group its own.
    """

    def __init__(self,
                 optim_wrapper_cfg: Dict[str, dict],
                 paramwise_cfg: Optional[dict] = None):
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor takes paramwise_cfg per group, '
                'inside each group\'s config.')
        if not optim_wrapper_cfg:
            raise ValueError('MultiOptimWrapperConstructor needs at least '
                             'one named optimizer group.')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'Optimizer group {name!r} must be a dict with an '
                    f"'optimizer' entry, got {cfg!r}.")
        self.optim_wrapper_cfg = optim_wrapper_cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = unwrap(model)
        wrappers = {}
        owner: Dict[int, str] = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            cfg = dict(cfg)
            module_names: List[str] = cfg.pop('modules', [name])
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            group = nn.ModuleDict()
            for module_name in module_names:
                if not hasattr(model, module_name):
                    raise AttributeError(
                        f'Optimizer group {name!r} names module '
                        f'{module_name!r}, which {type(model).__name__} does '
                        'not have; its child modules are '
                        f'{[n for n, _ in model.named_children()]}.')
                module = getattr(model, module_name)
                if module is not None:
                    group[module_name] = unwrap(module)
            for param_name, param in group.named_parameters():
                if param.requires_grad:
                    if id(param) in owner:
                        raise ValueError(
                            f'Parameter {param_name} is in optimizer groups '
                            f'{owner[id(param)]!r} and {name!r}.')
                    owner[id(param)] = name
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise_cfg)(
                    group)
        orphans = [
            n for n, p in model.named_parameters()
            if p.requires_grad and id(p) not in owner
        ]
        if orphans:
            raise ValueError(
                'These trainable parameters are in no optimizer group (add '
                f'their module to a group\'s `modules`): {orphans[:8]}'
                f'{" ..." if len(orphans) > 8 else ""}')
        return OptimWrapperDict(**wrappers)


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An :class:`OptimWrapper` whose ``optim_context`` runs the forward
    pass under bfloat16 autocast.

    bfloat16 keeps float32's exponent range, so no loss scaling is needed;
    that is what lets several wrappers step on one loss (MCD's step 1),
    which per-wrapper loss scalers cannot do. It works on CUDA and on CPU.

    Args:
        dtype: Autocast dtype; only ``'bfloat16'``.
        **kwargs: See :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs):
        if dtype != 'bfloat16':
            raise ValueError(
                "AutocastOptimWrapper supports dtype='bfloat16' only: "
                'float16 needs loss scaling, which mmengine\'s '
                'AmpOptimWrapper provides for single-optimizer steps.')
        super().__init__(**kwargs)
        self.dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: nn.Module):
        device_type = 'cuda' if get_device() == 'cuda' else 'cpu'
        with super().optim_context(model), torch.autocast(
                device_type=device_type, dtype=self.dtype):
            yield
