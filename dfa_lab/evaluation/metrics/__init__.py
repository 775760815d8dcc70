from .target_accuracy import TargetAccuracy, accuracy, mean_class_accuracy

__all__ = ['TargetAccuracy', 'accuracy', 'mean_class_accuracy']
