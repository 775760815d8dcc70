from .base import BaseDecoder
from .digit_decoder import DigitDecoder, LatentResidualBlock
from .mlp_decoder import MLPDecoder
from .resnet_decoder import ResNetDecoder

__all__ = [
    'BaseDecoder', 'DigitDecoder', 'LatentResidualBlock', 'MLPDecoder',
    'ResNetDecoder'
]
