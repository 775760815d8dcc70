"""Divergences between a source and a target batch of latents: the direct
alignments that DFA's Gaussian guidance is compared with (the paper's
Table 8 claim), as users know them from DAN, Deep CORAL and optimal
transport.

Each takes two batches ``(B_s, ...)`` and ``(B_t, ...)`` of the same
per-sample shape, flattened to ``D`` features. Distances are per feature
(squared Euclidean distances divided by ``D``, Euclidean ones by
``sqrt(D)``), as in :mod:`.alignment`, so that a weight keeps its meaning
across latent sizes.

The Sinkhorn divergence is geomloss's ``SamplesLoss``; the multi-kernel MMD
of DAN is written here, since geomloss's Gaussian MMD has one fixed
bandwidth and DAN's kernels follow the batch's mean distance; CORAL is a
covariance difference, not a sample loss geomloss has.
"""
from typing import Sequence

import torch
from geomloss import SamplesLoss
from torch import Tensor

from dfa_lab.registry import MODELS
from .alignment import _flat_pair
from .base import WeightedLoss


def gaussian_mmd(
    source: Tensor,
    target: Tensor,
    bandwidth_multipliers: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0)
) -> Tensor:
    """The squared maximum mean discrepancy under DAN's multi-kernel
    (Long et al., ICML 2015): the sum of Gaussian kernels
    ``exp(-d^2 / (m * s))``, ``d^2`` the squared distance per feature, ``s``
    the mean of ``d^2`` over every pair of the joint batch (no gradient),
    ``m`` each multiplier.

    The biased estimate ``mean K(S, S) + mean K(T, T) - 2 mean K(S, T)``
    (every pair, a sample with itself included): non-negative, zero exactly
    when the two batches are equal as empirical distributions. With the
    bandwidths following the batch's own scale, the value does not fall
    when both batches shrink together.

    Args:
        source: ``(B_s, ...)``.
        target: ``(B_t, ...)`` with the same per-sample shape.
        bandwidth_multipliers: ``m`` of each kernel.
    """
    s, t = _flat_pair(source, target)
    joint = torch.cat([s, t])
    norms = joint.square().sum(dim=1)
    squared = (norms[:, None] + norms[None, :] -
               2 * joint @ joint.T).clamp_min(0) / joint.shape[1]
    scale = squared.detach().mean().clamp_min(torch.finfo(joint.dtype).tiny)
    kernel = sum(
        torch.exp(-squared / (multiplier * scale))
        for multiplier in bandwidth_multipliers)
    n = len(s)
    return (kernel[:n, :n].mean() + kernel[n:, n:].mean() -
            2 * kernel[:n, n:].mean())


def coral(source: Tensor, target: Tensor) -> Tensor:
    """The CORAL loss of Deep CORAL (Sun & Saenko, ECCV 2016 workshops):
    ``||C_s - C_t||_F^2 / (4 D^2)``, ``C`` the unbiased covariance of each
    batch's ``D`` features.

    Args:
        source: ``(B_s, ...)``, at least two samples.
        target: ``(B_t, ...)`` with the same per-sample shape.
    """
    s, t = _flat_pair(source, target)
    if len(s) < 2 or len(t) < 2:
        raise ValueError('CORAL needs at least two samples per batch, got '
                         f'{len(s)} and {len(t)}.')
    difference = torch.cov(s.T) - torch.cov(t.T)
    return difference.square().sum() / (4 * s.shape[1]**2)


@MODELS.register_module()
class GaussianMMDLoss(WeightedLoss):
    """``loss_weight * gaussian_mmd(source, target)``; see
    :func:`gaussian_mmd`.

    Args:
        bandwidth_multipliers: Multipliers of the mean squared distance,
            one Gaussian kernel each.
        loss_weight: Factor applied to the loss value.
    """

    def __init__(self,
                 bandwidth_multipliers: Sequence[float] = (0.25, 0.5, 1.0, 2.0,
                                                           4.0),
                 loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if not bandwidth_multipliers or min(bandwidth_multipliers) <= 0:
            raise ValueError('bandwidth_multipliers must be positive numbers, '
                             f'got {bandwidth_multipliers!r}.')
        self.bandwidth_multipliers = tuple(bandwidth_multipliers)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        return self.loss_weight * gaussian_mmd(source, target,
                                               self.bandwidth_multipliers)

    def extra_repr(self) -> str:
        return (f'bandwidth_multipliers={self.bandwidth_multipliers}, '
                f'{super().extra_repr()}')


@MODELS.register_module()
class CORALLoss(WeightedLoss):
    """``loss_weight * coral(source, target)``; see :func:`coral`."""

    loss_fn = staticmethod(coral)


@MODELS.register_module()
class SinkhornDivergenceLoss(WeightedLoss):
    """``loss_weight * S_eps(source, target)``: the debiased Sinkhorn
    divergence of geomloss's ``SamplesLoss('sinkhorn', p=2)`` between the
    batches as uniform empirical distributions, on features divided by
    ``sqrt(D)`` (so that ``blur`` is a distance per feature).

    ``S_eps = OT_eps(S, T) - 1/2 OT_eps(S, S) - 1/2 OT_eps(T, T)`` with the
    cost ``|x - y|^2 / 2`` and entropic blur ``eps = blur^2``: zero exactly
    when the distributions agree; near the Wasserstein-2 distance for small
    ``blur``, near an energy-distance-like MMD for large ``blur``.

    Args:
        blur: Entropic smoothing, as a distance per feature.
        scaling: geomloss's epsilon-scaling ratio (closer to 1: more
            accurate, slower).
        loss_weight: Factor applied to the loss value.
    """

    def __init__(self,
                 blur: float = 0.05,
                 scaling: float = 0.5,
                 loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if blur <= 0 or not 0 < scaling < 1:
            raise ValueError('SinkhornDivergenceLoss needs blur > 0 and 0 < '
                             f'scaling < 1, got blur={blur}, '
                             f'scaling={scaling}.')
        self.blur = blur
        self.scaling = scaling
        self.sinkhorn = SamplesLoss(
            'sinkhorn', p=2, blur=blur, scaling=scaling, backend='tensorized')

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        s, t = _flat_pair(source, target)
        scale = s.shape[1]**0.5
        return self.loss_weight * self.sinkhorn(s / scale, t / scale)

    def extra_repr(self) -> str:
        return (f'blur={self.blur}, scaling={self.scaling}, '
                f'{super().extra_repr()}')
