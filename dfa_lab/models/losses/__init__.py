from .alignment import DistributionAlignmentLoss, distribution_alignment_loss
from .base import WeightedLoss
from .classification import CrossEntropyLoss, cross_entropy
from .discrepancy import ClassifierDiscrepancyLoss, classifier_discrepancy
from .entropy import EntropyLoss, prediction_entropy
from .feature_norm import AdaptiveFeatureNormLoss, adaptive_feature_norm
from .prior_kl import PriorKLLoss, gaussian_prior_kl, softmax_prior_kl

__all__ = [
    'WeightedLoss', 'CrossEntropyLoss', 'cross_entropy',
    'ClassifierDiscrepancyLoss', 'classifier_discrepancy', 'EntropyLoss',
    'prediction_entropy', 'PriorKLLoss', 'softmax_prior_kl',
    'gaussian_prior_kl', 'DistributionAlignmentLoss',
    'distribution_alignment_loss', 'AdaptiveFeatureNormLoss',
    'adaptive_feature_norm'
]
