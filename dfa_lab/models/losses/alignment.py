"""Distribution alignment loss ``L_dal`` (eq. 18)."""
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def distribution_alignment_loss(decoded_target: Tensor,
                                decoded_prior: Tensor) -> Tensor:
    """``mean |D(G(x_t)) - D(z_n)|``: the unpaired L1 distance between the
    decoded target latents and the decoded prior samples (eq. 18), averaged
    over every element."""
    return F.l1_loss(decoded_target, decoded_prior)


@MODELS.register_module()
class DistributionAlignmentLoss(WeightedLoss):
    """``loss_weight * L_dal``; see :func:`distribution_alignment_loss`.
    ``loss_weight`` is ``beta`` of the paper."""

    loss_fn = staticmethod(distribution_alignment_loss)
