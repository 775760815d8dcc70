"""KL divergence between the target and the source latent distributions,
``L_klldir`` of the ablation study (Table 8)."""
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss
from .gaussian import diagonal_gaussian_kl, fit_diagonal_gaussian


def gaussian_latent_kl(target: Tensor,
                       source: Tensor,
                       eps: float = 1e-6) -> Tensor:
    """``L_klldir``: closed-form ``KL(N_t || N_s)`` between diagonal
    Gaussians fitted to a target and a source latent batch.

    The paper names the term (a KL divergence between the target and the
    source latent distributions) without its formula; this is its
    closed-form version. Each latent dimension ``d`` gets the batch mean
    ``mu_d`` and biased variance ``v_d`` of each domain, and the result is
    the mean over dimensions of

    ``0.5 * (log(v_s / v_t) + (v_t + (mu_t - mu_s)^2) / v_s - 1)``,

    i.e. the joint KL divided by the number of dimensions, which keeps its
    scale independent of the latent size (as
    :func:`~dfa_lab.models.losses.gaussian_prior_kl` does). Both batches
    carry gradient: the term moves the target and the source statistics
    towards each other. The batches may differ in size.

    Args:
        target: Target latents ``G(x_t)``, ``(B_t, ...)``.
        source: Source latents ``G(x_s)``, ``(B_s, ...)`` with the same
            per-sample shape.
        eps: Floor of both variances, which keeps the logarithm and the
            division finite for a dimension that is constant over a batch.
    """
    if target.shape[1:] != source.shape[1:]:
        raise ValueError(
            'Target and source latents must have the same per-sample shape, '
            f'got {tuple(target.shape[1:])} and {tuple(source.shape[1:])}.')
    mean_t, var_t = fit_diagonal_gaussian(target)
    mean_s, var_s = fit_diagonal_gaussian(source)
    return diagonal_gaussian_kl(mean_t, var_t.clamp_min(eps), mean_s,
                                var_s.clamp_min(eps)).mean()


@MODELS.register_module()
class LatentKLLoss(WeightedLoss):
    """``loss_weight * gaussian_latent_kl(target, source)``; see
    :func:`gaussian_latent_kl`."""

    loss_fn = staticmethod(gaussian_latent_kl)
