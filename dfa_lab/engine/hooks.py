"""Hooks that dfa_lab adds to mmengine's defaults."""
import contextlib
import math
import random
from typing import Iterator, List, Tuple

import numpy as np
import torch
from mmengine.dist import all_reduce, all_reduce_params, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.optim import OptimWrapper

from dfa_lab.registry import HOOKS
from dfa_lab.utils.module import unwrap


def checkpoint_due(runner, by_epoch: bool = False) -> bool:
    """Whether a ``CheckpointHook`` of ``runner`` saves at the end of the
    current training iteration (or epoch, with ``by_epoch``); the test is
    the hook's own."""
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
            continue
        if by_epoch:
            due = hook.every_n_epochs(runner, hook.interval, hook.save_begin) \
                or (hook.save_last and hook.is_last_train_epoch(runner))
        else:
            due = hook.every_n_train_iters(
                runner, hook.interval,
                hook.save_begin) or (hook.save_last
                                     and hook.is_last_train_iter(runner))
        if due:
            return True
    return False


@HOOKS.register_module(name='CheckpointHook')
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, removing old checkpoints only once the
    new one is written.

    mmengine's hook removes the oldest kept checkpoint (``max_keep_ckpts``)
    and the previous best one (``save_best``) *before* writing the new one:
    a save that fails or is killed half-way leaves fewer checkpoints than
    asked for, and none with ``max_keep_ckpts=1``. This hook performs those
    removals after ``runner.save_checkpoint`` returns, and not at all when
    it raises. :class:`~dfa_lab.engine.AdapterRunner` writes every
    checkpoint under a temporary name and renames it into place, so it
    returns only once the file is complete.

    It is registered as ``CheckpointHook`` in the ``dfa_lab`` scope, so every
    config's ``default_hooks.checkpoint`` (``type='CheckpointHook'``) builds
    it; its options are mmengine's.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self._removals_deferred():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._removals_deferred():
            super()._save_best_checkpoint(runner, metrics)

    @contextlib.contextmanager
    def _removals_deferred(self):
        """Collect the file backend's removals in the block and perform them
        when it completes."""
        backend = getattr(self, 'file_backend', None)
        # The backend is set in before_train (validation alone never
        # saves); a best checkpoint's save saves the latest one again, in
        # the block that already defers.
        if backend is None or 'remove' in vars(backend):
            yield
            return
        removals = []
        backend.remove = lambda path: removals.append(
            (type(backend).remove, path))
        backend.rmtree = lambda path: removals.append(
            (type(backend).rmtree, path))
        try:
            yield
        finally:
            del backend.remove, backend.rmtree
        for remove, path in removals:
            remove(backend, path)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store the random number generators' states in every checkpoint and
    restore them on resume; keep validation out of the training streams.

    mmengine restores weights, optimizers and the iteration, but not the
    generators behind dropout, prior samples or augmentation; with this hook
    a resumed run draws the same numbers as an uninterrupted one.

    Validation draws from the global generators too (every DataLoader
    iterator takes its base seed from torch's generator), and it runs after
    the checkpoint of its iteration is written. The hook therefore saves the
    generators' states when validation starts and restores them when its
    metrics are in, before anything else runs: training draws the same
    numbers whether or not, and whenever, it validates, and a run resumed
    from a checkpoint written just before a validation continues exactly.

    Checkpoints are written by rank 0, so a distributed resume gives every
    rank rank 0's states (the ranks share their seed unless
    ``diff_rank_seed`` is set).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._training_state = None

    def before_val(self, runner) -> None:
        self._training_state = _random_state()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._training_state is not None:
            _set_random_state(self._training_state)
            self._training_state = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = _random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if state is not None:
            _set_random_state(state)


def _random_state() -> dict:
    """The generators' states as plain data: numpy's key array is stored as
    a tensor, so that loading a checkpoint allows no numpy globals."""
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), position,
               has_gauss, cached_gaussian),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _set_random_state(state: dict) -> None:
    """Restore the states of :func:`_random_state`, also when a checkpoint
    was loaded onto a GPU (resuming maps every tensor to the device) and
    from checkpoints that stored numpy's keys as an array."""
    random.setstate(state['python'])
    name, keys, *rest = state['numpy']
    if isinstance(keys, torch.Tensor):
        keys = keys.cpu().numpy()
    np.random.set_state((name, keys.astype(np.uint32), *rest))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([cuda.cpu() for cuda in state['cuda']])


@HOOKS.register_module()
class AverageOverRanksHook(Hook):
    """Make what rank 0 logs and saves stand for every rank of a
    distributed run.

    - The losses a ``train_step`` returns are replaced by their mean over
      the ranks (one all-reduce per iteration, no host synchronisation)
      before mmengine logs them, so the log reports the whole batch, not
      rank 0's share of it.
    - The model's floating-point buffers (BatchNorm running statistics) are
      averaged over the ranks before every validation and before every
      checkpoint. Each rank updates them on its own share of the batch;
      without this, validation would run with per-rank statistics and the
      checkpoint would keep rank 0's. A running average is linear in its
      updates, so averaging only at those points gives the statistics that
      averaging after every iteration would. With SyncBatchNorm
      (``sync_bn``) the statistics are the same on every rank already.

    It does nothing in a single process.
    """

    priority = 'HIGHEST'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if get_world_size() == 1:
            return
        if outputs:
            keys = [
                key for key, value in outputs.items()
                if isinstance(value, torch.Tensor) and value.numel() == 1
            ]
            if keys:
                values = torch.stack([
                    outputs[key].detach().float().reshape(()) for key in keys
                ])
                all_reduce(values, op='mean')
                outputs.update(zip(keys, values))
        if checkpoint_due(runner):
            self._average_buffers(runner)

    def after_train_epoch(self, runner) -> None:
        if get_world_size() > 1 and checkpoint_due(runner, by_epoch=True):
            self._average_buffers(runner)

    def before_val_epoch(self, runner) -> None:
        if get_world_size() > 1:
            self._average_buffers(runner)

    @staticmethod
    def _average_buffers(runner) -> None:
        buffers = [
            buffer for buffer in unwrap(runner.model).buffers()
            if buffer.is_floating_point()
        ]
        if buffers:
            all_reduce_params(buffers, op='mean')


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Stop training at the first non-finite loss, and never write a
    checkpoint holding a non-finite tensor.

    - After every iteration, each logged loss term is checked. The values
      are the ones mmengine has already copied to the host for logging
      (its message hub), so the check adds no device synchronisation. A
      ``nan`` or ``inf`` raises :class:`FloatingPointError` naming the term
      and the iteration, before the checkpoint of that iteration is
      written and before an old checkpoint is deleted to make room for it.
    - Before every checkpoint (and every validation, which may save the
      best checkpoint), the parameters, buffers and optimizer states are
      checked, and once more in the checkpoint about to be written: an
      infinite BatchNorm running variance, say, stops training with the
      names of the offending tensors instead of being saved.
    """

    priority = 'HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        bad = []
        # Logged diagnostics (keys without 'loss') are not the objective.
        for key in (k for k in outputs or {} if 'loss' in k):
            scalar = runner.message_hub.get_scalar(f'train/{key}')
            value = scalar.current()
            if not math.isfinite(value):
                bad.append(f'{key} = {value}')
        if bad:
            raise FloatingPointError(
                f'Non-finite loss at iteration {runner.iter + 1}: '
                f'{", ".join(bad)}. Training stops here; no checkpoint of '
                'this iteration is written' + _last_checkpoint(runner) +
                '. Lower the learning rate or the weight of that loss term.')
        if checkpoint_due(runner):
            self._check_training_state(
                runner, runner.iter + 1,
                'the checkpoint of this iteration is not written')

    def after_train_epoch(self, runner) -> None:
        if checkpoint_due(runner, by_epoch=True):
            self._check_training_state(
                runner, runner.iter,
                'the checkpoint of this epoch is not written')

    def before_val_epoch(self, runner) -> None:
        self._check_training_state(runner, runner.iter,
                                   'validation does not run')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors({
            key: checkpoint[key]
            for key in ('state_dict', 'optimizer') if key in checkpoint
        })
        if bad:
            iteration = checkpoint.get('meta', {}).get('iter', runner.iter)
            raise FloatingPointError(
                f'Refusing to write the checkpoint of iteration {iteration}: '
                f'non-finite values in {_names(bad)}.')

    @staticmethod
    def _check_training_state(runner, iteration: int,
                              consequence: str) -> None:
        state = {'state_dict': unwrap(runner.model).state_dict()}
        if isinstance(runner.optim_wrapper, OptimWrapper):
            state['optimizer'] = runner.optim_wrapper.state_dict()
        bad = non_finite_tensors(state)
        if bad:
            raise FloatingPointError(
                f'Non-finite values after iteration {iteration} in '
                f'{_names(bad)}; {consequence}' + _last_checkpoint(runner) +
                '. Lower the learning rate.')


def non_finite_tensors(tree) -> List[str]:
    """Dotted names of the floating-point tensors of a nested dict/list
    ``tree`` that hold a ``nan`` or an ``inf``."""
    return [
        name for name, tensor in _tensors(tree, '') if
        tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]


def _tensors(tree, prefix: str) -> Iterator[Tuple[str, torch.Tensor]]:
    if isinstance(tree, torch.Tensor):
        yield prefix, tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from _tensors(value,
                                f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(tree, (list, tuple)):
        for index, value in enumerate(tree):
            yield from _tensors(value, f'{prefix}.{index}')


def _names(names: List[str]) -> str:
    shown = ', '.join(names[:8])
    return shown + (f' and {len(names) - 8} more' if len(names) > 8 else '')


def _last_checkpoint(runner) -> str:
    last = runner.message_hub.get_info('last_ckpt')
    return f' (the last checkpoint written is {last})' if last else ''
