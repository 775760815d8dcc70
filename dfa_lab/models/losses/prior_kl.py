"""KL divergence that pulls latents towards the prior ``N(0, I)``,
``L_kld`` (eq. 17)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def softmax_prior_kl(latent: Tensor, prior_sample: Tensor) -> Tensor:
    """``L_kld`` as the authors' code computes it (PAPER_NOTES sec. 6).

    Both tensors are reshaped to rows of ``C`` values (``C`` = the latent's
    channel count, rows taken in the tensor's logical ``(B, C, H, W)``
    order), turned into distributions by softmax, and compared with
    ``KL(softmax(z) || softmax(latent))`` averaged over every element (what
    the ``'mean'`` reduction of ``F.kl_div`` in the authors' code gives). It is a KL between
    softmax-normalised vectors of the features and of a prior sample, not a
    Gaussian KL.

    Args:
        latent: Source latent ``G(x_s)``, ``(B, C, ...)``.
        prior_sample: ``z_n ~ N(0, I)`` of the latent's shape.
    """
    channels = latent.shape[1]
    return F.kl_div(
        F.log_softmax(latent.reshape(-1, channels), dim=1),
        F.softmax(prior_sample.reshape(-1, channels), dim=1),
        reduction='none').mean()


def gaussian_prior_kl(latent: Tensor, prior_std: float = 1.0,
                      eps: float = 1e-6) -> Tensor:
    """Closed-form KL between a diagonal Gaussian fitted to the batch and
    the prior ``N(0, prior_std^2 I)``.

    Each latent dimension ``d`` gets the batch mean ``mu_d`` and (biased)
    variance ``v_d``; the result is the mean over dimensions of
    ``0.5 * ((v_d + mu_d^2) / s^2 - 1 - log(v_d / s^2))`` with
    ``s = prior_std``, i.e. the joint KL divided by the number of
    dimensions, which keeps its scale independent of the latent size.

    Args:
        latent: Latent batch ``(B, ...)``; ``B`` must be at least 2.
        prior_std: Standard deviation of the prior.
        eps: Floor of the variance inside the logarithm.
    """
    if latent.shape[0] < 2:
        raise ValueError('A Gaussian fitted to a batch needs at least two '
                         f'samples, got {latent.shape[0]}.')
    flat = latent.flatten(1)
    mean = flat.mean(dim=0)
    var = flat.var(dim=0, unbiased=False)
    prior_var = prior_std**2
    kl = 0.5 * ((var + mean**2) / prior_var - 1 -
                torch.log(var.clamp_min(eps) / prior_var))
    return kl.mean()


@MODELS.register_module()
class PriorKLLoss(WeightedLoss):
    """``loss_weight * L_kld`` (eq. 17) in one of two forms.

    Args:
        mode: ``'softmax'`` (:func:`softmax_prior_kl`, the authors' code) or
            ``'gaussian'`` (:func:`gaussian_prior_kl`).
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``.
        loss_weight: ``alpha`` of the paper.
    """

    modes = ('softmax', 'gaussian')

    def __init__(self, mode: str = 'softmax', prior_std: float = 1.0,
                 loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if mode not in self.modes:
            raise ValueError(
                f'PriorKLLoss mode must be one of {self.modes}, got {mode!r}.')
        self.mode = mode
        self.prior_std = prior_std

    def forward(self, latent: Tensor,
                prior_sample: Optional[Tensor] = None) -> Tensor:
        """Args:
            latent: The latent batch.
            prior_sample: ``z_n`` of the latent's shape, used by the softmax
                form; drawn here when not given.
        """
        if self.mode == 'gaussian':
            return self.loss_weight * gaussian_prior_kl(latent, self.prior_std)
        if prior_sample is None:
            prior_sample = torch.randn_like(latent) * self.prior_std
        return self.loss_weight * softmax_prior_kl(latent, prior_sample)

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}, {super().extra_repr()}'
