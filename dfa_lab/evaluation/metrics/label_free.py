"""Model-selection criteria that read no target labels.

Picking a checkpoint by target test accuracy is an oracle choice (see
:class:`~dfa_lab.evaluation.metrics.TargetAccuracy`). The criteria here
score a model from its predictions on unlabelled target images, or from its
accuracy on held-out *source* data, so they can select checkpoints in an
unsupervised domain adaptation experiment. Every target-side criterion is
reported so that higher is better.
"""
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from torch import Tensor

from dfa_lab.registry import METRICS
from .target_accuracy import TargetAccuracy


def probability_entropy(probs: Tensor) -> Tensor:
    """Entropy ``-sum_k p_k log p_k`` (nats) of each row of class
    probabilities ``(N, K)``, with ``0 log 0 = 0``."""
    return -torch.special.xlogy(probs, probs).sum(dim=-1)


def information_maximization(probs: Tensor) -> Tensor:
    """``H(mean_i p_i) - mean_i H(p_i)`` of class probabilities ``(N, K)``.

    The mutual information between inputs and predicted classes: high when
    every prediction is confident (low mean entropy) and the classes are
    used evenly (high entropy of the mean prediction).
    """
    return probability_entropy(
        probs.mean(dim=0)) - probability_entropy(probs).mean()


def soft_neighborhood_density(probs: Tensor,
                              temperature: float = 0.05,
                              chunk_size: int = 1024) -> Tensor:
    """Soft Neighborhood Density (Saito et al., ICCV 2021).

    With ``f_i = p_i / ||p_i||_2`` the L2-normalised predictions, each sample
    ``i`` gets a distribution over the *other* samples::

        P_ij = exp(f_i . f_j / T) / sum_{l != i} exp(f_i . f_l / T),  j != i

    and SND is the mean over ``i`` of its entropy ``-sum_j P_ij log P_ij``.
    It is high when predictions form dense neighbourhoods of similar samples.

    Args:
        probs: Class probabilities ``(N, K)``, ``N >= 2``.
        temperature: ``T``.
        chunk_size: Rows of the ``N x N`` similarity matrix held at once;
            the full matrix of a large target set (VisDA-2017: 55k images)
            would not fit in memory.

    Returns:
        Tensor: The scalar SND.
    """
    if probs.shape[0] < 2:
        raise ValueError(
            'Soft neighborhood density needs at least two samples, got '
            f'{probs.shape[0]}.')
    features = F.normalize(probs, dim=1)
    entropies = []
    for start in range(0, len(features), chunk_size):
        rows = features[start:start + chunk_size]
        logits = rows @ features.T / temperature
        # A sample is not its own neighbour: exp(-inf) removes it from the
        # softmax, and xlogy counts its zero probability as 0.
        own = torch.arange(len(rows))
        logits[own, own + start] = float('-inf')
        entropies.append(probability_entropy(logits.softmax(dim=1)))
    return torch.cat(entropies).mean()


class LabelFreeMetric(BaseMetric):
    """Base of the criteria computed from the adapter's class probabilities
    on the evaluation images alone; their labels are never read.

    Each sample's result is its probability vector (the softmax of
    ``pred_logits``, the adapter's final prediction: the ensemble ``F1 + F2``
    for MCD). Criteria over the whole set (the mean prediction, the
    neighbourhoods of SND) are computed from all of them after mmengine has
    gathered the results of every rank.

    In the standard validation loop the evaluation images are the target
    test images: the criteria see them, but not their labels. Being
    higher-is-better but not named like mmengine's default ``'greater'``
    keys, they need ``rule='greater'`` when they select checkpoints, e.g.
    ``default_hooks.checkpoint.save_best='label_free/snd'`` with
    ``rule='greater'``.

    Args:
        prefix: Prefix of the metric names, ``'label_free'`` by default.
        collect_device: Device for collecting results across ranks.
    """

    default_prefix = 'label_free'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                sample['pred_logits'].float().softmax(dim=-1).cpu())

    def compute_metrics(self, results: List[Tensor]) -> Dict[str, float]:
        return self.criterion(torch.stack(results))

    @abstractmethod
    def criterion(self, probs: Tensor) -> Dict[str, float]:
        """The metric values from the class probabilities ``(N, K)`` of the
        whole evaluation set."""


@METRICS.register_module()
class TargetEntropy(LabelFreeMetric):
    """Mean prediction entropy on the target images, negated.

    Reports ``neg_entropy = -mean_i H(p_i)``: confident target predictions
    score high. Methods that minimise the target entropy during training
    (``L_ent``, eq. 19: ENT, DFA-ENT, SAFN) optimise this very quantity, so
    for them it rewards confidence whether or not it is deserved.
    """

    def criterion(self, probs: Tensor) -> Dict[str, float]:
        return {'neg_entropy': -probability_entropy(probs).mean().item()}


@METRICS.register_module()
class InformationMaximization(LabelFreeMetric):
    """Information maximisation score ``im = H(mean_i p_i) - mean_i H(p_i)``
    on the target images (see :func:`information_maximization`).

    Unlike the entropy alone, it penalises a model that puts every target
    image in the same few classes.
    """

    def criterion(self, probs: Tensor) -> Dict[str, float]:
        return {'im': information_maximization(probs).item()}


@METRICS.register_module()
class SoftNeighborhoodDensity(LabelFreeMetric):
    """Soft Neighborhood Density ``snd`` of the target predictions (Saito et
    al., "Tune it the Right Way: Unsupervised Validation of Domain
    Adaptation via Soft Neighborhood Density", ICCV 2021); see
    :func:`soft_neighborhood_density`.

    Args:
        temperature: Softmax temperature of the similarities (0.05 in the
            SND paper).
        prefix: Prefix of the metric names, ``'label_free'`` by default.
        collect_device: Device for collecting results across ranks.
    """

    def __init__(self,
                 temperature: float = 0.05,
                 prefix: Optional[str] = None,
                 collect_device: str = 'cpu'):
        super().__init__(prefix=prefix, collect_device=collect_device)
        if temperature <= 0:
            raise ValueError(
                f'temperature must be positive, got {temperature}.')
        self.temperature = temperature

    def criterion(self, probs: Tensor) -> Dict[str, float]:
        return {
            'snd': soft_neighborhood_density(probs, self.temperature).item()
        }


@METRICS.register_module()
class SourceValidationAccuracy(TargetAccuracy):
    """Accuracy on a held-out split of the *source* training data.

    It computes what :class:`TargetAccuracy` computes, on whatever labelled
    samples it receives, and names the values ``source_val/<name>``
    (``source_val/accuracy``, ...) so that they cannot pass for target
    results. Source labels are available in unsupervised domain adaptation,
    so ``save_best='source_val/accuracy'`` is a legitimate selection rule.

    Its samples must come from source images that training does not see:
    :class:`~dfa_lab.engine.UDAValLoop` evaluates it in a validation pass of
    its own over a held-out split of the source training set
    (``tools/train.py --source-val FRACTION``). It must not be added to the
    ``val_evaluator`` of the target test set, whose labels it would read.
    """

    default_prefix = 'source_val'
