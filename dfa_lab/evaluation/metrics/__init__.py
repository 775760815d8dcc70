from .label_free import (InformationMaximization, SoftNeighborhoodDensity,
                         SourceValidationAccuracy, TargetEntropy,
                         information_maximization, probability_entropy,
                         soft_neighborhood_density)
from .target_accuracy import TargetAccuracy, accuracy, mean_class_accuracy

__all__ = [
    'InformationMaximization', 'SoftNeighborhoodDensity',
    'SourceValidationAccuracy', 'TargetAccuracy', 'TargetEntropy', 'accuracy',
    'information_maximization', 'mean_class_accuracy', 'probability_entropy',
    'soft_neighborhood_density'
]
