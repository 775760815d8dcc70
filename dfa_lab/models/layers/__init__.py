from .gradient_reversal import (GradientReversal, grl_coefficient,
                                reverse_gradient)
from .multilinear import MultilinearMap, RandomizedMultilinearMap

__all__ = [
    'GradientReversal', 'grl_coefficient', 'reverse_gradient',
    'MultilinearMap', 'RandomizedMultilinearMap'
]
