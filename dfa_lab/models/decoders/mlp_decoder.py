"""The weight-tied decoder of the synthetic 2-D study (Fig. 4)."""
import math
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dfa_lab.models.backbones.mlp import MLPEncoder
from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import BaseDecoder


@MODELS.register_module()
class MLPDecoder(BaseDecoder):
    """Mirror of an :class:`MLPEncoder`: ``FC, ReLU, BN`` back from the
    latent, then ``FC, ReLU`` for each remaining layer (the paper's
    FC-128, ReLU, BN, FC-56, ReLU, FC-2, ReLU).

    The layers map 256->128->56->2, exactly the transposes of the encoder's
    2->56->128->256, so they are tied as the digit decoders are (eq.
    13-15): each uses the transpose of the matching encoder weight tensor,
    and the gradient of a decoded point reaches ``G``. A transposed weight
    maps to the encoder layer's input size, for which the encoder has no
    bias: the biases are the decoder's own (initialised like
    ``nn.Linear``'s), as is the BatchNorm.

    Args:
        encoder: The encoder to mirror; referenced, not registered as a
            submodule, so its parameters stay its own.
        bn_affine: See :class:`BaseDecoder`.
        shared_bn_statistics: See :class:`BaseDecoder`.
        init_cfg: mmengine initialisation config.
    """

    mirrors = MLPEncoder

    def __init__(self,
                 encoder: MLPEncoder,
                 bn_affine: bool = True,
                 shared_bn_statistics: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            encoder,
            bn_affine=bn_affine,
            shared_bn_statistics=shared_bn_statistics,
            init_cfg=init_cfg)
        # A tuple, not a ModuleList: nn.Module does not register it.
        self._encoder_fcs = tuple(reversed(encoder.fcs))
        self.biases = nn.ParameterList()
        for fc in self._encoder_fcs:
            bound = 1 / math.sqrt(fc.out_features)
            self.biases.append(
                nn.Parameter(
                    torch.empty(fc.in_features).uniform_(-bound, bound)))
        self.bn = nn.BatchNorm1d(
            self._encoder_fcs[0].in_features, affine=bn_affine)

    def transposed_weights(self) -> List[Tensor]:
        """The encoder weights the decoder uses, decoder order."""
        return [fc.weight for fc in self._encoder_fcs]

    def forward(self,
                latent: Tensor,
                pooling: EncoderOutput,
                branches: int = 1) -> Tensor:
        """Decode ``branches`` latents stacked along the batch.

        Args:
            latent: ``(branches * B, latent size)``.
            pooling: The encoder pass the latents belong to; only its batch
                size is read (the encoder does not pool).
            branches: How many latents are stacked in ``latent``; see
                :meth:`~BaseDecoder.normalize`.
        """
        pooling.check_decodable(latent, branches)
        x = latent
        for index, (fc,
                    bias) in enumerate(zip(self._encoder_fcs, self.biases)):
            x = F.relu(F.linear(x, fc.weight.t(), bias))
            if index == 0:
                x = self.normalize(self.bn, x, branches)
        return x
