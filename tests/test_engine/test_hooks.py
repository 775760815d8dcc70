"""dfa_lab's hooks, one behaviour at a time."""
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub, MMLogger
from torch.utils.data import DataLoader

from dfa_lab.engine import (AverageOverRanksHook, NonFiniteCheckHook,
                            RandomStateHook)
from dfa_lab.engine.hooks import (SafeCheckpointHook, checkpoint_due,
                                  non_finite_tensors)
from dfa_lab.registry import HOOKS


def fake_runner(iteration=0, max_iters=10, hooks=(), scalars=None):
    hub = MessageHub.get_instance(f'hooks-test-{id(scalars)}-{iteration}')
    for key, value in (scalars or {}).items():
        hub.update_scalar(f'train/{key}', value)
    return SimpleNamespace(
        iter=iteration,
        max_iters=max_iters,
        hooks=list(hooks),
        message_hub=hub)


def test_checkpoint_due_follows_the_checkpoint_hook():
    hook = CheckpointHook(interval=3, by_epoch=False, save_last=True)
    due = [
        it + 1 for it in range(10)
        if checkpoint_due(fake_runner(it, 10, [hook]))
    ]
    assert due == [3, 6, 9, 10]
    assert not checkpoint_due(fake_runner(2, 10, []))


def test_non_finite_tensors_names_them():
    state_dict = dict(
        w=torch.ones(3),
        bn=torch.tensor([1., math.inf]),
        steps=torch.tensor([3]))
    optimizer = dict(
        generator=dict(state={
            0:
            dict(exp_avg=torch.tensor([math.nan]), step=torch.tensor(2.))
        }))
    tree = dict(state_dict=state_dict, optimizer=optimizer)
    assert non_finite_tensors(tree) == [
        'state_dict.bn', 'optimizer.generator.state.0.exp_avg'
    ]


def test_non_finite_loss_stops_training_naming_term_and_iteration():
    hook = NonFiniteCheckHook()
    outputs = dict(loss=torch.tensor(1.), loss_dal=torch.tensor(math.nan))
    runner = fake_runner(4, scalars=dict(loss=1.0, loss_dal=math.nan))
    with pytest.raises(
            FloatingPointError,
            match=r'Non-finite loss at iteration 5: loss_dal = '
            r'nan\. .*no checkpoint of this iteration'):
        hook.after_train_iter(runner, 4, outputs=outputs)
    finite = fake_runner(4, scalars=dict(loss=1.0, loss_dal=2.0))
    hook.after_train_iter(finite, 4, outputs=outputs)


def test_no_checkpoint_with_a_non_finite_tensor_is_written():
    hook = NonFiniteCheckHook()
    checkpoint = dict(
        meta=dict(iter=3),
        state_dict=dict(w=torch.ones(2), running_var=torch.tensor([math.inf])),
        optimizer=dict(state={}, param_groups=[]))
    with pytest.raises(
            FloatingPointError,
            match='Refusing to write the checkpoint of iteration 3: '
            'non-finite values in state_dict.running_var'):
        hook.before_save_checkpoint(SimpleNamespace(iter=7), checkpoint)
    checkpoint['state_dict']['running_var'].fill_(1)
    hook.before_save_checkpoint(SimpleNamespace(iter=7), checkpoint)


def test_validation_leaves_the_training_random_stream_alone():
    hook = RandomStateHook()
    loader = DataLoader(list(range(4)), batch_size=2)
    torch.manual_seed(0)
    uninterrupted = torch.rand(3)
    torch.manual_seed(0)
    hook.before_val(None)
    for _ in loader:  # the iterator draws its base seed from torch
        torch.rand(5)
    hook.after_val_epoch(None, metrics={})
    assert torch.equal(torch.rand(3), uninterrupted)


def test_average_over_ranks_is_a_no_op_in_one_process():
    outputs = dict(loss=torch.tensor(2.5))
    AverageOverRanksHook().after_train_iter(fake_runner(), 0, outputs=outputs)
    assert outputs['loss'].item() == 2.5


class FailingSaves:
    """A runner whose checkpoints are written as small files, and whose
    save of iteration ``fail_at`` fails as a killed or full-disk save
    would, before the file is complete."""

    def __init__(self, work_dir, fail_at):
        self.work_dir = str(work_dir)
        self.fail_at = fail_at
        self.message_hub = MessageHub.get_instance(f'saves-{work_dir}')
        self.logger = MMLogger.get_instance(f'saves-{work_dir}')
        self.epoch = 0
        self.iter = 0
        self.max_iters = 10

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if f'iter_{self.fail_at}' in filename:
            raise OSError(28, 'No space left on device')
        (Path(out_dir) / filename).write_text(filename)


@pytest.mark.parametrize('max_keep_ckpts', [1, 2])
def test_checkpoint_hook_removes_old_checkpoints_only_after_a_save(
        tmp_path, max_keep_ckpts):
    runner = FailingSaves(tmp_path, fail_at=3)
    hook = HOOKS.build(
        dict(
            type='CheckpointHook',
            interval=1,
            by_epoch=False,
            max_keep_ckpts=max_keep_ckpts))
    assert isinstance(hook, SafeCheckpointHook)
    hook.before_train(runner)
    for iteration in range(2):
        runner.iter = iteration
        hook.after_train_iter(runner, iteration)
    kept = sorted(path.name for path in tmp_path.glob('iter_*.pth'))
    assert kept == ['iter_1.pth', 'iter_2.pth'][-max_keep_ckpts:]
    runner.iter = 2
    with pytest.raises(OSError):
        hook.after_train_iter(runner, 2)
    assert sorted(path.name for path in tmp_path.glob('iter_*.pth')) == kept


def test_checkpoint_hook_keeps_the_best_checkpoint_until_a_new_one_is_saved(
        tmp_path):
    runner = FailingSaves(tmp_path, fail_at=2)
    hook = HOOKS.build(
        dict(
            type='CheckpointHook',
            interval=100,
            by_epoch=False,
            save_best='accuracy',
            rule='greater'))
    hook.before_train(runner)
    runner.iter = 1
    hook.after_val_epoch(runner, dict(accuracy=50.0))
    assert (tmp_path / 'best_accuracy_iter_1.pth').is_file()
    runner.iter = 2
    with pytest.raises(OSError):
        hook.after_val_epoch(runner, dict(accuracy=60.0))
    assert (tmp_path / 'best_accuracy_iter_1.pth').is_file()
