"""The UCI optical-recognition digits bundled with scikit-learn."""
from typing import Tuple

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import Tensor

from dfa_lab.registry import DATASETS
from .base import InMemoryDigitDataset, check_choice


@DATASETS.register_module()
class UCIDigits(InMemoryDigitDataset):
    """UCI handwritten digits from ``sklearn.datasets.load_digits``.

    1,797 8x8 grey digits with values 0..16, scaled to 0..255 and upscaled
    bilinearly to ``image_size``. They ship with scikit-learn, so no files
    are needed.

    The set has no official split. This one is stratified and deterministic:
    per class, the samples are permuted with ``split_seed`` and the first
    two thirds (rounded) form the train split, so it holds 1,198 digits and
    the test split 599, whatever the seed.

    Args:
        split: ``'train'`` or ``'test'``.
        split_seed: Seed of the per-class permutations of the split.
        image_size: Side of the output images.
        channels: 1 (grey) or 3 (grey replicated).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    TRAIN_FRACTION = 2 / 3

    def __init__(self,
                 split: str = 'train',
                 split_seed: int = 0,
                 image_size: int = 28,
                 channels: int = 1,
                 **kwargs) -> None:
        self.split = check_choice('split', split, ('train', 'test'))
        self.split_seed = split_seed
        super().__init__(image_size=image_size, channels=channels, **kwargs)

    def load(self) -> Tuple[Tensor, Tensor]:
        digits = load_digits()
        images = torch.from_numpy(
            np.rint(digits.images * (255 / 16)).astype(np.uint8)).unsqueeze(1)
        labels = torch.from_numpy(digits.target).long()
        generator = torch.Generator().manual_seed(self.split_seed)
        in_train = torch.zeros(len(labels), dtype=torch.bool)
        for digit in range(10):
            members = (labels == digit).nonzero().flatten()
            members = members[torch.randperm(
                len(members), generator=generator)]
            num_train = round(len(members) * self.TRAIN_FRACTION)
            in_train[members[:num_train]] = True
        keep = in_train if self.split == 'train' else ~in_train
        return images[keep], labels[keep]
