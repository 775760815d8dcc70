"""Validation on held-out source data: HoldoutSplit, UDAValLoop and
tools/train.py --source-val."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from dfa_lab.datasets import HoldoutSplit
from dfa_lab.registry import DATASETS
from dfa_lab.utils import enable_source_validation

REPO = Path(__file__).resolve().parents[2]
MCD = REPO / 'configs' / 'mcd' / 'syndigits_ucidigits.py'


class Labelled(Dataset):
    """Items ``{'img': one-hot of the label, 'label': label}``; ``shift``
    rotates the one-hot so that reading it as logits predicts
    ``label + shift``."""

    num_classes = 3
    metainfo = dict(classes=('a', 'b', 'c'))

    def __init__(self, labels, shift=0):
        self.labels = torch.tensor(labels)
        self.shift = shift

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        label = int(self.labels[index])
        img = F.one_hot(torch.tensor((label + self.shift) % 3), 3).float()
        return dict(img=img, label=label)


class Unlabelled(Dataset):
    """Items that are their own index, with no ``labels`` tensor."""

    def __len__(self):
        return 50

    def __getitem__(self, index):
        return dict(img=torch.tensor([float(index)]), label=0)


# 60, 30 and 10 samples of classes 0, 1 and 2, interleaved.
LABELS = [0, 0, 1] * 30 + [2] * 10


def parts(dataset, holdout, seed=0):
    return [
        HoldoutSplit(dataset, holdout, part, seed)
        for part in ('train', 'holdout')
    ]


def test_holdout_split_is_a_seeded_partition():
    dataset = Labelled(LABELS)
    train, holdout = parts(dataset, 0.2)
    assert len(train) == 80 and len(holdout) == 20
    assert not set(train.indices.tolist()) & set(holdout.indices.tolist())
    assert sorted(train.indices.tolist() + holdout.indices.tolist()) == list(
        range(100))
    # Items are the wrapped items, in the wrapped order.
    assert holdout.indices.tolist() == sorted(holdout.indices.tolist())
    index = int(holdout.indices[3])
    assert torch.equal(holdout[3]['img'], dataset[index]['img'])
    assert holdout[3]['label'] == dataset[index]['label']
    assert torch.equal(holdout.labels, dataset.labels[holdout.indices])
    assert holdout.num_classes == 3 and holdout.metainfo == dataset.metainfo

    again = HoldoutSplit(dataset, 0.2, 'holdout', seed=0)
    assert torch.equal(again.indices, holdout.indices)
    other = HoldoutSplit(dataset, 0.2, 'holdout', seed=1)
    assert not torch.equal(other.indices, holdout.indices)


def test_holdout_split_keeps_the_class_balance():
    for holdout in (0.2, 20):
        train, held_out = parts(Labelled(LABELS), holdout)
        assert torch.bincount(held_out.labels).tolist() == [12, 6, 2]
        assert torch.bincount(train.labels).tolist() == [48, 24, 8]
    # Shares of 5 draws over 7, 7 and 6 samples: 1.75, 1.75, 1.5. The two
    # draws left after rounding down go to the largest remainders.
    _, held_out = parts(Labelled([0] * 7 + [1] * 7 + [2] * 6), 5)
    assert torch.bincount(held_out.labels).tolist() == [2, 2, 1]


def test_holdout_split_without_labels_draws_uniformly():
    train, holdout = parts(Unlabelled(), 0.1)
    assert len(holdout) == 5 and len(train) == 45
    assert not hasattr(holdout, 'labels')
    assert [holdout[i]['img'].item() for i in range(5)] == \
        holdout.indices.float().tolist()


def test_holdout_split_builds_from_a_config():
    split = DATASETS.build(
        dict(
            type='HoldoutSplit',
            dataset=dict(type='SynDigits', num_samples=20),
            holdout=0.5,
            part='holdout'))
    assert len(split) == 10
    assert torch.bincount(split.labels).tolist() == [1] * 10
    assert split.metainfo['classes'][0] == '0'


@pytest.mark.parametrize(
    'holdout', [0.0, 1.0, 1.5, -0.1, 0, 100, -3, True, '0.1', None, 0.001])
def test_holdout_split_rejects_bad_sizes(holdout):
    with pytest.raises(ValueError, match='holdout|fraction'):
        HoldoutSplit(Labelled(LABELS), holdout, 'train')


def test_holdout_split_rejects_unknown_parts():
    with pytest.raises(ValueError, match="part must be one of"):
        HoldoutSplit(Labelled(LABELS), 0.1, 'val')


def small_mcd_config():
    cfg = Config.fromfile(str(MCD))
    cfg.train_dataloader.dataset.source.num_samples = 50
    return cfg


def test_enable_source_validation_splits_the_source_training_set():
    cfg = small_mcd_config()
    source = cfg.train_dataloader.dataset.source.to_dict()
    enable_source_validation(cfg, holdout=0.2, seed=3)

    split = dict(type='HoldoutSplit', dataset=source, holdout=0.2, seed=3)
    assert cfg.train_dataloader.dataset.source == dict(split, part='train')
    loader = cfg.val_cfg.source_dataloader
    assert loader.dataset == dict(split, part='holdout')
    assert {
        k: v
        for k, v in loader.items() if k != 'dataset'
    } == {
        k: v
        for k, v in cfg.val_dataloader.items() if k != 'dataset'
    }
    assert cfg.val_cfg.type == 'UDAValLoop'
    assert cfg.val_cfg.source_evaluator == dict(
        type='SourceValidationAccuracy')

    train = DATASETS.build(cfg.train_dataloader.dataset)
    holdout = DATASETS.build(loader.dataset)
    assert len(train.source) == 40 and len(holdout) == 10
    assert not set(train.source.indices.tolist()) & set(
        holdout.indices.tolist())


def test_enable_source_validation_needs_validation_and_a_source():
    cfg = small_mcd_config()
    # What tools/train.py --no-validate leaves.
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    with pytest.raises(ValueError, match='does not validate'):
        enable_source_validation(cfg)
    cfg = small_mcd_config()
    cfg.train_dataloader.dataset = dict(type='SynDigits')
    with pytest.raises(ValueError, match='no source dataset'):
        enable_source_validation(cfg)


class OneHotModel(BaseModel):
    """Predicts the class of the one-hot image; records how it was run."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.calls = []

    def forward(self, img, label=None, mode='predict'):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return [
            dict(
                pred_logits=logits * self.weight, head_logits={}, gt_label=gt)
            for logits, gt in zip(img, label)
        ]


class RecordMetrics(Hook):

    def __init__(self):
        self.metrics = []
        self.iters = 0

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.iters += 1

    def after_val_epoch(self, runner, metrics=None):
        self.metrics.append(metrics)


def test_uda_val_loop_reports_both_passes_at_once(tmp_path):
    # Target predictions are all wrong, source predictions all right.
    target = Labelled(LABELS, shift=1)
    source = HoldoutSplit(Labelled(LABELS), 0.3, 'holdout')
    loader = dict(
        batch_size=8, sampler=dict(type='DefaultSampler', shuffle=False))
    model, hook = OneHotModel(), RecordMetrics()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        val_dataloader=dict(loader, dataset=target),
        val_evaluator=dict(type='TargetAccuracy'),
        val_cfg=dict(
            type='UDAValLoop', source_dataloader=dict(loader, dataset=source)),
        custom_hooks=[hook],
        default_scope='dfa_lab')
    metrics = runner.val()

    assert hook.metrics == [metrics]
    assert metrics['target/accuracy'] == 0.0
    assert metrics['source_val/accuracy'] == pytest.approx(100.0)
    assert hook.iters == 13 + 4  # ceil(100 / 8) + ceil(30 / 8) batches
    assert set(model.calls) == {(False, False)}
    # The loop is back on the target set for the next validation.
    assert isinstance(runner.val_dataloader.dataset, Labelled)
    assert runner.val_loop.evaluator.metrics[0].prefix == 'target'


@pytest.mark.slow
def test_train_with_source_validation_end_to_end(tmp_path):
    options = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=16',
        'train_dataloader.dataset.source.num_samples=128',
        'val_dataloader.batch_size=300', 'default_hooks.checkpoint.interval=2',
        'model.num_k=1', 'default_hooks.checkpoint.save_best='
        'source_val/accuracy', 'default_hooks.checkpoint.rule=greater'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO))
    result = subprocess.run([
        sys.executable, 'tools/train.py',
        str(MCD), '--source-val', '0.2', '--work-dir',
        str(tmp_path), '--cfg-options', *options
    ],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    scalars = next(tmp_path.glob('*/vis_data/scalars.json'))
    lines = [json.loads(line) for line in scalars.read_text().splitlines()]
    validation = next(line for line in lines if 'source_val/accuracy' in line)
    assert validation['step'] == 2
    assert 0 <= validation['source_val/accuracy'] <= 100
    assert 'target/accuracy' in validation
    assert (tmp_path / 'best_source_val_accuracy_iter_2.pth').is_file()
