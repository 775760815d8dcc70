"""Classifier discrepancy ``L_adv`` of MCD (Algorithm 1, steps 2 and 3)."""
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def classifier_discrepancy(logits_1: Tensor, logits_2: Tensor) -> Tensor:
    """Mean absolute difference of the two classifiers' softmax outputs,
    ``mean |softmax(F1(z)) - softmax(F2(z))|`` over batch and classes."""
    return (F.softmax(logits_1, dim=1) -
            F.softmax(logits_2, dim=1)).abs().mean()


@MODELS.register_module()
class ClassifierDiscrepancyLoss(WeightedLoss):
    """``loss_weight * classifier_discrepancy(logits_1, logits_2)``; see
    :func:`classifier_discrepancy`."""

    loss_fn = staticmethod(classifier_discrepancy)
