"""Fully connected classifier heads ``F`` of the digit experiments."""
from typing import Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS


@MODELS.register_module()
class MLPHead(BaseModule):
    """``[Dropout] -> (Linear -> BN -> ReLU -> [Dropout]) x n -> Linear``.

    Covers MCD's digit classifiers (docs/method.md, "Digit CNNs"):

    - ``usps``: ``MLPHead(768, (100, 100), 10, input_dropout=0.5,
      hidden_dropout=(0.5, 0.5))``
    - ``svhn``: ``MLPHead(8192, (3072, 2048), 10, hidden_dropout=(0.5, 0))``
    - ``gtsrb``: ``MLPHead(6400, (512,), 43)``

    Args:
        in_channels: Input features (the flattened latent).
        hidden_channels: Width of each hidden layer.
        num_classes: Number of classes.
        input_dropout: Dropout probability on the input features.
        hidden_dropout: Dropout probability after each hidden layer: one
            value for all, or one per layer.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Sequence[int],
                 num_classes: int,
                 input_dropout: float = 0.0,
                 hidden_dropout: Union[float, Sequence[float]] = 0.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        hidden_channels = list(hidden_channels)
        if isinstance(hidden_dropout, (int, float)):
            hidden_dropout = [float(hidden_dropout)] * len(hidden_channels)
        if len(hidden_dropout) != len(hidden_channels):
            raise ValueError(
                f'hidden_dropout has {len(hidden_dropout)} values for '
                f'{len(hidden_channels)} hidden layers.')
        layers = [nn.Dropout(input_dropout)] if input_dropout > 0 else []
        channels = in_channels
        for width, p in zip(hidden_channels, hidden_dropout):
            layers += [
                nn.Linear(channels, width),
                nn.BatchNorm1d(width),
                nn.ReLU(inplace=True)
            ]
            if p > 0:
                layers.append(nn.Dropout(p))
            channels = width
        layers.append(nn.Linear(channels, num_classes))
        self.layers = nn.Sequential(*layers)
        self.in_channels = in_channels
        self.num_classes = num_classes

    def forward(self, features: Tensor) -> Tensor:
        """Class logits of ``(B, in_channels)`` features."""
        return self.layers(features)
