"""KL divergence that pulls latents towards the prior ``N(0, I)``,
``L_kld`` (eq. 17)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss
from .gaussian import diagonal_gaussian_kl, fit_diagonal_gaussian


def softmax_prior_kl(latent: Tensor, prior_sample: Tensor) -> Tensor:
    """``L_kld`` as the authors' code computes it (see "Where the authors'
    released code differs" in ``docs/method.md``).

    Both tensors are reshaped to rows of ``C`` values (``C`` = the latent's
    channel count, rows taken in the tensor's logical ``(B, C, H, W)``
    order), turned into distributions by softmax, and compared with
    ``KL(softmax(z) || softmax(latent))`` averaged over every element (what
    the ``'mean'`` reduction of ``F.kl_div`` in the authors' code gives). It
    is a KL between softmax-normalised vectors of the features and of a
    prior sample, not a Gaussian KL.

    Args:
        latent: Source latent ``G(x_s)``, ``(B, C, ...)``.
        prior_sample: ``z_n ~ N(0, I)`` of the latent's shape.
    """
    channels = latent.shape[1]
    return F.kl_div(
        F.log_softmax(latent.reshape(-1, channels), dim=1),
        F.softmax(prior_sample.reshape(-1, channels), dim=1),
        reduction='none').mean()


def gaussian_prior_kl(latent: Tensor,
                      prior_std: float = 1.0,
                      prior_first: bool = True,
                      eps: float = 1e-6) -> Tensor:
    """Closed-form KL between the prior ``q = N(0, prior_std^2 I)`` and a
    diagonal Gaussian ``p`` fitted to the batch.

    Each latent dimension ``d`` gets the batch mean ``mu_d`` and (biased)
    variance ``v_d``. With ``prior_first`` (eq. 17's direction) the result
    is the mean over dimensions of ``KL(q || p) = 0.5 * (log(v_d / s^2) +
    (s^2 + mu_d^2) / v_d - 1)``, ``s = prior_std``; otherwise of ``KL(p ||
    q) = 0.5 * ((v_d + mu_d^2) / s^2 - 1 - log(v_d / s^2))``, the direction
    of a VAE's latent term. Dividing the joint KL by the number of
    dimensions keeps its scale independent of the latent size.

    The two directions treat a dimension of small batch variance very
    differently: ``KL(q || p)`` grows like ``1 / v_d`` (a nearly constant
    unit, e.g. a ReLU feature that is rarely active, weighs heavily),
    ``KL(p || q)`` only like ``-log v_d``.

    Args:
        latent: Latent batch ``(B, ...)``; ``B`` must be at least 2.
        prior_std: Standard deviation of the prior.
        prior_first: ``KL(q || p)`` (eq. 17) rather than ``KL(p || q)``.
        eps: Floor of the fitted variance.
    """
    mean, var = fit_diagonal_gaussian(latent)
    var = var.clamp_min(eps)
    prior_mean = torch.zeros_like(mean)
    prior_var = torch.full_like(var, prior_std**2)
    if prior_first:
        return diagonal_gaussian_kl(prior_mean, prior_var, mean, var).mean()
    return diagonal_gaussian_kl(mean, var, prior_mean, prior_var).mean()


@MODELS.register_module()
class PriorKLLoss(WeightedLoss):
    """``loss_weight * L_kld`` (eq. 17) in one of three forms.

    Args:
        mode: ``'softmax'`` (:func:`softmax_prior_kl`, the authors' code),
            ``'gaussian'`` (:func:`gaussian_prior_kl` in eq. 17's direction,
            ``KL(prior || fitted)``) or ``'gaussian_reverse'`` (the other
            direction, ``KL(fitted || prior)``).
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``.
        loss_weight: ``alpha`` of the paper.
    """

    modes = ('softmax', 'gaussian', 'gaussian_reverse')

    def __init__(self,
                 mode: str = 'softmax',
                 prior_std: float = 1.0,
                 loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if mode not in self.modes:
            raise ValueError(
                f'PriorKLLoss mode must be one of {self.modes}, got {mode!r}.')
        self.mode = mode
        self.prior_std = prior_std

    def forward(self,
                latent: Tensor,
                prior_sample: Optional[Tensor] = None) -> Tensor:
        """Args:
            latent: The latent batch.
            prior_sample: ``z_n`` of the latent's shape, used by the softmax
                form; drawn here when not given.
        """
        if self.mode != 'softmax':
            return self.loss_weight * gaussian_prior_kl(
                latent, self.prior_std, prior_first=self.mode == 'gaussian')
        if prior_sample is None:
            prior_sample = torch.randn_like(latent) * self.prior_std
        return self.loss_weight * softmax_prior_kl(latent, prior_sample)

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}, {super().extra_repr()}'
