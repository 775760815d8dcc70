"""The digit CNNs of MCD (Saito et al., CVPR 2018), DFA's digit networks."""
from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


class ConvStage(nn.Module):
    """Conv -> BatchNorm -> ReLU -> optional max-pool that keeps its indices.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Convolution kernel size.
        padding: Convolution padding.
        pool: ``(kernel_size, stride, padding)`` of the max-pool, or ``None``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 padding: int, pool: Optional[Tuple[int, int, int]]):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, padding=padding)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.pool = None if pool is None else nn.MaxPool2d(
            kernel_size=pool[0],
            stride=pool[1],
            padding=pool[2],
            return_indices=True)


@MODELS.register_module()
class DigitCNN(BaseModule):
    """Feature extractor ``G`` of the digit experiments (docs/method.md,
    "Digit CNNs").

    Three architectures, named after the task they were designed for:

    ``usps`` (28x28 grey, MNIST<->USPS)
        conv5x5 1->32, BN, ReLU, maxpool 2; conv5x5 32->48, BN, ReLU,
        maxpool 2 -> latent 48x4x4.
    ``svhn`` (32x32 RGB, SVHN->MNIST)
        conv5x5 3->64 / 64->64 / 64->128 with padding 2, each BN, ReLU, the
        first two followed by maxpool k3 s2 p1 -> latent 128x8x8.
    ``gtsrb`` (40x40 RGB, SynSigns->GTSRB)
        conv5x5 3->96, conv3x3 96->144, conv5x5 144->256 ('same' padding),
        each BN, ReLU, maxpool 2 -> latent 256x5x5.

    The forward pass returns an :class:`EncoderOutput` holding the latent map
    and the indices of every max-pool, which a weight-tied decoder needs
    (eq. 13-15 of the paper).

    Args:
        arch: One of ``'usps'``, ``'svhn'``, ``'gtsrb'``.
        in_channels: Input channels; defaults to the architecture's own.
        channels_last: Keep weights and activations in the channels-last
            memory layout. Results are the same; convolutions and max-pools
            run several times faster on CPU (and use tensor cores better on
            GPU).
        init_cfg: mmengine initialisation config.
    """

    #: The weight-tied decoder that mirrors this backbone; aligners with a
    #: decoder build it unless their config names another type.
    decoder_type = 'DigitDecoder'

    # Each stage: (out_channels, kernel_size, padding, pool or None).
    arch_settings = {
        'usps':
        dict(
            in_channels=1,
            input_size=28,
            stages=[
                (32, 5, 0, (2, 2, 0)),
                (48, 5, 0, (2, 2, 0)),
            ]),
        'svhn':
        dict(
            in_channels=3,
            input_size=32,
            stages=[
                (64, 5, 2, (3, 2, 1)),
                (64, 5, 2, (3, 2, 1)),
                (128, 5, 2, None),
            ]),
        'gtsrb':
        dict(
            in_channels=3,
            input_size=40,
            stages=[
                (96, 5, 2, (2, 2, 0)),
                (144, 3, 1, (2, 2, 0)),
                (256, 5, 2, (2, 2, 0)),
            ]),
    }

    def __init__(self,
                 arch: str = 'usps',
                 in_channels: Optional[int] = None,
                 channels_last: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'Unknown DigitCNN arch {arch!r}; choose one of '
                             f'{sorted(self.arch_settings)}.')
        setting = self.arch_settings[arch]
        self.arch = arch
        self.in_channels = in_channels or setting['in_channels']
        self.input_size = setting['input_size']
        channels = self.in_channels
        stages: List[ConvStage] = []
        for out_channels, kernel_size, padding, pool in setting['stages']:
            stages.append(
                ConvStage(channels, out_channels, kernel_size, padding, pool))
            channels = out_channels
        self.stages = nn.ModuleList(stages)
        self.out_channels = channels
        self.latent_shape = self._infer_latent_shape()
        self.memory_format = (
            torch.channels_last if channels_last else torch.contiguous_format)
        self.to(memory_format=self.memory_format)

    def _infer_latent_shape(self) -> Tuple[int, ...]:
        size = self.input_size
        for stage in self.stages:
            conv = stage.conv
            size = size + 2 * conv.padding[0] - conv.kernel_size[0] + 1
            if stage.pool is not None:
                size = (size + 2 * stage.pool.padding -
                        stage.pool.kernel_size) // stage.pool.stride + 1
        return (self.out_channels, size, size)

    @property
    def latent_dim(self) -> int:
        """Number of latent features the classifier reads."""
        c, h, w = self.latent_shape
        return c * h * w

    def forward(self, x: Tensor) -> EncoderOutput:
        size = self.input_size
        if x.dim() != 4 or tuple(
                x.shape[1:]) != (self.in_channels, size, size):
            raise ValueError(
                f'DigitCNN({self.arch!r}) expects (B, {self.in_channels}, '
                f'{size}, {size}) images, got shape {tuple(x.shape)}. Set '
                f'the datasets\' image_size={size} and channels='
                f'{self.in_channels}, or choose the arch made for your '
                'images (' +
                ', '.join(f"{name!r}: {s['input_size']}x{s['input_size']}"
                          for name, s in self.arch_settings.items()) + ').')
        inputs = x
        x = x.contiguous(memory_format=self.memory_format)
        indices: List[Tensor] = []
        shapes: List[torch.Size] = []
        for stage in self.stages:
            x = stage.relu(stage.bn(stage.conv(x)))
            if stage.pool is not None:
                shapes.append(x.shape)
                x, idx = stage.pool(x)
                indices.append(idx)
        return EncoderOutput(x, tuple(indices), tuple(shapes), inputs)
