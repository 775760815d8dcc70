"""The weight-tied decoder ``D`` of ResNet-50: an inverted ResNet (appendix
Table 9 of the paper)."""
from typing import Callable, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from dfa_lab.models.backbones.resnet import TimmResNet
from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import BaseDecoder

Size = Tuple[int, int]
#: Applies a decoder BatchNorm to a tensor (``BaseDecoder.normalize`` with
#: the number of stacked branches bound).
Normalize = Callable[[nn.Module, Tensor], Tensor]


def conv_output_size(size: Sequence[int], conv: nn.Conv2d) -> Size:
    """Spatial size of ``conv``'s output for an input of ``size``."""
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
            size, conv.kernel_size, conv.stride, conv.padding, conv.dilation))


class TransposedConv(nn.Module):
    """``conv_transpose2d`` with the weights of one encoder convolution,
    then a decoder-own BatchNorm.

    It maps the convolution's output back to the convolution's input
    channels and size. A strided convolution maps several input sizes to
    one output size; ``forward`` takes the size to restore and sets
    ``output_padding`` to reach it.

    Args:
        conv: The encoder convolution to invert. It is referenced, not
            registered as a submodule.
        tied: Use ``conv``'s own weight tensor (eq. 13-15); otherwise own
            transposed-convolution weights of the same shape.
        bn_affine: Give the BatchNorm a learned scale and shift.
    """

    def __init__(self, conv: nn.Conv2d, tied: bool, bn_affine: bool = True):
        super().__init__()
        # A tuple, not an attribute nn.Module would register.
        self._conv = (conv, )
        self.deconv = None if tied else nn.ConvTranspose2d(
            conv.out_channels,
            conv.in_channels,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            groups=conv.groups,
            bias=False)
        self.bn = nn.BatchNorm2d(conv.in_channels, affine=bn_affine)

    @property
    def weight(self) -> Tensor:
        """The transposed convolution's weight."""
        return self._conv[0].weight if self.deconv is None \
            else self.deconv.weight

    def forward(self, x: Tensor, output_size: Sequence[int],
                normalize: Normalize) -> Tensor:
        conv = self._conv[0]
        natural = [
            (n - 1) * s - 2 * p + d * (k - 1) + 1
            for n, k, s, p, d in zip(x.shape[-2:], conv.kernel_size,
                                     conv.stride, conv.padding, conv.dilation)
        ]
        output_padding = tuple(t - n for t, n in zip(output_size, natural))
        return normalize(
            self.bn,
            F.conv_transpose2d(
                x,
                self.weight,
                stride=conv.stride,
                padding=conv.padding,
                output_padding=output_padding,
                groups=conv.groups,
                dilation=conv.dilation))


class InvertedBottleneck(nn.Module):
    """The inverse of one bottleneck block.

    The encoder block computes ``relu(bn3(conv3(relu(bn2(conv2(relu(bn1(
    conv1(x)))))))) + shortcut(x))`` with ``shortcut`` the identity or a
    strided 1x1 projection ``bn(conv(x))``. The inverse transposes each
    convolution in reverse order, each followed by a decoder-own BatchNorm,
    with ReLUs between them and after the sum::

        relu(T1(relu(T2(relu(T3(y))))) + S(y))

    where ``Tk`` is the transposed ``convk`` and ``S`` the identity or the
    transposed projection. The strided convolutions (``conv2`` and the
    projection) are transposed with the same stride, restoring the block's
    input size exactly.

    Args:
        block: The encoder's bottleneck block; referenced, not registered.
        tied: See :class:`TransposedConv`.
        bn_affine: See :class:`TransposedConv`.
    """

    def __init__(self, block: nn.Module, tied: bool, bn_affine: bool = True):
        super().__init__()
        projection = block.downsample
        if projection is not None and not isinstance(projection[0], nn.Conv2d):
            raise TypeError(
                'ResNetDecoder inverts projection shortcuts that start with '
                f'a convolution, got {type(projection[0]).__name__}.')
        self.conv3_transposed = TransposedConv(block.conv3, tied, bn_affine)
        self.conv2_transposed = TransposedConv(block.conv2, tied, bn_affine)
        self.conv1_transposed = TransposedConv(block.conv1, tied, bn_affine)
        self.shortcut_transposed = None if projection is None \
            else TransposedConv(projection[0], tied, bn_affine)

    def transposed_weights(self) -> List[Tensor]:
        """Weights of the transposed convolutions, in decoding order."""
        return [
            deconv.weight
            for deconv in (self.conv3_transposed, self.conv2_transposed,
                           self.conv1_transposed, self.shortcut_transposed)
            if deconv is not None
        ]

    def forward(self, y: Tensor, input_size: Size,
                normalize: Normalize) -> Tensor:
        """Map a block output ``y`` back to the block's input, of spatial
        size ``input_size``."""
        x = F.relu(self.conv3_transposed(y, y.shape[-2:], normalize))
        x = F.relu(self.conv2_transposed(x, input_size, normalize))
        x = self.conv1_transposed(x, input_size, normalize)
        shortcut = y if self.shortcut_transposed is None \
            else self.shortcut_transposed(y, input_size, normalize)
        return F.relu(x + shortcut)


@MODELS.register_module()
class ResNetDecoder(BaseDecoder):
    """Mirror of a :class:`TimmResNet` from its pooled latent back to the
    input image (appendix Table 9 of the paper).

    1. Nearest-neighbour unpooling: the pooled vector ``(B, C)`` is repeated
       over the last feature map's spatial size (``1x1 -> 7x7`` at 224x224).
    2. Every bottleneck block, last first, inverted by
       :class:`InvertedBottleneck`.
    3. Max-unpooling with the indices of the stem's max-pool.
    4. The stem convolution (7x7, stride 2) transposed back to 3 channels
       at the input's size, then a decoder-own BatchNorm and ReLU.

    ``tied=True`` (DFA): every transposed convolution uses *the encoder
    convolution's own weight tensor* (eq. 13-15), so the decoder owns no
    convolution weights and the gradient of a decoded output reaches the
    encoder. ``tied=False``: own transposed-convolution weights of the same
    shapes. The BatchNorms are the decoder's own, created once here.

    Sizes come from the encoder pass given to :meth:`forward` (its
    input size and the stem's pooling indices), so any input size
    decodes back to itself (224, the authors' 221, the tests' 64).

    Args:
        encoder: The backbone to mirror. It is referenced, not registered as
            a submodule: its parameters stay the backbone's alone.
        tied: Share the encoder's convolution weights.
        bn_affine: See :class:`BaseDecoder`.
        shared_bn_statistics: See :class:`BaseDecoder`.
        init_cfg: mmengine initialisation config.
    """

    mirrors = TimmResNet

    def __init__(self,
                 encoder: TimmResNet,
                 tied: bool = True,
                 bn_affine: bool = True,
                 shared_bn_statistics: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            encoder,
            bn_affine=bn_affine,
            shared_bn_statistics=shared_bn_statistics,
            init_cfg=init_cfg)
        blocks = encoder.blocks
        if not all(hasattr(block, 'conv3') for block in blocks):
            raise TypeError(
                'ResNetDecoder inverts bottleneck blocks (ResNet-50 and '
                f'deeper); {encoder.model_name!r} has '
                f'{type(blocks[0]).__name__} blocks.')
        self.tied = tied
        # Tuples, not attributes nn.Module would register.
        self._encoder_blocks = tuple(blocks)
        self._encoder_pool = (encoder.maxpool, )
        self.blocks = nn.ModuleList(
            InvertedBottleneck(block, tied, bn_affine)
            for block in reversed(blocks))
        self.stem_transposed = TransposedConv(encoder.conv1, tied, bn_affine)
        self.memory_format = encoder.memory_format
        self.to(memory_format=self.memory_format)

    def transposed_weights(self) -> List[Tensor]:
        """The weights of the transposed convolutions, decoder order."""
        weights = [
            w for block in self.blocks for w in block.transposed_weights()
        ]
        return weights + [self.stem_transposed.weight]

    def block_input_sizes(self, pooling: EncoderOutput) -> List[Size]:
        """The spatial input size of every encoder block in ``pooling``'s
        pass, in encoder order, followed by the last block's output size."""
        (indices, ) = pooling.pool_indices
        size = tuple(indices.shape[-2:])
        sizes = [size]
        for block in self._encoder_blocks:
            size = conv_output_size(size, block.conv2)
            sizes.append(size)
        return sizes

    def forward(self,
                latent: Tensor,
                pooling: EncoderOutput,
                branches: int = 1) -> Tensor:
        """Decode ``latent`` with the stem's max-pool indices of
        ``pooling``.

        Args:
            latent: ``branches`` pooled latents ``(B, C)`` stacked along
                the batch: ``G(x)`` itself, a prior sample ``z_n`` of the
                same shape, or both (``branches=2``).
            pooling: The encoder pass whose pooling indices and sizes
                decode every branch. Decoding a prior sample uses the pass
                over the target batch (the authors' choice, eq. 18).
            branches: How many latents are stacked in ``latent``; see
                :meth:`~BaseDecoder.normalize`.

        Returns:
            The decoded images, shaped like the encoder's input (times
            ``branches`` along the batch).
        """
        pooling.check_decodable(latent, branches)
        if pooling.inputs is None:
            raise ValueError(
                'ResNetDecoder needs the input of the encoder pass '
                '(EncoderOutput.inputs), which TimmResNet records.')
        sizes = self.block_input_sizes(pooling)
        x = latent[:, :, None, None].expand(-1, -1, *sizes[-1])
        x = x.contiguous(memory_format=self.memory_format)

        def normalize(bn: nn.Module, h: Tensor) -> Tensor:
            return self.normalize(bn, h, branches)

        for block, input_size in zip(self.blocks, reversed(sizes[:-1])):
            x = block(x, input_size, normalize)
        pool = self._encoder_pool[0]
        (indices, ) = pooling.pool_indices
        if branches > 1:
            indices = indices.repeat(branches, 1, 1, 1)
        (pool_input_shape, ) = pooling.pool_input_shapes
        x = F.max_unpool2d(
            x,
            indices,
            pool.kernel_size,
            pool.stride,
            pool.padding,
            output_size=pool_input_shape[-2:])
        return F.relu(
            self.stem_transposed(x, tuple(pooling.inputs.shape[-2:]),
                                 normalize))
