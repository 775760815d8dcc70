"""A seeded split of a dataset into a training part and a held-out part."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from dfa_lab.registry import DATASETS
from .base import build_dataset, check_choice


def holdout_size(holdout: Union[float, int], num_samples: int) -> int:
    """The number of samples that ``holdout`` asks to hold out.

    Args:
        holdout: A fraction of the dataset in (0, 1), rounded to the nearest
            count, or a number of samples.
        num_samples: The dataset's size.

    Returns:
        int: The count, from 1 to ``num_samples - 1``.

    Raises:
        ValueError: ``holdout`` is neither a fraction in (0, 1) nor an int,
            or it leaves one of the two parts empty.
    """
    if isinstance(holdout, (float, np.floating)):
        if not 0 < holdout < 1:
            raise ValueError(
                'A float holdout is a fraction of the dataset and must lie '
                f'in (0, 1), got {holdout!r}; pass an int for a count.')
        size = round(float(holdout) * num_samples)
    elif isinstance(holdout,
                    (int, np.integer)) and not isinstance(holdout, bool):
        size = int(holdout)
    else:
        raise ValueError('holdout must be a fraction in (0, 1) or a number '
                         f'of samples, got {holdout!r}.')
    if not 0 < size < num_samples:
        raise ValueError(
            f'holdout={holdout!r} of a dataset of {num_samples} samples '
            f'holds out {size} and leaves {num_samples - size} for '
            'training; each part needs at least one sample.')
    return size


def stratified_counts(class_sizes: Tensor, size: int) -> Tensor:
    """Split ``size`` draws over classes in proportion to their sizes.

    Each class gets the floor of its proportional share; the draws left
    over go, one each, to the classes whose shares lost the most to the
    rounding (the largest remainder method), the first classes on ties. The
    counts sum to ``size`` exactly.

    Args:
        class_sizes: Samples per class ``(C,)``.
        size: Total number of draws, at most ``class_sizes.sum()``.

    Returns:
        Tensor: Draws per class ``(C,)``.
    """
    # Integer arithmetic keeps exact shares (e.g. 10% of 1000) from being
    # rounded down by floating-point error.
    shares = class_sizes * size
    total = int(class_sizes.sum())
    counts = shares // total
    left_over = size - int(counts.sum())
    order = torch.argsort(shares % total, descending=True, stable=True)
    counts[order[:left_over]] += 1
    return counts


@DATASETS.register_module()
class HoldoutSplit(Dataset):
    """One part of a seeded split of a dataset: the held-out samples or the
    rest.

    The samples to hold out are drawn at random with ``seed``. When the
    wrapped dataset has a ``labels`` tensor (the digit datasets have one,
    :class:`~dfa_lab.datasets.ImageList` has none), the draw is stratified:
    each class contributes in proportion to its size, so both parts keep the
    dataset's class balance. The two parts of the
    same dataset, ``holdout`` and ``seed`` are disjoint and together cover
    the dataset, which makes the held-out part a validation set that
    training on the other part never sees.

    Items are the wrapped dataset's items; both parts keep the wrapped
    order. ``labels``, ``num_classes`` and ``metainfo`` are those of the
    wrapped dataset, ``labels`` restricted to the part; a wrapped dataset
    without one of them gives a split without it.

    Args:
        dataset: The dataset to split, or its config for ``DATASETS``. Each
            part built from a config builds the dataset anew.
        holdout: The held-out part's size: a fraction of the dataset in
            (0, 1), rounded to the nearest count, or a number of samples.
        part: ``'train'`` for the samples not held out, ``'holdout'`` for
            the held-out ones.
        seed: Seed of the draw.

    Raises:
        ValueError: ``part`` is not one of the two parts, or ``holdout`` is
            neither a fraction in (0, 1) nor a count that leaves both parts
            non-empty.
    """

    PARTS = ('train', 'holdout')

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 holdout: Union[float, int],
                 part: str,
                 seed: int = 0) -> None:
        self.part = check_choice('part', part, self.PARTS)
        self.dataset = build_dataset(dataset)
        self.holdout = holdout
        self.seed = seed
        held_out = self._draw_held_out()
        in_part = held_out if part == 'holdout' else ~held_out
        self.indices = in_part.nonzero().flatten()

    def _draw_held_out(self) -> Tensor:
        """The mask of the held-out samples of the wrapped dataset."""
        num_samples = len(self.dataset)
        size = holdout_size(self.holdout, num_samples)
        generator = torch.Generator().manual_seed(self.seed)
        labels: Optional[Tensor] = getattr(self.dataset, 'labels', None)
        if isinstance(labels, Tensor):
            classes, class_sizes = torch.unique(labels, return_counts=True)
            counts = stratified_counts(class_sizes, size)
            groups = [(labels == label).nonzero().flatten()
                      for label in classes]
        else:
            counts = [size]
            groups = [torch.arange(num_samples)]
        held_out = torch.zeros(num_samples, dtype=torch.bool)
        for members, count in zip(groups, counts):
            order = torch.randperm(len(members), generator=generator)
            held_out[members[order[:int(count)]]] = True
        return held_out

    @property
    def labels(self) -> Tensor:
        """The wrapped dataset's labels of this part's samples."""
        return self.dataset.labels[self.indices]

    @property
    def num_classes(self) -> int:
        """The wrapped dataset's number of classes."""
        return self.dataset.num_classes

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information."""
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict:
        return self.dataset[int(self.indices[index])]

    @property
    def gathers_batches(self) -> bool:
        """Whether the wrapped dataset gathers whole batches, and so does
        :meth:`__getitems__`."""
        return getattr(self.dataset, 'gathers_batches', False)

    def __getitems__(self, indices: Sequence[int]) -> Union[dict, list]:
        """The wrapped dataset's ``__getitems__`` at this part's samples
        ``indices``, or the list of samples when it gathers none."""
        if not self.gathers_batches:
            return [self[index] for index in indices]
        return self.dataset.__getitems__(self.indices[list(indices)].tolist())
