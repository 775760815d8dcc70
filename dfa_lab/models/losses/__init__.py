from .base import WeightedLoss
from .classification import CrossEntropyLoss, cross_entropy
from .discrepancy import ClassifierDiscrepancyLoss, classifier_discrepancy
from .entropy import EntropyLoss, prediction_entropy

__all__ = [
    'WeightedLoss', 'CrossEntropyLoss', 'cross_entropy',
    'ClassifierDiscrepancyLoss', 'classifier_discrepancy', 'EntropyLoss',
    'prediction_entropy'
]
