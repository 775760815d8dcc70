from .digit_cnn import DigitCNN
from .resnet import TimmResNet

__all__ = ['DigitCNN', 'TimmResNet']
