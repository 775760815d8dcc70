from .digit_decoder import DigitDecoder
from .resnet_decoder import ResNetDecoder

__all__ = ['DigitDecoder', 'ResNetDecoder']
