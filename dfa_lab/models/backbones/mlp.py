"""The fully connected encoder of the paper's synthetic 2-D study (Fig. 4)."""
from typing import Optional, Sequence

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


@MODELS.register_module()
class MLPEncoder(BaseModule):
    """``G`` of the synthetic study: ``FC, ReLU`` for each width, then a
    BatchNorm over the latent. The paper's widths ``(2, 56, 128, 256)`` map
    points of the plane to a 256-d latent.

    Args:
        widths: Input size, then the width of each layer; the last is the
            latent size.
        init_cfg: mmengine initialisation config.
    """

    #: The weight-tied decoder that mirrors this backbone.
    decoder_type = 'MLPDecoder'

    def __init__(self,
                 widths: Sequence[int] = (2, 56, 128, 256),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if len(widths) < 2:
            raise ValueError('widths needs an input size and at least one '
                             f'layer width, got {tuple(widths)}.')
        self.widths = tuple(widths)
        self.fcs = nn.ModuleList(
            nn.Linear(fan_in, fan_out)
            for fan_in, fan_out in zip(self.widths[:-1], self.widths[1:]))
        self.bn = nn.BatchNorm1d(self.widths[-1])

    @property
    def latent_dim(self) -> int:
        """Number of latent features."""
        return self.widths[-1]

    def forward(self, x: Tensor) -> EncoderOutput:
        if x.dim() != 2 or x.shape[1] != self.widths[0]:
            raise ValueError(f'MLPEncoder expects (B, {self.widths[0]}) '
                             f'inputs, got shape {tuple(x.shape)}.')
        inputs = x
        for fc in self.fcs:
            x = F.relu(fc(x))
        return EncoderOutput(self.bn(x), inputs=inputs)
