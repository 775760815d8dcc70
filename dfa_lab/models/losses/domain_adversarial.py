"""The domain-adversarial loss of DANN and CDAN, and CDAN+E's entropy
weights."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def domain_adversarial_loss(source_logits: Tensor,
                            target_logits: Tensor,
                            source_weight: Optional[Tensor] = None,
                            target_weight: Optional[Tensor] = None) -> Tensor:
    """Binary cross-entropy of a domain discriminator that labels source
    samples 1 and target samples 0, the mean of the two domains' means.

    ``0.5 * (sum_i w_i BCE(d_i, 1) / sum_i w_i + sum_j w_j BCE(d_j, 0) /
    sum_j w_j)`` over the source samples ``i`` and target samples ``j``.
    Without weights (``w = 1``) and with batches of equal size this is the
    plain mean BCE over both batches (DANN, CDAN). With CDAN+E's weights
    (:func:`entropy_weights`) each domain's weights are normalised within
    the domain, as in the CDAN code. The weights are used as given: pass
    them detached to keep gradients out of them.

    Args:
        source_logits: Discriminator logits ``(B_s, )`` of source samples.
        target_logits: Discriminator logits ``(B_t, )`` of target samples.
        source_weight: Per-sample weights ``(B_s, )``, or None.
        target_weight: Per-sample weights ``(B_t, )``, or None.
    """
    source = F.binary_cross_entropy_with_logits(
        source_logits, torch.ones_like(source_logits), reduction='none')
    target = F.binary_cross_entropy_with_logits(
        target_logits, torch.zeros_like(target_logits), reduction='none')
    return 0.5 * (
        _weighted_mean(source, source_weight) +
        _weighted_mean(target, target_weight))


def _weighted_mean(values: Tensor, weight: Optional[Tensor]) -> Tensor:
    if weight is None:
        return values.mean()
    if weight.shape != values.shape:
        raise ValueError(f'Expected one weight per sample, {values.shape}; '
                         f'got weights of shape {tuple(weight.shape)}.')
    return (weight * values).sum() / weight.sum()


def entropy_weights(probabilities: Tensor) -> Tensor:
    """CDAN+E's per-sample weights ``1 + exp(-H(g))``, with ``H(g) = -sum_k
    g_k log g_k`` the entropy of the class probabilities ``g`` ``(B, K)``:
    between 1 + 1/K (uniform ``g``) and 2 (one-hot ``g``), so confident
    predictions weigh more in the discriminator's loss."""
    entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(1)
    return 1.0 + torch.exp(-entropy)


@MODELS.register_module()
class DomainAdversarialLoss(WeightedLoss):
    """``loss_weight * domain_adversarial_loss(...)``; see
    :func:`domain_adversarial_loss`. ``loss_weight`` is the trade-off
    between classification and domain confusion (1 in DANN's and CDAN's
    experiments)."""

    loss_fn = staticmethod(domain_adversarial_loss)
