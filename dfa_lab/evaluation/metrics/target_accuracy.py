"""Accuracy on the labelled target test set."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from dfa_lab.registry import METRICS


def accuracy(pred: torch.Tensor, gt: torch.Tensor) -> float:
    """Percentage of predictions equal to the labels."""
    return (pred == gt).float().mean().item() * 100


def mean_class_accuracy(pred: torch.Tensor, gt: torch.Tensor) -> float:
    """Mean over the classes present in ``gt`` of each class's accuracy
    (recall), in percent: the VisDA-2017 measure."""
    per_class = [(pred[gt == c] == c).float().mean() for c in torch.unique(gt)]
    return torch.stack(per_class).mean().item() * 100


@METRICS.register_module()
class TargetAccuracy(BaseMetric):
    """Overall and per-class mean accuracy on the target test set.

    Reports ``accuracy`` and ``mean_class_accuracy`` of the adapter's
    prediction (the ensemble ``F1 + F2`` for MCD) and, for adapters with
    several heads, ``<head>_accuracy`` and ``<head>_mean_class_accuracy``
    for each head (``F1``, ``F2``).

    These numbers use target labels. Logged as a plain metric they are the
    unsupervised-DA test result; used to pick a checkpoint
    (``save_best``), they make an oracle choice and must say so: set
    ``prefix='oracle'`` for that metric (``tools/train.py`` refuses a
    ``save_best`` key that reads target labels under another name).

    Args:
        prefix: Prefix of the metric names, ``'target'`` by default.
        collect_device: Device for collecting results across ranks.
    """

    default_prefix = 'target'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_label' not in sample:
                raise KeyError(
                    f'{type(self).__name__} needs labelled samples '
                    '(gt_label); the evaluation dataset returned none.')
            self.results.append(
                dict(
                    gt_label=int(sample['gt_label']),
                    pred_label=int(sample['pred_logits'].argmax()),
                    head_labels={
                        name: int(logits.argmax())
                        for name, logits in sample['head_logits'].items()
                    }))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        gt = torch.tensor([r['gt_label'] for r in results])
        predictions = {'': torch.tensor([r['pred_label'] for r in results])}
        for name in results[0]['head_labels']:
            predictions[f'{name}_'] = torch.tensor(
                [r['head_labels'][name] for r in results])
        metrics = {}
        for name, pred in predictions.items():
            metrics[f'{name}accuracy'] = accuracy(pred, gt)
            metrics[f'{name}mean_class_accuracy'] = mean_class_accuracy(
                pred, gt)
        return metrics
