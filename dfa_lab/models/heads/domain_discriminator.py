"""The domain discriminator of DANN and CDAN."""
from typing import Optional, Sequence, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS


@MODELS.register_module()
class DomainDiscriminator(BaseModule):
    """``(Linear -> ReLU -> Dropout) x n -> Linear``: the logit of "this
    sample is from the source domain".

    The adversarial networks of DANN (Ganin et al., JMLR 2016) and CDAN
    (Long et al., NeurIPS 2018): two hidden layers of 1024 units on
    ResNet-50 features, ReLU, dropout 0.5, one sigmoid output trained with
    binary cross-entropy. The sigmoid is left to the loss
    (:class:`~dfa_lab.models.losses.DomainAdversarialLoss` applies
    ``binary_cross_entropy_with_logits``, the same value computed stably),
    so ``forward`` returns logits; ``sigmoid(logit)`` is the probability
    of the source domain.

    Args:
        in_channels: Input features: the latent for DANN, the (randomized)
            multilinear map for CDAN. Adapters fill it in.
        hidden_channels: Width of each hidden layer.
        dropout: Dropout probability after each hidden ReLU.
        init_cfg: mmengine initialisation config. The default, Xavier
            (normal) weights and zero biases, is the CDAN code's.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = (1024, 1024),
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = dict(
                     type='Xavier',
                     layer='Linear',
                     distribution='normal',
                     bias=0)):
        super().__init__(init_cfg=init_cfg)
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must lie in [0, 1), got {dropout}.')
        if isinstance(hidden_channels, int):
            hidden_channels = (hidden_channels, )
        layers = []
        channels = in_channels
        for width in hidden_channels:
            layers += [nn.Linear(channels, width), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            channels = width
        layers.append(nn.Linear(channels, 1))
        self.layers = nn.Sequential(*layers)
        self.in_channels = in_channels

    def forward(self, features: Tensor) -> Tensor:
        """Source-domain logits ``(B, )`` of ``(B, in_channels)``
        inputs."""
        return self.layers(features).squeeze(1)
