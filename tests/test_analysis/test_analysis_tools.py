"""tools/analysis/* end to end on the embedded task, from a checkpoint
trained for two iterations."""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from benchmarking import load_validation_records
from mmengine.config import Config
from PIL import Image

from dfa_lab.analysis import (class_feature_distances, domain_dataset_configs,
                              load_features, mean_distance, per_class_indices)
from dfa_lab.analysis.scalars import label_free_criteria, load_training_series

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/mcd/syndigits_ucidigits.py'
# The source test split is rendered like the training set: 128 images.
OPTIONS = ['train_dataloader.dataset.source.num_samples=128', 'model.num_k=1']
TRAIN_OPTIONS = OPTIONS + [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'train_dataloader.batch_size=16', 'val_dataloader.batch_size=300',
    'default_hooks.checkpoint.interval=2'
]
PER_CLASS = 5


def load_tool(name):
    """A tools/analysis script as a module, to call its ``main``."""
    path = REPO / 'tools' / 'analysis' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'analysis_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The embedded MCD config, also logging the label-free criteria and keeping
# the checkpoint of highest SND.
LABEL_FREE_CONFIG = f"""\
_base_ = ['{CONFIG}']
val_evaluator = [
    dict(type='TargetAccuracy'),
    dict(type='TargetEntropy'),
    dict(type='InformationMaximization'),
    dict(type='SoftNeighborhoodDensity'),
]
default_hooks = dict(
    checkpoint=dict(save_best='label_free/snd', rule='greater'))
"""


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('mcd')
    config = work_dir / 'mcd_label-free.py'
    config.write_text(LABEL_FREE_CONFIG)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run([
        sys.executable, 'tools/train.py',
        str(config), '--work-dir',
        str(work_dir), '--cfg-options', *TRAIN_OPTIONS
    ],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


@pytest.fixture(scope='module')
def features_file(run_dir):
    out = run_dir / 'features' / 'mcd.pt'
    load_tool('extract_features').main([
        str(CONFIG),
        str(run_dir / 'iter_2.pth'), '--out',
        str(out), '--per-class',
        str(PER_CLASS), '--cfg-options', *OPTIONS
    ])
    return out


def assert_png(path):
    assert path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.format == 'PNG'
        image.load()
        assert min(image.size) > 100


@pytest.mark.parametrize('tool', [
    'extract_features', 'tsne', 'latent_histogram', 'accuracy_curves',
    'feature_distance', 'training_curves', 'subnormals'
])
def test_tools_have_help(tool, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool(tool).main(['--help'])
    assert exit_info.value.code == 0
    assert 'usage:' in capsys.readouterr().out


@pytest.mark.slow
def test_extract_features(features_file):
    features = load_features(str(features_file))
    assert features['split'] == 'test' and features['per_class'] == PER_CLASS
    assert features['datasets']['source']['split'] == 'test'
    assert features['datasets']['target']['type'] == 'UCIDigits'
    assert features['classes'] == [str(digit) for digit in range(10)]
    for domain in ('source', 'target'):
        part = features[domain]
        assert part['labels'].bincount().tolist() == [PER_CLASS] * 10
        assert part['latent'].shape == (10 * PER_CLASS, 48, 4, 4)
        assert torch.equal(part['features'], part['latent'].flatten(1))
        logits = part['logits']
        assert set(logits) == {'F1', 'F2', 'prediction'}
        # MCD predicts with the ensemble F1 + F2.
        torch.testing.assert_close(logits['prediction'],
                                   logits['F1'] + logits['F2'])
        for name, out in logits.items():
            assert torch.equal(part['pred_labels'][name], out.argmax(1))


@pytest.mark.slow
def test_tsne(features_file, tmp_path):
    out = tmp_path / 'tsne.png'
    load_tool('tsne').main([str(features_file), '--out', str(out)])
    assert_png(out)


@pytest.mark.slow
def test_latent_histogram(features_file, tmp_path):
    out = tmp_path / 'histogram.png'
    load_tool('latent_histogram').main(
        [str(features_file), '--out',
         str(out), '--class', '3'])
    assert_png(out)


@pytest.mark.slow
def test_accuracy_curves(run_dir, tmp_path, capsys):
    out = tmp_path / 'curves.png'
    load_tool('accuracy_curves').main([
        str(run_dir),
        str(run_dir), '--labels', 'MCD', 'again', '--out',
        str(out)
    ])
    assert_png(out)
    ((step, metrics), ) = load_validation_records(str(run_dir))
    assert step == 2
    accuracy = metrics['target/accuracy']
    assert f'MCD: 1 validations, target/accuracy {accuracy:.2f} at iter 2' \
        in capsys.readouterr().out


def write_scalars(run_dir, timestamp, lines):
    """A ``scalars.json`` as mmengine's LocalVisBackend writes it."""
    folder = run_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(
        json.dumps(line) + '\n' for line in lines))


def test_training_curves_average_runs_and_merge_resumed_logs(tmp_path, capsys):
    runs = []
    for seed, scale in ((1, 1.0), (2, 3.0)):
        run = tmp_path / f'seed_{seed}'
        write_scalars(run, '20260101_000000', [
            {
                'step3/dfa/zero_fraction': 0.5 * scale / 3,
                'step3/dfa/dal': 0.2 * scale,
                'loss': 1.0,
                'step': 50
            },
            {
                'target/accuracy': 50.0,
                'step': 50
            },
        ])
        # Resumed from iteration 50: a second timestamp folder.
        write_scalars(run, '20260101_010000', [
            {
                'step3/dfa/zero_fraction': 1.0 * scale / 3,
                'step3/dfa/dal': 0.01 * scale,
                'loss': 1.0,
                'step': 100
            },
        ])
        runs.append(str(run))
    assert load_training_series(runs[0], 'dfa/dal') == [(50, 0.2), (100, 0.01)]
    assert load_training_series(runs[0], 'loss') == [(50, 1.0), (100, 1.0)]
    mcd = tmp_path / 'mcd'
    write_scalars(mcd, '20260101_000000', [{
        'step1/dfa/kld': 1.0,
        'step2/dfa/kld': 1.0,
        'step': 50
    }])
    with pytest.raises(ValueError, match='several logged names'):
        load_training_series(str(mcd), 'dfa/kld')
    out = tmp_path / 'collapse.png'
    load_tool('training_curves').main([
        '--group', 'DFA-MCD', *runs, '--keys', 'dfa/zero_fraction', 'dfa/dal',
        '--out',
        str(out)
    ])
    assert_png(out)
    printed = capsys.readouterr().out
    # Means over the two runs at iteration 100.
    assert 'dfa/zero_fraction DFA-MCD: 0.6667 at iter 100' in printed
    assert 'dfa/dal DFA-MCD: 0.02 at iter 100' in printed


@pytest.mark.slow
def test_label_free_metrics_in_training(run_dir):
    ((step, metrics), ) = load_validation_records(str(run_dir))
    assert label_free_criteria([
        (step, metrics)
    ]) == ['label_free/im', 'label_free/neg_entropy', 'label_free/snd']
    # Ten classes: entropies lie between 0 and ln 10.
    assert -math.log(10) <= metrics['label_free/neg_entropy'] <= 0
    assert 0 <= metrics['label_free/im'] <= math.log(10)
    assert 0 < metrics['label_free/snd']
    assert (run_dir / 'best_label_free_snd_iter_2.pth').is_file()


@pytest.mark.slow
def test_feature_distance(features_file, tmp_path, capsys):
    out = tmp_path / 'table7.md'
    load_tool('feature_distance').main([
        str(features_file),
        str(features_file), '--labels', 'MCD', 'DFA-MCD', '--out',
        str(out)
    ])
    table = capsys.readouterr().out
    assert out.read_text() == table
    features = load_features(str(features_file))
    source, target = features['source'], features['target']
    overall = mean_distance(
        class_feature_distances(source['features'], source['labels'],
                                target['features'], target['labels']))
    lines = table.splitlines()
    assert lines[0] == '| class | MCD | DFA-MCD |'
    assert lines[12] == f'| **mean** | **{overall:.3f}** | **{overall:.3f}** |'
    assert f'MCD: {features_file}, test split, 5 source and 5 target images ' \
        'a class.' in table


def test_domain_dataset_configs_of_an_image_list_task():
    # Image lists have no split: the source test set is its training list,
    # read with the test transform like the target.
    image_list = dict(type='ImageList', data_root='data', folder='office31')
    train_transform = dict(type='ResizeCrop', crop='random', flip=True)
    test_transform = dict(type='ResizeCrop', crop='center')
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    source=dict(
                        image_list, domain='amazon',
                        transform=train_transform),
                    target=dict(
                        image_list, domain='webcam',
                        transform=train_transform))),
            test_dataloader=dict(
                dataset=dict(
                    image_list, domain='webcam', transform=test_transform))))
    for split in ('train', 'test'):
        configs = domain_dataset_configs(cfg, split)
        assert configs == dict(
            source=dict(image_list, domain='amazon', transform=test_transform),
            target=dict(image_list, domain='webcam', transform=test_transform))
    # The config itself is left as it was.
    assert cfg.train_dataloader.dataset.source.transform.crop == 'random'


def test_per_class_indices():
    labels = torch.tensor([0, 1, 0, 2, 0, 1, 0])
    indices = per_class_indices(labels, 2, seed=3)
    assert labels[indices].bincount().tolist() == [2, 2, 1]
    assert torch.equal(indices, indices.sort().values)
    assert torch.equal(indices, per_class_indices(labels, 2, seed=3))
    assert len(set(indices.tolist())) == 5
    draws = {
        tuple(per_class_indices(labels, 2, seed).tolist())
        for seed in range(10)
    }
    assert len(draws) > 1


def float32_subnormals(tensors) -> int:
    """Subnormal float32 elements by their bits: exponent all zeros,
    mantissa not."""
    count = 0
    for tensor in tensors:
        bits = tensor.contiguous().view(torch.int32)
        count += int((((bits & 0x7F800000) == 0)
                      & ((bits & 0x007FFFFF) != 0)).sum())
    return count


@pytest.mark.slow
def test_subnormals_counts_per_network_and_optimizer_state(
        run_dir, tmp_path, capsys):
    """The training's checkpoint with subnormals planted in the backbone's
    first tensor and the generator optimizer's first ``exp_avg``."""
    checkpoint = torch.load(
        run_dir / 'iter_2.pth', map_location='cpu', weights_only=False)
    tiny = torch.finfo(torch.float32).tiny
    weights = checkpoint['state_dict']
    first = next(name for name in weights if name.startswith('backbone.'))
    # Three subnormals; tiny itself is the smallest normal number.
    weights[first].view(-1)[:4] = torch.tensor(
        [tiny / 2, -tiny / 4, tiny, tiny / 3])
    generator = checkpoint['optimizer']['generator']['state']
    generator[min(generator)]['exp_avg'].view(-1)[:2] = tiny / 8
    planted = tmp_path / 'planted.pth'
    torch.save(checkpoint, planted)
    out = tmp_path / 'subnormals.md'
    load_tool('subnormals').main([str(planted), '--out', str(out)])
    rows = {
        row.split(' | ')[2]: row.split(' | ')[3:5]
        for row in out.read_text().splitlines()[2:]
    }
    for module in ('backbone', 'classifiers'):
        tensors = [
            tensor for name, tensor in weights.items()
            if name.startswith(f'{module}.') and tensor.is_floating_point()
        ]
        assert rows[f'weights: {module}'] == [
            f'{float32_subnormals(tensors):,}',
            f'{sum(tensor.numel() for tensor in tensors):,}'
        ]
    assert int(rows['weights: backbone'][0]) >= 3
    for name, state in checkpoint['optimizer'].items():
        for key in ('exp_avg', 'exp_avg_sq'):
            tensors = [moments[key] for moments in state['state'].values()]
            assert rows[f'optimizer {name}: {key}'][0] == \
                f'{float32_subnormals(tensors):,}'
    assert int(rows['optimizer generator: exp_avg'][0]) >= 2
    assert f'| {planted} | 2 |' in capsys.readouterr().out
