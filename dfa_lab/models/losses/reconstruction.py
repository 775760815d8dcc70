"""Paired reconstruction loss ``L_recon`` of the ablation study
(Table 8)."""
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def reconstruction_l1(decoded: Tensor, inputs: Tensor) -> Tensor:
    """``mean |D(G(x)) - x|``: the L1 distance between each input and its
    own decoding, averaged over every element.

    Unlike ``L_dal``
    (:func:`~dfa_lab.models.losses.distribution_alignment_loss`), the two
    batches are *paired*: sample ``i`` of ``decoded`` is the decoding of
    sample ``i`` of ``inputs``, so the shapes must agree exactly (no
    broadcasting).
    """
    if decoded.shape != inputs.shape:
        raise ValueError(
            'A reconstruction must have the shape of its input, got '
            f'{tuple(decoded.shape)} for an input of {tuple(inputs.shape)}.')
    return F.l1_loss(decoded, inputs)


@MODELS.register_module()
class ReconstructionLoss(WeightedLoss):
    """``loss_weight * reconstruction_l1(decoded, inputs)``; see
    :func:`reconstruction_l1`."""

    loss_fn = staticmethod(reconstruction_l1)
