"""The Runner of dfa_lab's configs."""
import difflib
import inspect
import numbers
import re
from typing import Dict, List

from mmengine.hooks import CheckpointHook
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint_to_model,
                                        get_state_dict)

from dfa_lab.models.adapters import BaseAdapter
from dfa_lab.registry import RUNNERS
from dfa_lab.utils.checkpoint import (CheckpointError,
                                      find_resumable_checkpoint,
                                      read_checkpoint, state_dict_mismatch)
from dfa_lab.utils.module import unwrap


@RUNNERS.register_module()
class AdapterRunner(Runner):
    """mmengine's Runner for adapters, whose ``train_step`` is the
    algorithm (see :class:`~dfa_lab.models.adapters.BaseAdapter`), with
    checked checkpoint loading.

    Configs select it with ``runner_type = 'AdapterRunner'``
    (``configs/_base_/default_runtime.py``); ``tools/train.py`` and
    ``tools/test.py`` build the Runner with ``RUNNERS.build(cfg)``.
    Compared with mmengine's Runner it

    - compiles the adapter's networks for the config's ``compile`` option
      (``compile=True`` or ``compile=dict(mode=..., backend=...)``,
      ``tools/train.py --compile``). mmengine replaces the model's
      ``train_step`` with ``torch.compile(train_step)``; an adapter's
      ``train_step`` steps several optimizers between network calls, so the
      adapter compiles its networks in place instead
      (:meth:`~dfa_lab.models.adapters.BaseAdapter.compile`), once the
      model is wrapped and its checkpoint loaded, as mmengine does;

    - loads checkpoints strictly: a checkpoint whose tensors do not match
      the model (``load_from``, ``tools/test.py``) raises one error listing
      the missing, unexpected and mis-shaped keys. ``load_strict = False``
      in the config (``--non-strict``) loads the matching tensors and logs
      the list instead. Resuming is always strict;
    - names the file and the cause when a checkpoint is empty, truncated,
      corrupt or not a checkpoint;
    - refuses to resume into optimizers that do not fit the saved state, or
      whose hyper-parameters (``lr``, ``weight_decay``, ...) the config
      changed: resuming restores the saved ones, so a new value would be
      silently ignored;
    - resumes automatically (``resume=True`` without ``load_from``) from the
      newest *intact* checkpoint of the work dir, warning about every newer
      one it skips as damaged;
    - rejects ``default_hooks.checkpoint`` options that mmengine's
      ``CheckpointHook`` would otherwise only reject at its first save.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._resuming = False
        for hook in self.hooks:
            if isinstance(hook, CheckpointHook):
                _check_checkpoint_hook_options(hook)

    def _maybe_compile(self, target: str) -> None:
        options = self.cfg.get('compile')
        if options is None or options is False:
            return
        if options is True:
            options = {}
        if not isinstance(options, dict):
            raise TypeError(
                'The config\'s compile option must be True, False or a dict '
                f'of torch.compile options, got {options!r}.')
        model = unwrap(self.model)
        if not isinstance(model, BaseAdapter):
            raise TypeError(
                f'compile={options!r}: AdapterRunner compiles the networks '
                'of a dfa_lab adapter, and the model is a '
                f'{type(model).__name__}.')
        model.compile(**options)
        self.logger.info(
            'Compiled with torch.compile(' +
            ', '.join(f'{key}={value!r}' for key, value in options.items()) +
            '): ' + ', '.join(type(n).__name__ for n in model.networks()) +
            '. The first iterations and the first validation include '
            'compiling.')

    def load_or_resume(self) -> None:
        """Load ``load_from``, or resume from it or (without it) from the
        newest intact checkpoint of the work dir."""
        if self._has_loaded:
            return
        if self._resume:
            resume_from = self._load_from
            if resume_from is None:
                resume_from, skipped = find_resumable_checkpoint(self.work_dir)
                for path, damage in skipped:
                    self.logger.warning(
                        f'Auto-resume skips the damaged checkpoint {path}: '
                        f'{damage}.')
                if resume_from is None:
                    self.logger.info(
                        f'No checkpoint in {self.work_dir} to resume from: '
                        'training starts from the beginning.')
                    return
                self.logger.info(f'Auto-resume from {resume_from}.')
            self.resume(resume_from)
            self._has_loaded = True
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)
            self._has_loaded = True

    def resume(self, filename: str, *args, **kwargs) -> None:
        """mmengine's resume, loading the checkpoint strictly and checking
        that the optimizers can continue from it."""
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict=None,
                        revise_keys=[(r'^module\.', '')]):
        """Load ``filename`` into the model.

        Args:
            filename: The checkpoint.
            map_location: See ``torch.load``.
            strict: Require the checkpoint's tensors to match the model's
                exactly; ``None`` takes the config's ``load_strict``
                (default ``True``), and resuming is always strict.
            revise_keys: ``(pattern, replacement)`` pairs applied to the
                checkpoint's keys first, as in mmengine.

        Raises:
            CheckpointError: The file cannot be read, or does not fit the
                model (strict) or the optimizers (resume).
        """
        checkpoint = read_checkpoint(filename, map_location)
        if strict is None:
            strict = self._resuming or self.cfg.get('load_strict', True)
        model = unwrap(self.model)
        state_dict = checkpoint.get('state_dict', checkpoint)
        for pattern, replacement in revise_keys:
            state_dict = {
                re.sub(pattern, replacement, key): value
                for key, value in state_dict.items()
            }
        mismatch = state_dict_mismatch(get_state_dict(model), state_dict)
        if mismatch and strict:
            hint = ('Resume with the config the checkpoint was trained with.'
                    if self._resuming else
                    'Use the config the checkpoint was trained with, or pass '
                    '--non-strict (load_strict = False) to load only the '
                    'matching tensors.')
            raise CheckpointError(
                f'Checkpoint {filename} does not fit the model '
                f'({type(model).__name__}):\n{mismatch}\n{hint}')
        if mismatch:
            self.logger.warning(
                f'Loading {filename} non-strictly; these tensors keep the '
                f'model\'s initial values or are ignored:\n{mismatch}')
        if self._resuming:
            self._check_resumable(filename, checkpoint)

        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        _load_checkpoint_to_model(
            model, checkpoint, strict=False, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _check_resumable(self, filename: str, checkpoint: dict) -> None:
        """Refuse a checkpoint without training state, or whose optimizer
        state does not fit the config's optimizers."""
        if 'meta' not in checkpoint or 'message_hub' not in checkpoint:
            raise CheckpointError(
                f'Checkpoint {filename} holds weights only, no training '
                'state: it can be loaded with load_from, not resumed.')
        if 'optimizer' not in checkpoint or not isinstance(
                self.optim_wrapper, OptimWrapper):
            return
        optimizers = _named_optimizers(self.optim_wrapper)
        saved = checkpoint['optimizer']
        if list(optimizers) == ['']:
            saved = {'': saved}
        problems = _optimizer_mismatch(optimizers, saved,
                                       _parameter_names(unwrap(self.model)))
        if problems:
            raise CheckpointError(
                f'The optimizer state of {filename} does not fit the '
                'config\'s optimizers: ' + '; '.join(problems) +
                '. Resume with the config the checkpoint was trained with.')
        changes = _hyperparameter_changes(optimizers, saved)
        if changes:
            raise CheckpointError(
                f'Resuming restores the optimizer state of {filename}, '
                'hyper-parameters included, but the config changes them: ' +
                '; '.join(changes) + '. Resume with the checkpoint\'s values, '
                'or start a new run from its weights only: '
                f'--cfg-options load_from={filename} (without --resume).')


def _check_checkpoint_hook_options(hook: CheckpointHook) -> None:
    """Raise on options that ``CheckpointHook`` would pass to
    ``Runner.save_checkpoint`` at its first save, where they fail."""
    save_options = set(inspect.signature(Runner.save_checkpoint).parameters)
    unknown = sorted(set(hook.args) - save_options)
    if not unknown:
        return
    known = sorted((set(inspect.signature(CheckpointHook).parameters)
                    | save_options) -
                   {'self', 'kwargs', 'out_dir', 'filename', 'meta'})
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
        hints.append(f'{key!r}' +
                     (f' (did you mean {", ".join(close)}?)' if close else ''))
    raise ValueError('default_hooks.checkpoint has unknown options: ' +
                     ', '.join(hints) +
                     f'. CheckpointHook accepts: {", ".join(known)}.')


def _named_optimizers(optim_wrapper) -> Dict[str, object]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return {
            name: wrapper.optimizer
            for name, wrapper in optim_wrapper.items()
        }
    return {'': optim_wrapper.optimizer}


def _parameter_names(model) -> Dict[int, str]:
    return {id(param): name for name, param in model.named_parameters()}


def _label(name: str) -> str:
    return f'optimizer {name!r}' if name else 'the optimizer'


def _optimizer_mismatch(optimizers: Dict[str, object], saved: dict,
                        names: Dict[int, str]) -> List[str]:
    """Differences in structure between the live optimizers and the saved
    optimizer states."""
    if set(saved) != set(optimizers):
        return [
            f'the checkpoint has optimizers {sorted(saved)}, the config '
            f'builds {sorted(optimizers)}'
        ]
    problems = []
    for name, optimizer in optimizers.items():
        groups = saved[name].get('param_groups', [])
        live_groups = optimizer.param_groups
        sizes = [len(group['params']) for group in groups]
        live_sizes = [len(group['params']) for group in live_groups]
        if sizes != live_sizes:
            problems.append(
                f'{_label(name)} has parameter groups of sizes {sizes} in '
                f'the checkpoint and {live_sizes} in the config')
            continue
        by_index = {}
        for group, live_group in zip(groups, live_groups):
            by_index.update(zip(group['params'], live_group['params']))
        for index, state in saved[name].get('state', {}).items():
            param = by_index.get(index)
            if param is None:
                continue
            for key, value in state.items():
                shape = tuple(getattr(value, 'shape', ()))
                if shape and shape != tuple(param.shape):
                    problems.append(
                        f'{_label(name)}: state {key!r} of '
                        f'{names.get(id(param), index)} has shape {shape}, '
                        f'the parameter {tuple(param.shape)}')
                    break
    return problems


def _hyperparameter_changes(optimizers: Dict[str, object],
                            saved: dict) -> List[str]:
    """Hyper-parameters that the config sets differently from the saved
    optimizer state (the values before any scheduling: a scheduled
    ``lr`` is compared through its ``initial_lr``)."""
    changes = []
    for name, optimizer in optimizers.items():
        prefix = f'optim_wrapper.{name}.optimizer' if name else \
            'optim_wrapper.optimizer'
        groups = saved[name].get('param_groups', [])
        for index, (group,
                    live) in enumerate(zip(groups, optimizer.param_groups)):
            where = prefix if len(groups) == 1 else \
                f'{prefix} (parameter group {index})'
            for key, value in live.items():
                if key == 'params' or key.startswith('initial_'):
                    continue
                now = live.get(f'initial_{key}', value)
                before = group.get(f'initial_{key}', group.get(key))
                if _is_number_like(now) and _is_number_like(before) and \
                        now != before:
                    changes.append(f'{where}.{key} is {before!r} in the '
                                   f'checkpoint, {now!r} now')
    return changes


def _is_number_like(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_is_number_like(item) for item in value)
    return isinstance(value, numbers.Number)
