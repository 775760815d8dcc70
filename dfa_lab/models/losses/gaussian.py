"""Diagonal Gaussians fitted to latent batches, and the KL divergence
between two of them; the closed-form KL terms build on these."""
from typing import Tuple

import torch
from torch import Tensor


def fit_diagonal_gaussian(latent: Tensor) -> Tuple[Tensor, Tensor]:
    """Per-dimension batch mean and biased variance of ``latent`` flattened
    to ``(B, D)``.

    Raises:
        ValueError: The batch holds fewer than two samples, which leaves the
            variance undefined.
    """
    if latent.shape[0] < 2:
        raise ValueError('A Gaussian fitted to a batch needs at least two '
                         f'samples, got {latent.shape[0]}.')
    flat = latent.flatten(1)
    return flat.mean(dim=0), flat.var(dim=0, unbiased=False)


def diagonal_gaussian_kl(mean_p: Tensor, var_p: Tensor, mean_q: Tensor,
                         var_q: Tensor) -> Tensor:
    """``KL(N(mean_p, var_p) || N(mean_q, var_q))`` of each dimension:
    ``0.5 * (log(var_q / var_p) + (var_p + (mean_p - mean_q)^2) / var_q
    - 1)``. Arguments broadcast against each other."""
    return 0.5 * (
        torch.log(var_q / var_p) + (var_p + (mean_p - mean_q)**2) / var_q - 1)
