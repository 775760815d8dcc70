"""Source and target domains of the synthetic study (Fig. 4)."""
from typing import Tuple

import numpy as np
import torch
from sklearn.datasets import make_blobs, make_moons
from torch import Tensor

#: The four cases of Fig. 4.
CASES = ('same-covariance', 'same-mean', 'moons', 'blobs')

# The decoder ends in a ReLU, so it only reaches the positive quadrant: every
# source domain lies there, for decoded target points to be able to cover it.
_SHARED_COVARIANCE = [[1.0, 0.5], [0.5, 1.0]]
_SHARED_MEAN = [4.0, 4.0]
# Moons lie in [-1, 2] x [-0.5, 1]; this shift moves them into the positive
# quadrant.
_MOONS_SHIFT = np.array([1.0, 1.0])


def _same_covariance(num_samples: int, seed: int) -> Tuple[np.ndarray, ...]:
    """Gaussians with one covariance and different means."""
    rng = np.random.default_rng(seed)
    source = rng.multivariate_normal([5.0, 5.0], _SHARED_COVARIANCE,
                                     num_samples)
    target = rng.multivariate_normal([2.0, 2.0], _SHARED_COVARIANCE,
                                     num_samples)
    return source, target


def _same_mean(num_samples: int, seed: int) -> Tuple[np.ndarray, ...]:
    """Gaussians with one mean: a narrow source, a wide target of another
    orientation."""
    rng = np.random.default_rng(seed)
    source = rng.multivariate_normal(_SHARED_MEAN,
                                     [[0.25, 0.15], [0.15, 0.25]],
                                     num_samples)
    target = rng.multivariate_normal(_SHARED_MEAN,
                                     [[2.0, -1.0], [-1.0, 2.0]], num_samples)
    return source, target


def _moons(num_samples: int, seed: int) -> Tuple[np.ndarray, ...]:
    """The two half-moons of ``make_moons`` (noise 0.1): the upper one is
    the source, the lower one the target."""
    points, labels = make_moons(
        n_samples=2 * num_samples, noise=0.1, random_state=seed)
    points = points + _MOONS_SHIFT
    return points[labels == 0], points[labels == 1]


def _blobs(num_samples: int, seed: int) -> Tuple[np.ndarray, ...]:
    """Isotropic Gaussian blobs (std 1) centred at (11, 11), the source, and
    at (9, 9), the target."""
    points, labels = make_blobs(
        n_samples=[num_samples, num_samples],
        centers=[(11.0, 11.0), (9.0, 9.0)],
        cluster_std=1.0,
        random_state=seed)
    return points[labels == 0], points[labels == 1]


_MAKERS = {
    'same-covariance': _same_covariance,
    'same-mean': _same_mean,
    'moons': _moons,
    'blobs': _blobs,
}


def make_domains(case: str,
                 num_samples: int = 500,
                 seed: int = 0) -> Tuple[Tensor, Tensor]:
    """Sample the source and the target domain of one case.

    Args:
        case: One of :data:`CASES`.
        num_samples: Points a domain (the paper uses 500).
        seed: Seed of the sampling.

    Returns:
        tuple[Tensor, Tensor]: Source and target points, float32
        ``(num_samples, 2)`` each.
    """
    if case not in _MAKERS:
        raise ValueError(f'case must be one of {CASES}, got {case!r}.')
    source, target = _MAKERS[case](num_samples, seed)
    return (torch.as_tensor(source, dtype=torch.float32),
            torch.as_tensor(target, dtype=torch.float32))
