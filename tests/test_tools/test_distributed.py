"""Two CPU processes (torchrun, gloo) against one: loading, resuming,
validation and the training itself."""
import json

import pytest

from .helpers import REPO, assert_same_training_state, evaluate, load, train

CONFIGS = {
    method: REPO / 'configs' / method / 'syndigits_ucidigits.py'
    for method in ('mcd', 'dfa_mcd')
}
EVERY_3 = [
    'model.num_k=2', 'train_cfg.val_interval=3',
    'default_hooks.checkpoint.interval=3'
]

pytestmark = pytest.mark.slow


def logged_scalars(work_dir):
    """Every line of the run's scalars.json, by step."""
    (path, ) = work_dir.glob('*/vis_data/scalars.json')
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return lines


def test_distributed_testing_and_validation_match_one_process(tmp_path):
    train(
        CONFIGS['mcd'],
        tmp_path,
        nproc=2,
        options=EVERY_3 + ['train_cfg.max_iters=3'])
    checkpoint = tmp_path / 'iter_3.pth'
    single, double = tmp_path / 'single.json', tmp_path / 'double.json'
    evaluate(CONFIGS['mcd'], checkpoint, single, options=['model.num_k=2'])
    log = evaluate(
        CONFIGS['mcd'], checkpoint, double, nproc=2, options=['model.num_k=2'])
    assert 'missing keys' not in log and 'unexpected key' not in log
    metrics = json.loads(single.read_text())
    assert json.loads(double.read_text()) == metrics
    # Validation during the distributed run used the checkpoint's
    # BatchNorm statistics (averaged over the ranks), not rank-wise ones.
    (validation, ) = [
        line for line in logged_scalars(tmp_path) if 'target/accuracy' in line
    ]
    assert validation['target/accuracy'] == metrics['target/accuracy']


def test_distributed_resume_equals_an_uninterrupted_run(tmp_path):
    train(
        CONFIGS['mcd'],
        tmp_path / 'full',
        nproc=2,
        options=EVERY_3 + ['train_cfg.max_iters=6'])
    train(
        CONFIGS['mcd'],
        tmp_path / 'half',
        nproc=2,
        options=EVERY_3 + ['train_cfg.max_iters=3'])
    log = train(
        CONFIGS['mcd'],
        tmp_path / 'half',
        '--resume',
        nproc=2,
        options=EVERY_3 + ['train_cfg.max_iters=6'])
    assert 'resumed epoch: 0, iter: 3' in log and 'missing keys' not in log
    assert_same_training_state(tmp_path / 'full' / 'iter_6.pth',
                               tmp_path / 'half' / 'iter_6.pth')


@pytest.mark.parametrize('before, after', [(2, 1), (1, 2)])
def test_resume_refuses_another_number_of_processes(tmp_path, before, after):
    """mmengine would skip 3 batches of the new layout: with 2 -> 1 process
    the pairs of iterations 2 and 3 are trained again, with 1 -> 2 pairs
    are never trained."""
    train(
        CONFIGS['mcd'],
        tmp_path,
        nproc=before,
        options=EVERY_3 + ['train_cfg.max_iters=3'])
    log = train(
        CONFIGS['mcd'],
        tmp_path,
        '--resume',
        nproc=after,
        options=EVERY_3 + ['train_cfg.max_iters=6'],
        expect_ok=False)
    assert (f'Checkpoint {tmp_path / "iter_3.pth"} was trained with another '
            f'layout of the training batches: processes {before} in the '
            f'checkpoint, {after} now') in log
    assert not (tmp_path / 'iter_6.pth').exists()


# SGD with a small step: Adam turns rounding-level differences in
# near-zero gradients into steps of size lr, and MCD's adversarial steps at a
# large lr amplify them. Two iterations: later, float32 rounding (another
# summation order) starts to flip max-pooling choices between near-equal
# activations and the runs drift apart by ~1e-5. A real difference shows at
# once: with rank-wise BatchNorm statistics (no sync_bn) the weights differ
# by 1e-3 after the first iteration.
EQUIVALENCE = [
    'model.num_k=2',
    'model.classifier.input_dropout=0',
    'model.classifier.hidden_dropout=0',
    'train_cfg.max_iters=2',
    'default_hooks.checkpoint.interval=1',
    'optim_wrapper.generator.optimizer.type=SGD',
    'optim_wrapper.generator.optimizer.lr=0.002',
    'optim_wrapper.classifiers.optimizer.type=SGD',
    'optim_wrapper.classifiers.optimizer.lr=0.002',
]
PARAMETER_TOLERANCE = 1e-6  # absolute; measured 1e-7 to 4e-7
BUFFER_TOLERANCE = 1e-4  # relative to the buffer's largest entry
LOSS_TOLERANCE = 1e-5  # relative


@pytest.mark.parametrize('method', ['mcd', 'dfa_mcd'])
def test_two_ranks_of_half_batches_equal_one_rank(tmp_path, method):
    """With SyncBN and no dropout, 2 ranks x 8 samples train as 1 rank x 16
    (parameters to 1e-6, BatchNorm statistics to 1e-4 relative, logged
    losses to 1e-5 relative): same data (UDAPairSampler deals the joint
    stream to the ranks), same prior noise (each rank its rows of one draw),
    statistics of the joint batch (sync_bn), gradients averaged by DDP,
    losses logged as the mean over the ranks."""
    train(
        CONFIGS[method],
        tmp_path / 'one',
        '--no-validate',
        options=EQUIVALENCE + ['train_dataloader.batch_size=16'])
    train(
        CONFIGS[method],
        tmp_path / 'two',
        '--no-validate',
        nproc=2,
        options=EQUIVALENCE +
        ['train_dataloader.batch_size=8', 'sync_bn=torch'])
    assert_two_ranks_equal_one(tmp_path)


def assert_two_ranks_equal_one(tmp_path):
    """The checkpoints and logged losses of runs ``one`` and ``two`` agree
    within the tolerances above."""
    for iteration in (1, 2):
        one = load(tmp_path / 'one' / f'iter_{iteration}.pth')['state_dict']
        two = load(tmp_path / 'two' / f'iter_{iteration}.pth')['state_dict']
        assert one.keys() == two.keys()
        for key, value in one.items():
            difference = (value - two[key]).abs().max()
            if not value.is_floating_point():
                assert difference == 0, key
            elif 'running_' in key:
                assert difference <= BUFFER_TOLERANCE * value.abs().max(), key
            else:
                assert difference <= PARAMETER_TOLERANCE, (iteration, key)
    logs = [logged_scalars(tmp_path / run) for run in ('one', 'two')]
    assert len(logs[0]) == len(logs[1]) == 2
    for line_one, line_two in zip(*logs):
        for key, value in line_one.items():
            if 'loss' in key:
                assert abs(value - line_two[key]) <= LOSS_TOLERANCE * max(
                    1, abs(value)), (line_one['step'], key)


# DANN's and CDAN's one joint update, with every dropout off (the
# discriminator's too). Without entropy conditioning: CDAN+E normalises its
# weights within each rank's batch, which is not the whole batch's
# normalisation.
ADVERSARIAL_EQUIVALENCE = [
    'model.classifier.input_dropout=0',
    'model.classifier.hidden_dropout=0',
    'model.discriminator.dropout=0',
    'train_cfg.max_iters=2',
    'default_hooks.checkpoint.interval=1',
    'optim_wrapper.optimizer.lr=0.002',
]


@pytest.mark.parametrize('method', ['dann', 'cdan'])
def test_two_ranks_of_half_batches_equal_one_rank_adversarial(
        tmp_path, method):
    """As for MCD: 2 ranks x 8 samples train DANN and CDAN as 1 rank x 16.
    Both ranks reverse the gradient with the same coefficient, anneal the
    rate alike and (CDAN) draw the same random multilinear map."""
    config = REPO / 'configs' / method / 'syndigits_ucidigits.py'
    options = ADVERSARIAL_EQUIVALENCE + (['model.entropy_conditioning=False']
                                         if method == 'cdan' else [])
    train(
        config,
        tmp_path / 'one',
        '--no-validate',
        options=options + ['train_dataloader.batch_size=16'])
    train(
        config,
        tmp_path / 'two',
        '--no-validate',
        nproc=2,
        options=options + ['train_dataloader.batch_size=8', 'sync_bn=torch'])
    assert_two_ranks_equal_one(tmp_path)
