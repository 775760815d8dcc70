"""The weight-tied decoder ``D`` of a digit CNN (eq. 13-15)."""
from typing import List, Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.models.backbones.digit_cnn import DigitCNN
from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


@MODELS.register_module()
class DigitDecoder(BaseModule):
    """Mirror of a :class:`DigitCNN` from its latent back to the input.

    Each encoder stage ``conv -> BN -> ReLU -> max-pool`` is inverted, last
    stage first, as ``max-unpool -> conv_transpose2d -> BN -> ReLU``:

    - the unpooling uses the indices of the matching max-pool, taken from
      the :class:`EncoderOutput` given to :meth:`forward`;
    - ``tied=True`` (DFA): the transposed convolution uses *the encoder
      convolution's own weight tensor* (eq. 13-15), so the decoder owns no
      convolution weights and every gradient of a decoded output reaches the
      encoder;
    - ``tied=False`` (the untied ablation of Table 8): the same decoder with
      its own transposed-convolution weights;
    - the BatchNorms are the decoder's own, created once here. The output
      has the input's shape and passes through BN and ReLU like the other
      layers, as in the paper's networks.

    With affine BatchNorms (the paper's networks, ``bn_affine=True``) the
    decoder can shrink its own output: a small output-BN weight and a
    negative bias put almost every pixel under the final ReLU, so
    ``D(G(x_t))`` and ``D(z_n)`` both become zero images and ``L_dal``
    vanishes without aligning anything. ``bn_affine=False`` removes that
    escape: every decoded channel keeps unit batch variance before its ReLU.

    Args:
        encoder: The backbone to mirror. It is referenced, not registered as
            a submodule: its parameters stay the backbone's alone.
        tied: Share the encoder's convolution weights.
        bn_affine: Give the decoder's BatchNorms a learned scale and shift.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 encoder: DigitCNN,
                 tied: bool = True,
                 bn_affine: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(encoder, DigitCNN):
            raise TypeError('DigitDecoder mirrors a DigitCNN backbone, got '
                            f'{type(encoder).__name__}.')
        # A tuple, not a ModuleList: nn.Module does not register it.
        self._encoder_stages = tuple(reversed(encoder.stages))
        self.tied = tied
        convs = [stage.conv for stage in self._encoder_stages]
        self.bns = nn.ModuleList(
            nn.BatchNorm2d(c.in_channels, affine=bn_affine) for c in convs)
        self.deconvs = None if tied else nn.ModuleList(
            nn.ConvTranspose2d(c.out_channels, c.in_channels, c.kernel_size,
                               padding=c.padding, bias=False) for c in convs)
        self.to(memory_format=encoder.memory_format)

    def transposed_weights(self) -> List[Tensor]:
        """The weights of the transposed convolutions, decoder order."""
        if self.tied:
            return [stage.conv.weight for stage in self._encoder_stages]
        return [deconv.weight for deconv in self.deconvs]

    def forward(self, latent: Tensor, pooling: EncoderOutput) -> Tensor:
        """Decode ``latent`` with the max-pool indices of ``pooling``.

        Args:
            latent: A latent of the encoder's shape: ``G(x)`` itself, or a
                prior sample ``z_n`` of the same shape.
            pooling: The encoder pass whose max-pool indices (and sizes)
                unpool ``latent``. Decoding a prior sample uses the pass over
                the target batch (the authors' choice, eq. 18).

        Returns:
            The decoded images, shaped like the encoder's input.
        """
        pooling.check_decodable(latent)
        indices = list(pooling.pool_indices)
        shapes = list(pooling.pool_input_shapes)
        x = latent
        for stage, weight, bn in zip(self._encoder_stages,
                                     self.transposed_weights(), self.bns):
            pool = stage.pool
            if pool is not None:
                x = F.max_unpool2d(
                    x, indices.pop(), pool.kernel_size, pool.stride,
                    pool.padding, output_size=shapes.pop()[-2:])
            x = F.conv_transpose2d(x, weight, padding=stage.conv.padding)
            x = F.relu(bn(x))
        return x
