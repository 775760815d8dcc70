from .alignment import (DistributionAlignmentLoss, EnergyDistanceLoss,
                        SlicedWassersteinLoss, distribution_alignment_loss,
                        energy_distance, sliced_wasserstein)
from .base import WeightedLoss
from .classification import CrossEntropyLoss, cross_entropy
from .discrepancy import ClassifierDiscrepancyLoss, classifier_discrepancy
from .divergence import (CORALLoss, GaussianMMDLoss, SinkhornDivergenceLoss,
                         coral, gaussian_mmd)
from .domain_adversarial import (DomainAdversarialLoss,
                                 domain_adversarial_loss, entropy_weights)
from .entropy import EntropyLoss, prediction_entropy
from .feature_norm import AdaptiveFeatureNormLoss, adaptive_feature_norm
from .gaussian import diagonal_gaussian_kl, fit_diagonal_gaussian
from .latent_kl import LatentKLLoss, gaussian_latent_kl
from .prior_kl import PriorKLLoss, gaussian_prior_kl, softmax_prior_kl
from .reconstruction import ReconstructionLoss, reconstruction_l1

__all__ = [
    'WeightedLoss', 'CrossEntropyLoss', 'cross_entropy',
    'ClassifierDiscrepancyLoss', 'classifier_discrepancy',
    'DomainAdversarialLoss', 'domain_adversarial_loss', 'entropy_weights',
    'EntropyLoss', 'prediction_entropy', 'PriorKLLoss', 'softmax_prior_kl',
    'gaussian_prior_kl', 'DistributionAlignmentLoss',
    'distribution_alignment_loss', 'EnergyDistanceLoss', 'energy_distance',
    'SlicedWassersteinLoss', 'sliced_wasserstein', 'AdaptiveFeatureNormLoss',
    'adaptive_feature_norm', 'LatentKLLoss', 'fit_diagonal_gaussian',
    'diagonal_gaussian_kl', 'gaussian_latent_kl', 'ReconstructionLoss',
    'reconstruction_l1', 'GaussianMMDLoss', 'gaussian_mmd', 'CORALLoss',
    'coral', 'SinkhornDivergenceLoss'
]
