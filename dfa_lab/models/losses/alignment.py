"""Distances between the decoded target batch ``A = D(G(x_t))`` and the
decoded prior batch ``B = D(z_n)``: the paper's ``L_dal`` (eq. 18) and two
forms beyond the paper that are zero only when the two distributions agree.

The paper's ``L_dal = mean |A - B|`` compares sample ``i`` of ``A`` with
sample ``i`` of ``B``, which are independent draws. Over independent pairs
``E|A - B|`` is smallest when ``A`` is a point mass at the coordinate-wise
median of ``B``, not when ``A ~ B``: the loss is not a divergence, and a
decoder that outputs one constant image minimises it (see the collapse
section of ``docs/method.md``). :func:`energy_distance` subtracts the spread
within each batch, which makes it a divergence; :func:`sliced_wasserstein`
compares sorted projections of the two batches.
"""
import torch
import torch.nn.functional as F
from geomloss import SamplesLoss
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss

_geomloss_energy = SamplesLoss('energy', backend='tensorized')


def distribution_alignment_loss(decoded_target: Tensor,
                                decoded_prior: Tensor) -> Tensor:
    """``mean |D(G(x_t)) - D(z_n)|``: the unpaired L1 distance between the
    decoded target latents and the decoded prior samples (eq. 18), averaged
    over every element."""
    return F.l1_loss(decoded_target, decoded_prior)


def _flat_pair(decoded_target: Tensor, decoded_prior: Tensor):
    if decoded_target.shape[1:] != decoded_prior.shape[1:]:
        raise ValueError(
            'The decoded batches must have the same per-sample shape, got '
            f'{tuple(decoded_target.shape[1:])} and '
            f'{tuple(decoded_prior.shape[1:])}.')
    return decoded_target.flatten(1), decoded_prior.flatten(1)


def energy_distance(decoded_target: Tensor,
                    decoded_prior: Tensor,
                    metric: str = 'l2') -> Tensor:
    """The energy distance between the distributions of two batches, a
    form of ``L_dal`` beyond the paper.

    ``E|A - B| - 1/2 E|A - A'| - 1/2 E|B - B'|`` between the empirical
    distributions of the batches ``A = D(G(x_t))`` and ``B = D(z_n)``:
    each expectation is the mean over every pair of samples (a sample
    paired with itself included). With the Euclidean metric it is zero
    exactly when the two empirical distributions are equal and positive
    otherwise; with the L1 metric it is the sum over elements of the
    one-dimensional energy distances, zero exactly when every element's
    marginal distributions agree. Unlike the paper's unpaired L1, a
    constant decoded image does not minimise it unless both batches are
    that constant.

    Distances are per element (L1 divided by the element count ``N``,
    Euclidean by ``sqrt(N)``), so the value has the scale of a pixel
    difference like :func:`distribution_alignment_loss`.

    The Euclidean form is geomloss's ``SamplesLoss('energy')`` (the same
    value, measured faster than three ``torch.cdist`` calls); geomloss has
    no L1 form, which is written here.

    Args:
        decoded_target: ``A``, ``(B_t, ...)``.
        decoded_prior: ``B``, ``(B_n, ...)`` with the same per-sample
            shape.
        metric: ``'l2'`` (Euclidean) or ``'l1'``.
    """
    if metric not in ('l1', 'l2'):
        raise ValueError(f"metric must be 'l1' or 'l2', got {metric!r}.")
    a, b = _flat_pair(decoded_target, decoded_prior)
    if metric == 'l2':
        scale = a.shape[1]**0.5
        return _geomloss_energy(a / scale, b / scale)
    cross = torch.cdist(a, b, p=1.0).mean()
    within_a = torch.cdist(a, a, p=1.0).mean()
    within_b = torch.cdist(b, b, p=1.0).mean()
    return (cross - 0.5 * within_a - 0.5 * within_b) / a.shape[1]


def sliced_wasserstein(decoded_target: Tensor,
                       decoded_prior: Tensor,
                       num_projections: int = 64) -> Tensor:
    """The sliced 1-Wasserstein distance between two equally sized batches,
    a form of ``L_dal`` beyond the paper.

    Both batches are projected on ``num_projections`` random unit
    directions, drawn afresh on every call; on each direction the sorted
    projections of the two batches are matched (the optimal transport plan
    in one dimension) and their mean absolute difference taken. The result
    is the mean over directions, divided by ``sqrt(N)`` for ``N`` elements
    per sample so that it has the scale of a pixel difference.

    Args:
        decoded_target: ``A``, ``(B, ...)``.
        decoded_prior: ``B``, ``(B, ...)``.
        num_projections: Number of random directions.
    """
    a, b = _flat_pair(decoded_target, decoded_prior)
    if len(a) != len(b):
        raise ValueError('The sliced Wasserstein distance matches equally '
                         f'sized batches, got {len(a)} and {len(b)}.')
    directions = F.normalize(
        torch.randn(
            a.shape[1], num_projections, device=a.device, dtype=a.dtype),
        dim=0)
    projected_a = (a @ directions).sort(dim=0).values
    projected_b = (b @ directions).sort(dim=0).values
    return (projected_a - projected_b).abs().mean() / a.shape[1]**0.5


@MODELS.register_module()
class DistributionAlignmentLoss(WeightedLoss):
    """``loss_weight * L_dal`` (eq. 18); see
    :func:`distribution_alignment_loss`."""

    loss_fn = staticmethod(distribution_alignment_loss)


@MODELS.register_module()
class EnergyDistanceLoss(WeightedLoss):
    """``loss_weight * energy_distance(A, B, metric)``; see
    :func:`energy_distance`.

    Args:
        metric: ``'l2'`` (Euclidean) or ``'l1'``.
        loss_weight: Factor applied to the loss value.
    """

    def __init__(self, metric: str = 'l2', loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if metric not in ('l1', 'l2'):
            raise ValueError(f"metric must be 'l1' or 'l2', got {metric!r}.")
        self.metric = metric

    def forward(self, decoded_target: Tensor, decoded_prior: Tensor) -> Tensor:
        return self.loss_weight * energy_distance(decoded_target,
                                                  decoded_prior, self.metric)

    def extra_repr(self) -> str:
        return f'metric={self.metric!r}, {super().extra_repr()}'


@MODELS.register_module()
class SlicedWassersteinLoss(WeightedLoss):
    """``loss_weight * sliced_wasserstein(A, B, num_projections)``; see
    :func:`sliced_wasserstein`.

    Args:
        num_projections: Number of random directions per call.
        loss_weight: Factor applied to the loss value.
    """

    def __init__(self, num_projections: int = 64, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if num_projections < 1:
            raise ValueError('num_projections must be at least 1, got '
                             f'{num_projections}.')
        self.num_projections = num_projections

    def forward(self, decoded_target: Tensor, decoded_prior: Tensor) -> Tensor:
        return self.loss_weight * sliced_wasserstein(
            decoded_target, decoded_prior, self.num_projections)

    def extra_repr(self) -> str:
        return (f'num_projections={self.num_projections}, '
                f'{super().extra_repr()}')
