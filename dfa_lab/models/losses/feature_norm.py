"""Stepwise adaptive feature norm ``L_d`` of SAFN (Xu et al., ICCV 2019),
the feature-norm term of DFA-SAFN (Algorithm 2)."""
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import WeightedLoss


def adaptive_feature_norm(embedding: Tensor, delta_r: float = 1.0) -> Tensor:
    """Batch mean of ``(||h||_2 - (sg(||h||_2) + delta_r))^2``.

    ``sg`` is the stop-gradient: the target norm is the current norm plus
    ``delta_r`` and carries no gradient, so each step pushes every
    embedding's norm up by about ``delta_r`` (the value of the loss is
    always ``delta_r^2``; its gradient is ``-2 delta_r h / (B ||h||)``).

    Args:
        embedding: The embeddings ``h``, ``(B, D)``.
        delta_r: The norm increment ``delta_r``.
    """
    norm = embedding.norm(p=2, dim=1)
    return (norm - (norm.detach() + delta_r)).pow(2).mean()


@MODELS.register_module()
class AdaptiveFeatureNormLoss(WeightedLoss):
    """``loss_weight * adaptive_feature_norm(h, delta_r)``; see
    :func:`adaptive_feature_norm`.

    Args:
        delta_r: The norm increment per step.
        loss_weight: ``kappa`` (``weight_L2norm`` in the SAFN code).
    """

    def __init__(self, delta_r: float = 1.0, loss_weight: float = 0.05):
        super().__init__(loss_weight)
        self.delta_r = delta_r

    def forward(self, embedding: Tensor) -> Tensor:
        return self.loss_weight * adaptive_feature_norm(
            embedding, self.delta_r)

    def extra_repr(self) -> str:
        return f'delta_r={self.delta_r}, {super().extra_repr()}'
