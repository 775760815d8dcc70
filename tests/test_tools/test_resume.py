"""Resuming through tools/train.py: exact, checked, and robust to a damaged
latest checkpoint."""
import shutil

import pytest

from .helpers import REPO, assert_same_training_state, load, train

CONFIG = REPO / 'configs' / 'mcd' / 'syndigits_ucidigits.py'
# Validation and checkpoints on the same iterations, as in every paper
# config (validation draws random numbers after the checkpoint is written).
EVERY_3 = [
    'model.num_k=2', 'train_cfg.val_interval=3',
    'default_hooks.checkpoint.interval=3'
]

pytestmark = pytest.mark.slow


def test_resume_with_validation_on_checkpoint_iterations_is_exact(tmp_path):
    train(
        CONFIG, tmp_path / 'full', options=EVERY_3 + ['train_cfg.max_iters=6'])
    train(
        CONFIG, tmp_path / 'half', options=EVERY_3 + ['train_cfg.max_iters=3'])
    log = train(
        CONFIG,
        tmp_path / 'half',
        '--resume',
        str(tmp_path / 'half' / 'iter_3.pth'),
        options=EVERY_3 + ['train_cfg.max_iters=6'])
    assert 'resumed epoch: 0, iter: 3' in log
    assert_same_training_state(tmp_path / 'full' / 'iter_6.pth',
                               tmp_path / 'half' / 'iter_6.pth')


def test_adversarial_host_resumes_on_its_schedules(tmp_path):
    """A DFA-CDAN+E run resumed from its iteration-3 checkpoint ends where
    the uninterrupted run ends: the annealed learning rate, the reversal
    coefficient and the random multilinear map continue from the
    checkpoint."""
    config = REPO / 'configs' / 'dfa_cdan' / 'syndigits_ucidigits.py'
    every_3 = [
        'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3'
    ]
    options = every_3 + ['train_cfg.max_iters=6']
    train(config, tmp_path / 'full', options=options)
    (tmp_path / 'resumed').mkdir()
    shutil.copy(tmp_path / 'full' / 'iter_3.pth',
                tmp_path / 'resumed' / 'iter_3.pth')
    log = train(
        config,
        tmp_path / 'resumed',
        '--resume',
        str(tmp_path / 'resumed' / 'iter_3.pth'),
        options=options)
    assert 'resumed epoch: 0, iter: 3' in log
    assert_same_training_state(tmp_path / 'full' / 'iter_6.pth',
                               tmp_path / 'resumed' / 'iter_6.pth')
    schedulers = [
        load(tmp_path / run / 'iter_6.pth')['param_schedulers'][0]
        for run in ('full', 'resumed')
    ]
    for key in ('last_step', '_global_step', 'end'):
        assert schedulers[0][key] == schedulers[1][key], key
    assert schedulers[1]['end'] == 6


def test_auto_resume_skips_a_damaged_latest_checkpoint(tmp_path):
    options = EVERY_3 + [
        'train_cfg.val_interval=100',
        'default_hooks.checkpoint.max_keep_ckpts=-1'
    ]
    train(
        CONFIG, tmp_path / 'full', options=options + ['train_cfg.max_iters=9'])
    train(
        CONFIG, tmp_path / 'cut', options=options + ['train_cfg.max_iters=6'])
    latest = tmp_path / 'cut' / 'iter_6.pth'
    assert (tmp_path / 'cut' / 'last_checkpoint').read_text().strip() == \
        str(latest)
    # A save interrupted half-way.
    latest.write_bytes(latest.read_bytes()[:latest.stat().st_size // 2])
    log = train(
        CONFIG,
        tmp_path / 'cut',
        '--resume',
        options=options + ['train_cfg.max_iters=9'])
    assert f'Auto-resume skips the damaged checkpoint {latest}' in log
    assert 'truncated' in log and 'resumed epoch: 0, iter: 3' in log
    assert_same_training_state(tmp_path / 'full' / 'iter_9.pth',
                               tmp_path / 'cut' / 'iter_9.pth')


def test_resume_refuses_a_changed_learning_rate(tmp_path):
    train(CONFIG, tmp_path, options=EVERY_3 + ['train_cfg.max_iters=3'])
    log = train(
        CONFIG,
        tmp_path,
        '--resume',
        options=EVERY_3 + [
            'train_cfg.max_iters=6',
            'optim_wrapper.classifiers.optimizer.lr=0.1'
        ],
        expect_ok=False)
    assert ('optim_wrapper.classifiers.optimizer.lr is 0.0002 in the '
            'checkpoint, 0.1 now') in log
    assert 'load_from=' in log and not (tmp_path / 'iter_6.pth').exists()


def test_resume_into_another_model_lists_the_mismatch(tmp_path):
    train(CONFIG, tmp_path, options=EVERY_3 + ['train_cfg.max_iters=3'])
    log = train(
        CONFIG,
        tmp_path,
        '--resume',
        options=EVERY_3 +
        ['train_cfg.max_iters=6', 'model.classifier.hidden_channels=[50,100]'],
        expect_ok=False)
    assert f'Checkpoint {tmp_path / "iter_3.pth"} does not fit the model' \
        in log
    assert ('classifiers.F1.layers.1.weight: checkpoint (100, 768), model '
            '(50, 768)') in log
    assert 'Resume with the config the checkpoint was trained with' in log
    assert load(tmp_path / 'iter_3.pth')['meta']['iter'] == 3


@pytest.mark.parametrize('before, after', [(16, 32), (32, 16)])
def test_resume_refuses_another_batch_size(tmp_path, before, after):
    """mmengine would skip 3 batches of the new size: pairs trained twice
    or never."""
    train(
        CONFIG,
        tmp_path,
        options=EVERY_3 +
        ['train_cfg.max_iters=3', f'train_dataloader.batch_size={before}'])
    log = train(
        CONFIG,
        tmp_path,
        '--resume',
        options=EVERY_3 +
        ['train_cfg.max_iters=6', f'train_dataloader.batch_size={after}'],
        expect_ok=False)
    assert (f'Checkpoint {tmp_path / "iter_3.pth"} was trained with another '
            'layout of the training batches: train_dataloader.batch_size '
            f'{before} in the checkpoint, {after} now') in log
    assert not (tmp_path / 'iter_6.pth').exists()
