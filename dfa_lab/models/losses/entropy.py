"""Target prediction entropy ``L_ent`` (eq. 19)."""
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def prediction_entropy(logits: Tensor) -> Tensor:
    """Mean over the batch of ``-sum_k p_k log p_k``, ``p = softmax(logits)``
    (eq. 19). Computed from log-softmax, so it is finite for saturated
    predictions."""
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(dim=1).mean()


@MODELS.register_module()
class EntropyLoss(WeightedLoss):
    """``loss_weight * prediction_entropy(logits)``; see
    :func:`prediction_entropy`."""

    loss_fn = staticmethod(prediction_entropy)
