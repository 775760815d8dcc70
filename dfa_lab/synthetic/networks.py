"""The MLP encoder ``G`` and weight-tied decoder ``D`` of the synthetic
study (Fig. 4)."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MLPEncoder(nn.Module):
    """``G``: FC-56, ReLU, FC-128, ReLU, FC-256, ReLU, BN, from the plane
    to a 256-d latent."""

    widths = (2, 56, 128, 256)

    def __init__(self):
        super().__init__()
        self.fcs = nn.ModuleList(
            nn.Linear(fan_in, fan_out)
            for fan_in, fan_out in zip(self.widths[:-1], self.widths[1:]))
        self.bn = nn.BatchNorm1d(self.widths[-1])

    def forward(self, x: Tensor) -> Tensor:
        for fc in self.fcs:
            x = F.relu(fc(x))
        return self.bn(x)


class TiedMLPDecoder(nn.Module):
    """``D``: FC-128, ReLU, BN, FC-56, ReLU, FC-2, ReLU, back to the plane.

    The paper's ``D`` mirrors ``G`` and its fully connected layers map
    256->128->56->2, exactly the transposes of ``G``'s 2->56->128->256, so
    they are tied as the digit decoders are (eq. 13-15): each uses the
    transpose of the matching encoder weight tensor, and the gradient of a
    decoded point reaches ``G``. A transposed weight maps to the encoder
    layer's input size, for which the encoder has no bias: the biases are
    the decoder's own (initialised like ``nn.Linear``'s), as is the
    BatchNorm.

    Args:
        encoder: The encoder to mirror; referenced, not registered as a
            submodule, so its parameters stay its own.
    """

    def __init__(self, encoder: MLPEncoder):
        super().__init__()
        # A tuple, not a ModuleList: nn.Module does not register it.
        self._encoder_fcs = tuple(reversed(encoder.fcs))
        self.biases = nn.ParameterList()
        for fc in self._encoder_fcs:
            bound = 1 / math.sqrt(fc.out_features)
            self.biases.append(
                nn.Parameter(torch.empty(fc.in_features).uniform_(
                    -bound, bound)))
        self.bn = nn.BatchNorm1d(self._encoder_fcs[0].in_features)

    def forward(self, latent: Tensor) -> Tensor:
        x = latent
        for index, (fc, bias) in enumerate(zip(self._encoder_fcs,
                                               self.biases)):
            x = F.relu(F.linear(x, fc.weight.t(), bias))
            if index == 0:
                x = self.bn(x)
        return x
