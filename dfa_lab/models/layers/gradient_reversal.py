"""The gradient reversal layer of domain-adversarial training (DANN;
Ganin & Lempitsky, ICML 2015) and its coefficient schedule."""
import math

import torch
from torch import Tensor, nn


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the incoming gradient times ``-coefficient``
    backward."""

    @staticmethod
    def forward(ctx, x: Tensor, coefficient: float) -> Tensor:
        ctx.coefficient = coefficient
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        return -ctx.coefficient * grad_output, None


def reverse_gradient(x: Tensor, coefficient: float = 1.0) -> Tensor:
    """``x`` unchanged in the forward pass; in the backward pass the
    gradient that reaches ``x`` is ``-coefficient`` times the gradient of
    the output.

    Placed between a feature extractor and a domain discriminator, one
    backward pass trains the discriminator to tell the domains apart and
    the feature extractor (through the reversed gradient) to make them
    indistinguishable.
    """
    return _ReverseGradient.apply(x, float(coefficient))


class GradientReversal(nn.Module):
    """:func:`reverse_gradient` as a module: ``forward(x, coefficient)``.

    The coefficient is an argument of the call rather than state of the
    module, so a schedule computed from the training iteration
    (:func:`grl_coefficient`) reaches it without anything to save or
    restore when a run resumes.
    """

    def forward(self, x: Tensor, coefficient: float = 1.0) -> Tensor:
        return reverse_gradient(x, coefficient)


def grl_coefficient(progress: float, gamma: float = 10.0) -> float:
    """DANN's schedule of the reversal coefficient,
    ``2 / (1 + exp(-gamma p)) - 1``, with ``p`` the training progress in
    ``[0, 1]`` (Ganin et al., JMLR 2016: ``gamma = 10``).

    It rises from 0 at the start, when the discriminator's signal is noise,
    to about 1 at the end (0.99991 with ``gamma = 10``).

    Args:
        progress: Training progress ``p``, e.g. ``iteration / max_iters``;
            values outside ``[0, 1]`` are clipped.
        gamma: Steepness of the ramp.
    """
    progress = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
