from .base import (DatasetNotFoundError, DigitDataset, ImageFileDataset,
                   InMemoryDigitDataset)
from .collate import GatheredBatch, gathered_collate
from .digits import GTSRB, MNIST, SVHN, USPS, DatasetFileError, SynSigns
from .holdout import HoldoutSplit
from .image_list import ImageList
from .syndigits import SynDigits
from .transforms import ResizeCrop
from .uci_digits import UCIDigits
from .uda import UDAPairDataset, UDAPairSampler

__all__ = [
    'DatasetNotFoundError', 'DatasetFileError', 'DigitDataset',
    'InMemoryDigitDataset', 'ImageFileDataset', 'MNIST', 'USPS', 'SVHN',
    'GTSRB', 'SynSigns', 'SynDigits', 'UCIDigits', 'UDAPairDataset',
    'UDAPairSampler', 'ImageList', 'ResizeCrop', 'HoldoutSplit',
    'GatheredBatch', 'gathered_collate'
]
