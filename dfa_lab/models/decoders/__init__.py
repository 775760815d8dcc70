from .digit_decoder import DigitDecoder

__all__ = ['DigitDecoder']
