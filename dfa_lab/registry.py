"""Registries of dfa_lab.

Every registry is a child of the matching mmengine root registry with the
scope ``dfa_lab``, so a config with ``default_scope = 'dfa_lab'`` finds both
dfa_lab's components and mmengine's own (optimizers, loops, hooks, ...).
``locations`` makes each registry import the modules that fill it the first
time it is used.

A type name that is found nowhere raises :class:`UnregisteredTypeError`, which
names the registry and the closest registered names. Scripts that build
components outside a Runner call
:func:`dfa_lab.utils.register_all_modules` first.
"""
import difflib
import inspect
import typing

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry as MMEngineRegistry

__all__ = [
    'DATASETS', 'DATA_SAMPLERS', 'EVALUATOR', 'FUNCTIONS', 'HOOKS',
    'INFERENCERS', 'LOG_PROCESSORS', 'LOOPS', 'METRICS', 'MODELS',
    'MODEL_WRAPPERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'RUNNERS',
    'RUNNER_CONSTRUCTORS', 'STRATEGIES', 'TASK_UTILS', 'TRANSFORMS',
    'VISBACKENDS', 'VISUALIZERS', 'WEIGHT_INITIALIZERS', 'Registry',
    'UnregisteredTypeError'
]


class UnregisteredTypeError(KeyError):
    """A config names a type that no registry in reach knows."""

    def __str__(self) -> str:
        return self.args[0]


class Registry(MMEngineRegistry):
    """An mmengine registry whose failed look-ups say what was meant."""

    def _registered_names(self) -> list:
        names = set()
        registry = self
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
        return sorted(names)

    def get(self, key: str):
        obj = super().get(key)
        if obj is None and isinstance(key, str) and '.' not in key:
            names = self._registered_names()
            close = difflib.get_close_matches(key, names, n=5, cutoff=0.5)
            hint = (
                f' Closest registered names: {", ".join(close)}.'
                if close else ' Registered names: '
                f'{", ".join(names[:40])}{" ..." if len(names) > 40 else ""}.')
            raise UnregisteredTypeError(
                f'{key!r} is not registered in the {self.scope}::{self.name} '
                f'registry (nor in its parent registries).{hint} A custom '
                'module must be imported before it is used, e.g. with '
                "custom_imports=dict(imports=['my_module'], "
                'allow_failed_imports=False) in the config.')
        return obj

    def build(self, cfg, *args, **kwargs):
        """Build ``cfg`` after checking the options whose type its class
        declares as ``float``, ``int``, ``bool`` or ``str``: a wrong value
        (``alpha='x'``) fails here, with the option's name, rather than
        deep inside a later computation."""
        _check_option_types(self, cfg)
        return super().build(cfg, *args, **kwargs)

    def __contains__(self, key) -> bool:
        try:
            return super().get(key) is not None
        except TypeError:
            return False


RUNNERS = Registry(
    'runner',
    parent=MMENGINE_RUNNERS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, scope='dfa_lab')
LOOPS = Registry(
    'loop',
    parent=MMENGINE_LOOPS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope='dfa_lab')

DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope='dfa_lab',
    locations=['dfa_lab.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    scope='dfa_lab',
    locations=['dfa_lab.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    scope='dfa_lab',
    locations=['dfa_lab.datasets'])

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='dfa_lab',
    locations=['dfa_lab.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope='dfa_lab')

OPTIMIZERS = Registry(
    'optimizer',
    parent=MMENGINE_OPTIMIZERS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    scope='dfa_lab',
    locations=['dfa_lab.engine'])

METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    scope='dfa_lab',
    locations=['dfa_lab.evaluation'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMENGINE_EVALUATOR,
    scope='dfa_lab',
    locations=['dfa_lab.evaluation'])

TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, scope='dfa_lab')
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, scope='dfa_lab')
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, scope='dfa_lab')
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMENGINE_LOG_PROCESSORS, scope='dfa_lab')
INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, scope='dfa_lab')
FUNCTIONS = Registry(
    'function',
    parent=MMENGINE_FUNCTIONS,
    scope='dfa_lab',
    locations=['dfa_lab.datasets'])

_SIMPLE_TYPES = {
    float: 'a number',
    int: 'an integer',
    bool: 'True or False',
    str: 'a string'
}


def _simple_type(hint):
    """``(type, optional)`` for a ``float``/``int``/``bool``/``str`` hint,
    possibly ``Optional``; ``None`` for any other hint."""
    optional = False
    if typing.get_origin(hint) is typing.Union:
        members = [
            arg for arg in typing.get_args(hint) if arg is not type(None)
        ]
        if len(members) != 1 or len(members) == len(typing.get_args(hint)):
            return None
        hint, optional = members[0], True
    return (hint, optional) if hint in _SIMPLE_TYPES else None


def _accepts(kind, value) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _check_option_types(registry: MMEngineRegistry, cfg) -> None:
    if not isinstance(cfg, dict) or not isinstance(cfg.get('type'), str):
        return
    with registry.switch_scope_and_registry(cfg.get('_scope_')) as found:
        cls = found.get(cfg['type'])
    if not inspect.isclass(cls):
        return
    try:
        hints = typing.get_type_hints(cls.__init__)
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError, NameError):
        return
    for name, value in cfg.items():
        simple = _simple_type(hints.get(name))
        if simple is None or name not in parameters:
            continue
        kind, optional = simple
        if value is None and (optional or parameters[name].default is None):
            continue
        if not _accepts(kind, value):
            raise TypeError(
                f'{cls.__name__} option {name!r} must be {_SIMPLE_TYPES[kind]}'
                f', got {value!r} ({type(value).__name__}); see the config '
                f'entry with type={cfg["type"]!r}.')
