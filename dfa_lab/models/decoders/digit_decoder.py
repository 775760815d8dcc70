"""The weight-tied decoder ``D`` of a digit CNN (eq. 13-15)."""
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dfa_lab.models.backbones.digit_cnn import DigitCNN
from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import BaseDecoder


class _SingleChannelTransposedConv(torch.autograd.Function):
    """``conv_transpose2d`` (stride 1) to one output channel, its forward
    pass as a matrix product and ``col2im``.

    On the CPU, oneDNN computes a transposed convolution with one output
    channel (the decoder's last layer on grey images) several times slower
    than this; its backward pass, two ordinary convolutions, is fast, and
    is torch's own.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, padding: Tuple[int,
                                                               int]) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.padding = padding
        batch, channels, height, width = x.shape
        kernel = weight.shape[-2:]
        # (B, C, H, W) -> (B, C, H * W) with the channels-last layout read
        # as it is.
        pixels = x.permute(0, 2, 3, 1).reshape(batch, height * width,
                                               channels).transpose(1, 2)
        columns = torch.matmul(weight.reshape(channels, -1).t(), pixels)
        size = [
            n + k - 1 - 2 * p
            for n, k, p in zip((height, width), kernel, padding)
        ]
        return F.fold(columns, size, kernel, padding=padding)

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, _ = torch.ops.aten.convolution_backward(
            grad, x, weight, None, [1, 1], list(ctx.padding), [1, 1], True,
            [0, 0], 1,
            [ctx.needs_input_grad[0], ctx.needs_input_grad[1], False])
        return grad_x, grad_weight, None


def transposed_conv2d(x: Tensor, weight: Tensor,
                      padding: Tuple[int, int]) -> Tensor:
    """``F.conv_transpose2d(x, weight, padding=padding)``, through
    :class:`_SingleChannelTransposedConv` on the CPU when it has one output
    channel (and autocast, which casts torch's convolutions, is off)."""
    if x.device.type == 'cpu' and weight.shape[1] == 1 \
            and not torch.is_autocast_enabled('cpu'):
        return _SingleChannelTransposedConv.apply(x, weight, tuple(padding))
    return F.conv_transpose2d(x, weight, padding=padding)


class LatentResidualBlock(nn.Module):
    """``z + BN(conv5x5(ReLU(BN(conv5x5(z)))))`` on the latent map, with
    weights of its own (not tied to the encoder).

    The authors' digit DFA-ENT decoder, and their DFA-MCD decoder for
    USPS->MNIST, apply this block to ``G(x_t)`` and to ``z_n`` before the
    first unpooling.

    Args:
        channels: Channels of the latent map.
        bn_affine: Give the BatchNorms a learned scale and shift.
    """

    def __init__(self, channels: int, bn_affine: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 5, padding=2)
        self.bn1 = nn.BatchNorm2d(channels, affine=bn_affine)
        self.conv2 = nn.Conv2d(channels, channels, 5, padding=2)
        self.bn2 = nn.BatchNorm2d(channels, affine=bn_affine)

    def forward(self, z: Tensor, normalize: Callable[[nn.Module, Tensor],
                                                     Tensor]) -> Tensor:
        """Args:
            z: Latent maps.
            normalize: Applies one of the block's BatchNorms to a tensor
                (the decoder's :meth:`~BaseDecoder.normalize`, which knows
                how many branches ``z`` stacks).
        """
        x = F.relu(normalize(self.bn1, self.conv1(z)))
        return z + normalize(self.bn2, self.conv2(x))


@MODELS.register_module()
class DigitDecoder(BaseDecoder):
    """Mirror of a :class:`DigitCNN` from its latent back to the input.

    Each encoder stage ``conv -> BN -> ReLU -> max-pool`` is inverted, last
    stage first, as ``max-unpool -> conv_transpose2d -> BN -> ReLU``:

    - the unpooling uses the indices of the matching max-pool, taken from
      the :class:`EncoderOutput` given to :meth:`forward`;
    - ``tied=True`` (DFA): the transposed convolution uses *the encoder
      convolution's own weight tensor* (eq. 13-15), so every gradient of a
      decoded output reaches the encoder;
    - ``tied=False`` (the untied ablation of Table 8): the same decoder with
      its own transposed-convolution weights;
    - the BatchNorms are the decoder's own, created once here. The output
      has the input's shape and passes through BN and ReLU like the other
      layers, as in the paper's networks.

    With affine BatchNorms (the paper's networks, ``bn_affine=True``) the
    decoder can shrink its own output: a small output-BN weight and a
    negative bias put every pixel under the final ReLU, so ``D(G(x_t))`` and
    ``D(z_n)`` both become zero images and ``L_dal`` vanishes without
    aligning anything. See :class:`BaseDecoder` for ``bn_affine=False`` and
    ``shared_bn_statistics``.

    Args:
        encoder: The backbone to mirror. It is referenced, not registered as
            a submodule: its parameters stay the backbone's alone.
        tied: Share the encoder's convolution weights.
        residual_block: Apply a :class:`LatentResidualBlock` to the latent
            before decoding it, as the authors' DFA-ENT decoder (and their
            USPS->MNIST DFA-MCD decoder) does.
        bn_affine: See :class:`BaseDecoder`.
        shared_bn_statistics: See :class:`BaseDecoder`.
        init_cfg: mmengine initialisation config.
    """

    mirrors = DigitCNN

    def __init__(self,
                 encoder: DigitCNN,
                 tied: bool = True,
                 residual_block: bool = False,
                 bn_affine: bool = True,
                 shared_bn_statistics: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            encoder,
            bn_affine=bn_affine,
            shared_bn_statistics=shared_bn_statistics,
            init_cfg=init_cfg)
        # A tuple, not a ModuleList: nn.Module does not register it.
        self._encoder_stages = tuple(reversed(encoder.stages))
        self.tied = tied
        convs = [stage.conv for stage in self._encoder_stages]
        self.residual = LatentResidualBlock(
            encoder.out_channels, bn_affine) if residual_block else None
        self.bns = nn.ModuleList(self.batch_norm(c.in_channels) for c in convs)
        self.deconvs = None if tied else nn.ModuleList(
            nn.ConvTranspose2d(
                c.out_channels,
                c.in_channels,
                c.kernel_size,
                padding=c.padding,
                bias=False) for c in convs)
        self.to(memory_format=encoder.memory_format)

    def transposed_weights(self) -> List[Tensor]:
        """The weights of the transposed convolutions, decoder order."""
        if self.tied:
            return [stage.conv.weight for stage in self._encoder_stages]
        return [deconv.weight for deconv in self.deconvs]

    def forward(self,
                latent: Tensor,
                pooling: EncoderOutput,
                branches: int = 1) -> Tensor:
        """Decode ``latent`` with the max-pool indices of ``pooling``.

        Args:
            latent: ``branches`` latents of the encoder's shape stacked
                along the batch: ``G(x)`` itself, a prior sample ``z_n`` of
                the same shape, or both (``torch.cat([G(x_t), z_n])`` with
                ``branches=2``).
            pooling: The encoder pass whose max-pool indices (and sizes)
                unpool every branch. Decoding a prior sample uses the pass
                over the target batch (the authors' choice, eq. 18).
            branches: How many latents are stacked in ``latent``; see
                :meth:`~BaseDecoder.normalize`.

        Returns:
            The decoded images, shaped like the encoder's input (times
            ``branches`` along the batch).
        """
        pooling.check_decodable(latent, branches)
        # cat, unlike repeat, keeps the indices' channels-last layout.
        indices = [
            torch.cat([idx] * branches) if branches > 1 else idx
            for idx in pooling.pool_indices
        ]
        shapes = list(pooling.pool_input_shapes)

        def normalize(bn: nn.Module, h: Tensor) -> Tensor:
            return self.normalize(bn, h, branches)

        x = latent
        if self.residual is not None:
            x = self.residual(x, normalize)
        for stage, weight, bn in zip(self._encoder_stages,
                                     self.transposed_weights(), self.bns):
            pool = stage.pool
            if pool is not None:
                x = F.max_unpool2d(
                    x,
                    indices.pop(),
                    pool.kernel_size,
                    pool.stride,
                    pool.padding,
                    output_size=shapes.pop()[-2:])
            x = transposed_conv2d(x, weight, stage.conv.padding)
            x = F.relu(normalize(bn, x))
        return x
