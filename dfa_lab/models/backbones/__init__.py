from .digit_cnn import DigitCNN
from .mlp import MLPEncoder
from .resnet import TimmResNet

__all__ = ['DigitCNN', 'MLPEncoder', 'TimmResNet']
