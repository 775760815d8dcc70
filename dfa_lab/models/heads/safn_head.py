"""The bottleneck classifier of SAFN (Xu et al., ICCV 2019), used by the
object tasks."""
import math
from typing import Optional, Tuple, Union

from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS


@MODELS.register_module()
class SAFNHead(BaseModule):
    """``Linear -> BN -> ReLU -> Dropout`` to the embedding ``h``, then
    ``Linear`` to the class logits (docs/method.md, "Object classifiers").

    ``h`` (the classifier's first ``l - 1`` layers) is what SAFN's adaptive
    feature norm enlarges (Algorithm 2). ``forward(features)`` returns the
    logits, as every classifier head does; ``forward(features,
    return_embedding=True)`` returns ``(h, logits)``.

    Args:
        in_channels: Input features (2048 for ResNet-50).
        embed_channels: Width of the embedding ``h``.
        num_classes: Number of classes.
        dropout: Dropout probability on ``h``.
        rescale_dropout: In training, multiply ``h`` by ``sqrt(1 -
            dropout)`` after the dropout, as the AFN and DFA code does:
            kept units are then scaled by ``1 / sqrt(1 - dropout)`` instead
            of dropout's ``1 / (1 - dropout)``. It changes the scale of the
            norms that the feature-norm loss sees during training.
        init_cfg: mmengine initialisation config. The default is the AFN
            code's: linear weights ~ N(0, 0.01^2), BatchNorm weights ~
            N(1, 0.01^2), biases 0.
    """

    def __init__(self,
                 in_channels: int = 2048,
                 embed_channels: int = 1000,
                 num_classes: int = 31,
                 dropout: float = 0.5,
                 rescale_dropout: bool = False,
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(type='Normal', layer='Linear', std=0.01, bias=0),
                     dict(
                         type='Normal',
                         layer='BatchNorm1d',
                         mean=1.0,
                         std=0.01,
                         bias=0)
                 ]):
        super().__init__(init_cfg=init_cfg)
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must lie in [0, 1), got {dropout}.')
        self.bottleneck = nn.Sequential(
            nn.Linear(in_channels, embed_channels),
            nn.BatchNorm1d(embed_channels), nn.ReLU(inplace=True),
            nn.Dropout(dropout))
        self.fc = nn.Linear(embed_channels, num_classes)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.train_scale = math.sqrt(1 - dropout) if rescale_dropout else 1.0

    def forward(
        self,
        features: Tensor,
        return_embedding: bool = False
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Class logits of ``(B, in_channels)`` features, or ``(h,
        logits)`` with ``return_embedding=True``."""
        embedding = self.bottleneck(features)
        if self.training and self.train_scale != 1.0:
            embedding = embedding * self.train_scale
        logits = self.fc(embedding)
        return (embedding, logits) if return_embedding else logits
