"""The shape shared by dfa_lab's loss modules."""
from typing import Callable

from torch import Tensor, nn


class WeightedLoss(nn.Module):
    """A pure loss function, scaled by ``loss_weight``.

    Subclasses set :attr:`loss_fn`; the module's ``forward`` takes the same
    arguments. Keeping the formula in a plain function lets analysis code and
    tests call it without building a module.

    Args:
        loss_weight: Factor applied to the loss value.
    """

    loss_fn: Callable[..., Tensor]

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, *args, **kwargs) -> Tensor:
        return self.loss_weight * type(self).loss_fn(*args, **kwargs)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
