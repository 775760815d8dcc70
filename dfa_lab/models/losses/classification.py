"""Source classification loss ``L_cls`` (eq. 16)."""
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean softmax cross-entropy ``-log p(y|x)`` over the batch (eq. 16)."""
    return F.cross_entropy(logits, labels)


@MODELS.register_module()
class CrossEntropyLoss(WeightedLoss):
    """``loss_weight * cross_entropy(logits, labels)``; see
    :func:`cross_entropy`."""

    loss_fn = staticmethod(cross_entropy)
