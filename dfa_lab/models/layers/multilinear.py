"""The multilinear conditioning of CDAN (Long et al., NeurIPS 2018): what
its domain discriminator reads in place of the features alone."""
import math

import torch
from torch import Tensor, nn


class MultilinearMap(nn.Module):
    """``T(f, g) = outer(g, f)``, flattened: every product ``f_i g_k`` of a
    feature and a class probability, ``(B, D)``, ``(B, K)`` ->
    ``(B, K * D)``.

    Args:
        feature_dim: ``D``, the size of ``f``.
        num_classes: ``K``, the size of ``g``.
    """

    def __init__(self, feature_dim: int, num_classes: int):
        super().__init__()
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.out_channels = feature_dim * num_classes

    def forward(self, features: Tensor, probabilities: Tensor) -> Tensor:
        return torch.bmm(probabilities.unsqueeze(2),
                         features.unsqueeze(1)).flatten(1)

    def extra_repr(self) -> str:
        return (f'feature_dim={self.feature_dim}, '
                f'num_classes={self.num_classes}')


class RandomizedMultilinearMap(nn.Module):
    """``T(f, g) = (f R_f) * (g R_g) / sqrt(d)`` (``*`` elementwise): the
    randomized multilinear map. Its inner products are unbiased estimates
    of those of :class:`MultilinearMap`, in ``d`` dimensions instead of
    ``D * K``.

    ``R_f`` (``D x d``) and ``R_g`` (``K x d``) are drawn once from
    ``N(0, 1)`` when the module is built (from torch's global generator,
    so the run's seed fixes them) and never trained. They are buffers: a
    checkpoint holds them, so evaluation and resumed runs see the same
    map.

    Args:
        feature_dim: ``D``, the size of ``f``.
        num_classes: ``K``, the size of ``g``.
        out_channels: ``d``, the output size.
    """

    def __init__(self, feature_dim: int, num_classes: int, out_channels: int):
        super().__init__()
        if out_channels < 1:
            raise ValueError(
                f'out_channels must be at least 1, got {out_channels}.')
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.out_channels = out_channels
        self.register_buffer('feature_matrix',
                             torch.randn(feature_dim, out_channels))
        self.register_buffer('class_matrix',
                             torch.randn(num_classes, out_channels))

    def forward(self, features: Tensor, probabilities: Tensor) -> Tensor:
        return (features @ self.feature_matrix) * (
            probabilities @ self.class_matrix) / math.sqrt(self.out_channels)

    def extra_repr(self) -> str:
        return (f'feature_dim={self.feature_dim}, '
                f'num_classes={self.num_classes}, '
                f'out_channels={self.out_channels}')
