"""TrainingSummaryHook: the summary at the end of a run."""
import os.path as osp
from pathlib import Path

from mmengine.config import Config

from dfa_lab.engine import TrainingSummaryHook
from dfa_lab.registry import RUNNERS

REPO = Path(__file__).resolve().parents[2]
MCD = REPO / 'configs/mcd/syndigits_ucidigits.py'
REFERENCE = dict(
    iters=300,
    seeds=[1, 2, 3],
    results='docs/results/embedded.md',
    accuracy={
        'source-only': 43.06,
        'MCD': 61.5
    })


def run(tmp_path, name, reference=None, **options):
    cfg = Config.fromfile(MCD)
    if reference is None:
        cfg.pop('reference_accuracy')
    else:
        cfg.reference_accuracy = reference
    cfg.merge_from_dict({
        'work_dir': str(tmp_path / name),
        'experiment_name': name,
        'train_dataloader.dataset.source.num_samples': 64,
        'train_dataloader.batch_size': 8,
        'model.num_k': 1,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        **options
    })
    runner = RUNNERS.build(cfg)
    runner.train()
    (hook, ) = [h for h in runner.hooks if isinstance(h, TrainingSummaryHook)]
    return runner, hook.summary_lines(runner)


def test_summary_names_accuracies_reference_and_files(tmp_path):
    runner, lines = run(tmp_path, 'summary', reference=REFERENCE)
    assert lines[0].startswith('Training finished: 2 iterations in ')
    metrics = {
        key: runner.message_hub.get_scalar(f'val/{key}').current()
        for key in ('target/accuracy', 'target/F1_accuracy',
                    'target/F2_accuracy')
    }
    assert lines[1] == ('Last validation (iteration 2): ' +
                        ', '.join(f'{key} {value:.2f}'
                                  for key, value in metrics.items()) + '.')
    assert lines[2] == (
        'Reference on this task: source-only 43.1, MCD 61.5 (target '
        'accuracy after 300 iterations, mean of seeds 1, 2, 3; '
        'docs/results/embedded.md); this run trained 2 iterations.')
    assert lines[3] == 'Checkpoint: ' + osp.join(runner.work_dir, 'iter_2.pth')
    log = lines[4][len('Log: '):]
    assert osp.isfile(log) and 'Training finished' in open(log).read()
    tensorboard = lines[5][len('TensorBoard: tensorboard --logdir '):]
    assert osp.isdir(tensorboard)


def test_embedded_task_names_its_reference(tmp_path):
    # The README's first training prints what other methods reach on the
    # task at the config's training length.
    cfg = Config.fromfile(MCD)
    reference = cfg.reference_accuracy
    assert reference.iters == cfg.train_cfg.max_iters
    assert set(reference.accuracy) == {'source-only', 'MCD', 'DFA-MCD'}
    assert (REPO / reference.results).is_file()


def test_summary_without_validation_or_reference(tmp_path):
    _, lines = run(
        tmp_path,
        'plain',
        val_cfg=None,
        val_dataloader=None,
        val_evaluator=None)
    assert lines[1] == ('No validation ran; tools/test.py evaluates a '
                        'checkpoint.')
    assert lines[2].startswith('Checkpoint: ')
