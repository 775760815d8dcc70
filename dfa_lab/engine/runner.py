"""The Runner of dfa_lab's configs."""
import difflib
import errno
import inspect
import numbers
import os
import os.path as osp
import re
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from mmengine.dist import master_only
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint_to_model,
                                        get_state_dict)

from dfa_lab.datasets.base import describe_dataset
from dfa_lab.models.adapters import BaseAdapter
from dfa_lab.registry import RUNNERS
from dfa_lab.utils.checkpoint import (CheckpointError,
                                      find_resumable_checkpoint,
                                      message_hub_from_data,
                                      message_hub_to_data, read_checkpoint,
                                      state_dict_mismatch)
from dfa_lab.utils.floating_point import flush_denormals
from dfa_lab.utils.module import unwrap
from dfa_lab.utils.work_dir_lock import WorkDirLock

#: The ``env_cfg`` options: mmengine's (``Runner.setup_env``) and
#: ``flush_denormal``.
ENV_CFG_KEYS = frozenset(
    {'cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit',
     'flush_denormal'})

#: Suffix of a checkpoint while it is written; it is renamed to its own name
#: once complete.
PARTIAL_SUFFIX = '.partial'


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
    - executes nothing a checkpoint carries: mmengine's ``resume`` runs
      ``meta['config']`` as Python (``Config.fromstring``) to compare GPU
      counts; this runner drops that entry unread, saves the message hub as
      plain data (:func:`~dfa_lab.utils.message_hub_to_data`) and reads
      every checkpoint with :func:`~dfa_lab.utils.read_checkpoint`;
    - records in each checkpoint how its training batches were drawn
      (``meta['train_batches']``: processes and batch size) and refuses to
      resume with another number of processes or another batch size:
      mmengine skips the saved number of iterations of the *new* layout, so
      the run would repeat or skip training pairs;
    - holds the work dir's lock (:class:`~dfa_lab.utils.WorkDirLock`) from
      when a run configured to train (``train_cfg`` set) is built until its
      training ends, so a second training into the same work dir is refused
      before it writes anything; a run that only tests dumps its config
      into its log folder, not over the training's;
    - writes each checkpoint under a temporary name (``PARTIAL_SUFFIX``)
      and renames it into place when complete, so a save that fails or is
      killed leaves no partial checkpoint; a failed write raises one error
      naming the checkpoint and the cause. dfa_lab's ``CheckpointHook``
      (:class:`~dfa_lab.engine.hooks.SafeCheckpointHook`) removes old
      checkpoints only after that;
    - flushes subnormal floats to zero on the CPU when
      ``env_cfg.flush_denormal`` is true (see
      :mod:`dfa_lab.utils.floating_point`), and refuses ``env_cfg`` keys
      that mmengine would silently ignore;
    - refuses, when the run is built, a non-positive ``train_cfg.max_iters``
      (or ``max_epochs``) or ``val_interval``, a ``randomness.seed`` that is
      not an integer, and datasets with labels outside the classifiers'
      ``num_classes``;
    - rejects ``default_hooks.checkpoint`` options that mmengine's
      ``CheckpointHook`` would otherwise only reject at its first save.
    """

    def __init__(self, *args, **kwargs):
        arguments = inspect.signature(Runner.__init__).bind(
            self, *args, **kwargs).arguments
        _check_run_options(
            arguments.get('train_cfg'), arguments.get('randomness'))
        _check_env_cfg(arguments.get('env_cfg'))
        self._work_dir_lock: Optional[WorkDirLock] = None
        self._resuming = False
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            self._release_work_dir()
            raise
        for hook in self.hooks:
            if isinstance(hook, CheckpointHook):
                _check_checkpoint_hook_options(hook)

    def setup_env(self, env_cfg: dict) -> None:
        """mmengine's environment set-up (distributed initialisation
        included), with subnormal floats flushed to zero on the CPU first
        when ``env_cfg.flush_denormal`` is true
        (:func:`~dfa_lab.utils.flush_denormals`); then, on rank 0 of a run
        configured to train, take the work dir's lock, before the Runner
        writes its log and config."""
        if env_cfg.get('flush_denormal', False):
            flush_denormals()
        super().setup_env(env_cfg)
        if self._train_loop is not None and self.rank == 0:
            lock = WorkDirLock(self.work_dir)
            lock.acquire()
            self._work_dir_lock = lock

    @master_only
    def dump_config(self) -> None:
        """mmengine's dump of the config into the work dir, for a run
        configured to train; a run that only tests or validates dumps it
        into its own log folder (``<work_dir>/<timestamp>``), so that it
        never replaces the config of a training in the same work dir."""
        if self._train_loop is not None:
            super().dump_config()
            return
        filename = osp.basename(self.cfg.filename or f'{self.timestamp}.py')
        self.cfg.dump(osp.join(self.log_dir, filename))

    def _release_work_dir(self) -> None:
        if self._work_dir_lock is not None:
            self._work_dir_lock.release()
            self._work_dir_lock = None

    def train(self):
        """mmengine's training; the work dir's lock is released when it
        ends, however it ends."""
        try:
            return super().train()
        finally:
            self._release_work_dir()

    def build_train_loop(self, loop):
        """mmengine's, then check the labels of its (source) dataset."""
        loop = super().build_train_loop(loop)
        self._check_labels(loop.dataloader.dataset, 'train_dataloader.dataset')
        return loop

    def build_val_loop(self, loop):
        """mmengine's, then check the labels of the datasets it evaluates."""
        loop = super().build_val_loop(loop)
        self._check_labels(loop.dataloader.dataset, 'val_dataloader.dataset')
        if hasattr(loop, 'source_dataloader'):
            self._check_labels(loop.source_dataloader.dataset,
                               'val_cfg.source_dataloader.dataset')
        return loop

    def build_test_loop(self, loop):
        """mmengine's, then check the labels of the dataset it evaluates."""
        loop = super().build_test_loop(loop)
        self._check_labels(loop.dataloader.dataset, 'test_dataloader.dataset')
        return loop

    def _check_labels(self, dataset, where: str) -> None:
        """Refuse a labelled dataset with a label outside the classifiers'
        classes: in training it would fail inside the loss (on CUDA, as a
        device-side assert), in evaluation it would only lower the
        accuracy."""
        num_classes = _num_classes(unwrap(self.model))
        if num_classes is None:
            return
        for name, part in _labelled_datasets(dataset, where):
            labels = getattr(part, 'labels', None)
            if labels is None:
                continue
            labels = torch.as_tensor(labels)
            outside = labels[(labels < 0) | (labels >= num_classes)]
            if outside.numel():
                raise ValueError(
                    f'{name} ({describe_dataset(part)}) has the label '
                    f'{int(outside[0])} ({outside.numel()} of its '
                    f'{labels.numel()} labels are outside 0..'
                    f'{num_classes - 1}), but the model\'s classifiers have '
                    f'num_classes={num_classes}.')

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
            checkpoint['message_hub'] = message_hub_from_data(
                checkpoint['message_hub'], filename)
            if 'config' in checkpoint['meta']:
                del checkpoint['meta']['config']
                self.logger.warning(
                    f'Checkpoint {filename} carries meta[\'config\'], a '
                    'config as Python source; resuming ignores it (mmengine '
                    'would run it) and uses the config of this run.')

        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        _load_checkpoint_to_model(
            model, checkpoint, strict=False, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _check_resumable(self, filename: str, checkpoint: dict) -> None:
        """Refuse a checkpoint without training state, one whose training
        batches were drawn otherwise than this run's, or whose optimizer
        state does not fit the config's optimizers."""
        if not isinstance(checkpoint.get('meta'),
                          dict) or 'message_hub' not in checkpoint:
            raise CheckpointError(
                f'Checkpoint {filename} holds weights only, no training '
                'state: it can be loaded with load_from, not resumed.')
        self._check_train_batches(filename, checkpoint['meta'])
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

    def _train_batches(self) -> dict:
        """How this run draws its training batches from the sampler's
        stream: the number of processes, and each one's batch size."""
        return dict(
            world_size=self.world_size,
            batch_size=getattr(self.train_dataloader, 'batch_size', None))

    def _check_train_batches(self, filename: str, meta: dict) -> None:
        """Refuse to resume with another number of processes or batch size
        than the checkpoint's.

        mmengine resumes the data by skipping as many batches as the
        checkpoint has iterations, in this run's layout: with another layout
        the run would start at another pair of the sampler's stream than
        the first one not yet trained.
        """
        saved = meta.get('train_batches')
        if saved is None:
            self.logger.warning(
                f'Checkpoint {filename} does not record its number of '
                'processes and batch size (written before dfa_lab did): '
                'resuming continues at the right training pair only if both '
                'are those of the run that wrote it.')
            return
        now = self._train_batches()
        changes = [
            f'{label} {saved.get(key)!r} in the checkpoint, {now[key]!r} now'
            for key, label in (('world_size', 'processes'),
                               ('batch_size', 'train_dataloader.batch_size'))
            if saved.get(key) != now[key]
        ]
        if changes:
            raise CheckpointError(
                f'Checkpoint {filename} was trained with another layout of '
                'the training batches: ' + '; '.join(changes) + '. Resuming '
                'skips as many batches as it has iterations, so it would '
                'repeat or skip training pairs. Resume with the checkpoint\'s '
                'processes and batch size, or start a new run from its '
                f'weights: --cfg-options load_from={filename} (without '
                '--resume).')

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """mmengine's ``save_checkpoint`` (the arguments are its), with the
        layout of the training batches in ``meta['train_batches']``; to a
        local folder, the file is written as ``<filename>.partial``, synced
        and renamed to ``filename``.

        Raises:
            CheckpointError: The file cannot be written (e.g. the disk is
                full); no partial file is left.
        """
        meta = dict(meta or {}, train_batches=self._train_batches())
        options = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        if file_client_args is not None or not isinstance(
                get_file_backend(out_dir, backend_args=backend_args),
                LocalBackend):
            super().save_checkpoint(out_dir, filename, **options)
            return
        path = osp.join(out_dir, filename)
        partial = path + PARTIAL_SUFFIX
        try:
            super().save_checkpoint(out_dir, filename + PARTIAL_SUFFIX,
                                    **options)
            _sync(partial)
            os.replace(partial, path)
            _sync(osp.dirname(path))
        except OSError as error:
            _remove_if_present(partial)
            cause = error.strerror or str(error)
            if error.errno in errno.errorcode:
                cause += f' ({errno.errorcode[error.errno]})'
            raise CheckpointError(
                f'Could not write the checkpoint {path}: {cause}. The '
                'checkpoints written before are kept.') from None
        except BaseException:
            _remove_if_present(partial)
            raise

    def call_hook(self, fn_name: str, **kwargs) -> None:
        """mmengine's; after the ``before_save_checkpoint`` hooks, the
        checkpoint's message hub is turned into plain data
        (:func:`~dfa_lab.utils.message_hub_to_data`), so that loading it
        allows no globals such as ``getattr``."""
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            checkpoint = kwargs['checkpoint']
            checkpoint['message_hub'] = message_hub_to_data(
                checkpoint['message_hub'])


def _sync(path: str) -> None:
    """Flush the file or folder ``path`` to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_if_present(path: str) -> None:
    if osp.exists(path):
        os.remove(path)


def _check_run_options(train_cfg, randomness) -> None:
    """Refuse training lengths, validation intervals and seeds that
    mmengine would accept and then misuse (a negative ``max_iters`` trains
    nothing and exits 0; ``val_interval=0`` divides by zero after training)
    or reject late (a seed that is not an integer fails in numpy)."""
    for key in ('max_iters', 'max_epochs', 'val_interval'):
        value = train_cfg.get(key) if isinstance(train_cfg, dict) else None
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, int) or value <= 0):
            raise ValueError(
                f'train_cfg.{key} must be a positive integer, got {value!r}.')
    seed = randomness.get('seed') if isinstance(randomness, dict) else None
    if seed is not None and (isinstance(seed, bool)
                             or not isinstance(seed, int)):
        raise ValueError(
            'randomness.seed must be an integer (or None to draw one), got '
            f'{seed!r}.')


def _check_env_cfg(env_cfg) -> None:
    """Refuse ``env_cfg`` keys that mmengine would silently ignore (a
    misspelled option is no option) and a ``flush_denormal`` that is not a
    bool."""
    if not isinstance(env_cfg, dict):
        return
    unknown = sorted(set(env_cfg) - ENV_CFG_KEYS)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, ENV_CFG_KEYS, n=1)
            hints.append(f'{key!r}' +
                         (f' (did you mean {close[0]}?)' if close else ''))
        raise ValueError('env_cfg has unknown options: ' + ', '.join(hints) +
                         f'. It accepts: {", ".join(sorted(ENV_CFG_KEYS))}.')
    flush = env_cfg.get('flush_denormal', False)
    if not isinstance(flush, bool):
        raise ValueError(
            f'env_cfg.flush_denormal must be True or False, got {flush!r}.')


def _num_classes(model) -> Optional[int]:
    """The number of classes of an adapter's classifiers (their
    ``num_classes``), or None when the model is no adapter or a head does
    not say."""
    if not isinstance(model, BaseAdapter):
        return None
    counts = {
        getattr(head, 'num_classes', None)
        for head in unwrap(model.classifiers).values()
    }
    return counts.pop() if len(counts) == 1 else None


def _labelled_datasets(dataset, where: str) -> Iterator[Tuple[str, object]]:
    """The labelled datasets of ``dataset`` with their config paths: the
    source of a pair of domains (the target's labels are not used), or the
    dataset itself."""
    if hasattr(dataset, 'source') and hasattr(dataset, 'target'):
        yield f'{where}.source', dataset.source
    else:
        yield where, dataset


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
