"""Shared machinery of the small image-classification datasets.

Every dataset of this package yields ``{'img': FloatTensor (C, S, S),
'label': int}`` and shares one set of framing, normalisation and subset
options, implemented once here.
"""
import os
from abc import ABCMeta, abstractmethod
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from dfa_lab.registry import DATASETS
from .collate import GatheredBatch, check_main_process, resolve_device

ChannelStat = Union[float, Sequence[float]]

# ITU-R BT.601 luma weights, the ones PIL uses for its 'L' conversion.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

# Framing works on float copies; chunking bounds their size for the large
# sets (SVHN's 73k or SynSigns' 100k images) to a few MB.
FRAME_CHUNK_SIZE = 4096


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not where the dataset's options point to.

    The message names the dataset, the absolute paths that were expected and
    how to obtain the data.
    """


def dataset_not_found(dataset_name: str, expected_paths: Iterable[str],
                      how_to_get: str) -> DatasetNotFoundError:
    """Build the error raised when a dataset's files are missing.

    Args:
        dataset_name: The dataset (and split) as the user knows it.
        expected_paths: The files or folders that were looked for.
        how_to_get: How to obtain the data, e.g. ``'Pass download=True ...'``.

    Returns:
        DatasetNotFoundError: The error, ready to be raised.
    """
    paths = '\n'.join(f'  {os.path.abspath(path)}' for path in expected_paths)
    return DatasetNotFoundError(
        f'{dataset_name} was not found. Expected:\n{paths}\n{how_to_get}')


def build_dataset(dataset: Union[dict, Dataset]) -> Dataset:
    """Build ``dataset`` from its config, or return it if already built."""
    return DATASETS.build(dataset) if isinstance(dataset, dict) else dataset


def describe_dataset(dataset: Dataset) -> str:
    """The dataset as errors name it: its type, and its split, list file or
    folder where it has one (``'USPS, train split'``)."""
    parts = [type(dataset).__name__]
    split = getattr(dataset, 'split', None)
    if isinstance(split, str):
        parts.append(f'{split} split')
    for attribute in ('list_file', 'root'):
        location = getattr(dataset, attribute, None)
        if isinstance(location, str):
            parts.append(f'{attribute} {location}')
            break
    return ', '.join(parts)


def check_choice(name: str, value, choices: Sequence):
    """Return ``value`` if it is one of ``choices``, else raise ValueError."""
    if value not in choices:
        raise ValueError(
            f'{name} must be one of {tuple(choices)}, got {value!r}')
    return value


def check_positive_int(name: str, value) -> int:
    """Return ``value`` if it is an int above zero, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value <= 0:
        raise ValueError(f'{name} must be a positive int, got {value!r}')
    return int(value)


class DigitDataset(Dataset, metaclass=ABCMeta):
    """Base class of the digit and traffic-sign datasets.

    An item is ``{'img': FloatTensor (channels, image_size, image_size),
    'label': int}``. Images go through the same steps whatever their source:

    1. RGB sources are converted to grey with the ITU-R 601 luma weights when
       ``channels=1``.
    2. The whole source frame is resized (bilinear, antialiased) to
       ``content_size`` x ``content_size``, or to ``image_size`` when
       ``content_size`` is None; non-square frames are stretched.
    3. With ``content_size``, the result is zero-padded, centred, to
       ``image_size``. This gives digits that fill their frame the framing
       of another set: USPS digits fill their 16x16 frame while MNIST digits
       sit in a 20x20 box inside 28x28, so ``content_size=20,
       image_size=28`` makes USPS look like MNIST. Without it digits of the
       two sets differ in scale, which costs MNIST<->USPS accuracy.
    4. Grey images are replicated to three channels when ``channels=3``.
    5. On access, pixels are scaled to [0, 1] and normalised as
       ``(x - mean) / std``; the defaults map them to [-1, 1].

    Subclasses provide the images by implementing :meth:`get_image` and set
    :attr:`labels`; :class:`InMemoryDigitDataset` and
    :class:`ImageFileDataset` do so for array- and file-backed sets.

    Args:
        image_size: Side of the square output images.
        channels: 1 for grey or 3 for RGB output.
        content_size: Side the source frame is resized to before it is
            padded to ``image_size``. None resizes it to ``image_size``.
        mean: Mean subtracted after scaling to [0, 1], one value for all
            channels or one per channel.
        std: Standard deviation divided by after subtracting ``mean``, one
            value or one per channel.
        subset_size: Use only this many samples, drawn uniformly without
            replacement (kept in their original order). None uses all.
        subset_seed: Seed of the draw of ``subset_size`` samples.
    """

    CLASSES: Tuple[str, ...] = tuple(str(digit) for digit in range(10))
    labels: Tensor

    def __init__(self,
                 image_size: int,
                 channels: int,
                 content_size: Optional[int] = None,
                 mean: ChannelStat = 0.5,
                 std: ChannelStat = 0.5,
                 subset_size: Optional[int] = None,
                 subset_seed: int = 0) -> None:
        self.image_size = check_positive_int('image_size', image_size)
        self.channels = check_choice('channels', channels, (1, 3))
        if content_size is not None:
            check_positive_int('content_size', content_size)
            if content_size > image_size:
                raise ValueError(
                    f'content_size ({content_size}) must not exceed '
                    f'image_size ({image_size})')
        self.content_size = content_size
        self.mean = self._per_channel('mean', mean)
        self.std = self._per_channel('std', std)
        if not bool((self.std > 0).all()):
            raise ValueError(f'std must be positive, got {std!r}')
        if subset_size is not None:
            check_positive_int('subset_size', subset_size)
        self.subset_size = subset_size
        self.subset_seed = subset_seed

    @property
    def num_classes(self) -> int:
        """Number of classes of the label space."""
        return len(self.CLASSES)

    @property
    def metainfo(self) -> dict:
        """Meta information that mmengine hands to evaluators."""
        return dict(classes=self.CLASSES)

    def _per_channel(self, name: str, value: ChannelStat) -> Tensor:
        values = torch.as_tensor(value, dtype=torch.float32).flatten()
        if values.numel() == 1:
            values = values.repeat(self.channels)
        if values.numel() != self.channels:
            raise ValueError(
                f'{name} needs one value or {self.channels} (one per '
                f'channel), got {value!r}')
        return values.view(-1, 1, 1)

    def select_subset(self, num_available: int) -> Optional[Tensor]:
        """Draw the indices of the ``subset_size`` samples to keep.

        Args:
            num_available: Number of samples the subset is drawn from.

        Returns:
            Tensor | None: Sorted indices, or None to keep all samples.
        """
        if self.subset_size is None:
            return None
        if self.subset_size > num_available:
            raise ValueError(
                f'subset_size ({self.subset_size}) is larger than '
                f'{type(self).__name__}, which has {num_available} samples')
        generator = torch.Generator().manual_seed(self.subset_seed)
        indices = torch.randperm(num_available, generator=generator)
        return indices[:self.subset_size].sort().values

    def frame(self, images: Tensor) -> Tensor:
        """Convert, resize and pad source images to the output format.

        Args:
            images: uint8 images ``(N, 1 or 3, H, W)``.

        Returns:
            Tensor: uint8 images ``(N, channels, image_size, image_size)``.
        """
        framed = [
            self._frame_chunk(chunk)
            for chunk in images.split(FRAME_CHUNK_SIZE)
        ]
        if not framed:
            return images.new_empty(
                (0, self.channels, self.image_size, self.image_size))
        return torch.cat(framed)

    def _frame_chunk(self, images: Tensor) -> Tensor:
        pixels = images.float()
        if pixels.shape[1] == 3 and self.channels == 1:
            weights = torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)
            pixels = (pixels * weights).sum(dim=1, keepdim=True)
        box = self.content_size or self.image_size
        if tuple(pixels.shape[-2:]) != (box, box):
            pixels = F.interpolate(
                pixels,
                size=(box, box),
                mode='bilinear',
                align_corners=False,
                antialias=True)
        if box < self.image_size:
            before = (self.image_size - box) // 2
            after = self.image_size - box - before
            pixels = F.pad(pixels, (before, after, before, after))
        framed = pixels.round_().clamp_(0, 255).to(torch.uint8)
        if framed.shape[1] != self.channels:
            framed = framed.repeat(1, self.channels, 1, 1)
        return framed

    def normalize(self, image: Tensor) -> Tensor:
        """Scale a framed uint8 image to [0, 1] and apply ``mean``/``std``."""
        return (image.float().div_(255) - self.mean) / self.std

    @abstractmethod
    def get_image(self, index: int) -> Tensor:
        """Return the framed uint8 image ``(channels, S, S)`` of a sample."""

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        return dict(
            img=self.normalize(self.get_image(index)),
            label=int(self.labels[index]))


class InMemoryDigitDataset(DigitDataset):
    """A dataset whose images are framed once and kept as one uint8 tensor.

    Subclasses implement :meth:`load`; the subset is drawn before framing, so
    only the kept images are processed. Subclasses set the attributes
    :meth:`load` needs before calling ``super().__init__``.

    With ``device`` set, the images live on that device and a data loader
    reads whole batches: torch's ``DataLoader`` calls
    :meth:`__getitems__` with a batch's indices, which gathers and
    normalises them there in a few tensor operations, with no per-sample
    Python and no worker processes. The batches equal those of the
    per-sample path (``__getitem__`` and ``default_collate``) exactly, in
    the sampler's order. The loader needs
    ``collate_fn=dict(type='dfa_lab.gathered_collate')`` (the task configs'
    loaders have it) and, on a CUDA device, ``num_workers=0``.

    Args:
        device: Where the images live and batches are gathered: None (on
            the CPU, one sample at a time, as torch reads any dataset),
            ``'auto'`` (the current CUDA device when CUDA is available,
            otherwise the CPU), or a device (``'cpu'``, ``'cuda'``,
            ``'cuda:1'``). The digit task configs set ``'auto'``.
        **kwargs: The framing, normalisation and subset options of
            :class:`DigitDataset`.
    """

    def __init__(self, device: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        images, labels = self.load()
        subset = self.select_subset(len(labels))
        if subset is not None:
            images, labels = images[subset], labels[subset]
        self.images = self.frame(images)
        self.labels = labels.long()
        self.device = resolve_device(device)
        if self.device is not None:
            self.images = self.images.to(self.device)
            self.mean = self.mean.to(self.device)
            self.std = self.std.to(self.device)
            # ``labels`` stays on the CPU for the code that reads it.
            self.gathered_labels = self.labels.to(self.device)

    @property
    def gathers_batches(self) -> bool:
        """Whether :meth:`__getitems__` gathers whole batches."""
        return self.device is not None

    def __getitems__(
            self, indices: Sequence[int]) -> Union[GatheredBatch, List[dict]]:
        """The samples at ``indices``: one :class:`GatheredBatch` ``{'img':
        (B, C, S, S), 'label': (B,)}`` on ``device``, or, without a
        ``device``, the list of samples."""
        if self.device is None:
            return [self[index] for index in indices]
        check_main_process(self, self.device)
        index = torch.as_tensor(indices, device=self.device)
        return GatheredBatch(
            img=self.normalize(self.images[index]),
            label=self.gathered_labels[index])

    @abstractmethod
    def load(self) -> Tuple[Tensor, Tensor]:
        """Return all source images, uint8 ``(N, 1 or 3, H, W)``, and labels
        ``(N,)``."""

    def get_image(self, index: int) -> Tensor:
        return self.images[index]


class ImageFileDataset(DigitDataset):
    """A dataset that reads and frames each image file when it is accessed.

    Subclasses implement :meth:`load_samples` and set the attributes it needs
    before calling ``super().__init__``.

    Args:
        **kwargs: The framing, normalisation and subset options of
            :class:`DigitDataset`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        samples = self.load_samples()
        subset = self.select_subset(len(samples))
        if subset is not None:
            samples = [samples[index] for index in subset.tolist()]
        self.samples = samples
        self.labels = torch.tensor([label for _, label in samples],
                                   dtype=torch.long)

    @abstractmethod
    def load_samples(self) -> List[Tuple[str, int]]:
        """Return the ``(image path, label)`` pairs of all samples."""

    def get_image(self, index: int) -> Tensor:
        with Image.open(self.samples[index][0]) as image:
            pixels = np.array(image.convert('RGB'))
        return self.frame(torch.from_numpy(pixels).permute(2, 0, 1)[None])[0]
