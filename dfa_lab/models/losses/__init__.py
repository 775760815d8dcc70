from .alignment import DistributionAlignmentLoss, distribution_alignment_loss
from .base import WeightedLoss
from .classification import CrossEntropyLoss, cross_entropy
from .discrepancy import ClassifierDiscrepancyLoss, classifier_discrepancy
from .entropy import EntropyLoss, prediction_entropy
from .feature_norm import AdaptiveFeatureNormLoss, adaptive_feature_norm
from .latent_kl import (LatentKLLoss, fit_diagonal_gaussian,
                        gaussian_latent_kl)
from .prior_kl import PriorKLLoss, gaussian_prior_kl, softmax_prior_kl
from .reconstruction import ReconstructionLoss, reconstruction_l1

__all__ = [
    'WeightedLoss', 'CrossEntropyLoss', 'cross_entropy',
    'ClassifierDiscrepancyLoss', 'classifier_discrepancy', 'EntropyLoss',
    'prediction_entropy', 'PriorKLLoss', 'softmax_prior_kl',
    'gaussian_prior_kl', 'DistributionAlignmentLoss',
    'distribution_alignment_loss', 'AdaptiveFeatureNormLoss',
    'adaptive_feature_norm', 'LatentKLLoss', 'fit_diagonal_gaussian',
    'gaussian_latent_kl', 'ReconstructionLoss', 'reconstruction_l1'
]
