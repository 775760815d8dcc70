"""File-backed digit and traffic-sign datasets.

MNIST, USPS, SVHN and GTSRB are read with torchvision's own classes, so their
``data_root`` is laid out exactly as torchvision expects; SynSigns is read from
its image list.
"""
import os
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torchvision
from torch import Tensor

from dfa_lab.registry import DATASETS
from .base import (ImageFileDataset, InMemoryDigitDataset, check_choice,
                   dataset_not_found)

DOWNLOAD_HINT = ('Place the files there, or pass download=True to let '
                 'torchvision download them into data_root.')

# The 43 classes of the German Traffic Sign Recognition Benchmark, which
# Synthetic Signs shares.
TRAFFIC_SIGN_CLASSES = tuple(str(class_id) for class_id in range(43))


class DatasetFileError(RuntimeError):
    """A dataset file exists but cannot be read: truncated or corrupt."""


def load_torchvision_dataset(dataset_name: str, expected_paths: Sequence[str],
                             build: Callable):
    """Build a torchvision dataset, turning file problems into one clear error.

    torchvision reports missing files as a RuntimeError (or, for USPS, a bare
    FileNotFoundError); both become :class:`DatasetNotFoundError` when an
    expected path is indeed absent. When every file is there but reading
    fails (a truncated or corrupt file: a reshape error, an end-of-stream
    error, ...), a :class:`DatasetFileError` names the damaged file (or the
    files read, when torchvision's error does not tell which).

    Args:
        dataset_name: The dataset and split, for the error message.
        expected_paths: The files or folders torchvision reads.
        build: Builds the torchvision dataset.
    """
    try:
        return build()
    except (RuntimeError, FileNotFoundError, EOFError, OSError,
            ValueError) as error:
        missing = [path for path in expected_paths if not os.path.exists(path)]
        if missing:
            raise dataset_not_found(dataset_name, missing,
                                    DOWNLOAD_HINT) from error
        damaged = [(path, idx_file_damage(path)) for path in expected_paths]
        damaged = [(path, problem) for path, problem in damaged if problem]
        if damaged:
            files = '; '.join(f'{os.path.abspath(path)} ({problem})'
                              for path, problem in damaged)
        else:
            files = ', '.join(os.path.abspath(path)
                              for path in expected_paths)
            files += f' ({type(error).__name__}: {error})'
        raise DatasetFileError(
            f'{dataset_name} cannot be read from {files}. The file is '
            'probably truncated or corrupt (e.g. an interrupted download '
            'or copy): replace it with an intact copy, or delete it and '
            'pass download=True.') from error


def idx_file_damage(path: str) -> Optional[str]:
    """What is wrong with the size of the idx file ``path`` (MNIST's format),
    or ``None`` when its size fits its header or it is no idx file.

    An idx file starts with two zero bytes, a type code, the number of
    dimensions ``n`` and ``n`` big-endian int32 sizes; the data follow.
    """
    item_sizes = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as file:
        magic = file.read(4)
        if len(magic) < 4 or magic[:2] != b'\0\0' or \
                magic[2] not in item_sizes:
            return None
        sizes = file.read(4 * magic[3])
    if len(sizes) < 4 * magic[3]:
        return 'its header is cut short'
    count = 1
    for index in range(magic[3]):
        count *= int.from_bytes(sizes[4 * index:4 * index + 4], 'big')
    expected = 4 + 4 * magic[3] + count * item_sizes[magic[2]]
    actual = os.path.getsize(path)
    if actual != expected:
        return f'{actual} bytes where its header announces {expected}'
    return None


class TorchvisionSplitMixin:
    """Constructor shared by the datasets read with torchvision's classes.

    Subclasses set :attr:`splits` and the default ``image_size`` and
    ``channels`` of their data.

    Args:
        data_root: The ``root`` folder torchvision reads.
        split: One of :attr:`splits`.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images; the dataset's default when
            ``None``.
        channels: 1 or 3; the dataset's default when ``None``.
        **kwargs: The other options of :class:`DigitDataset`
            (``content_size``, ``mean``, ``std``, ``subset_size``,
            ``subset_seed``).
    """

    splits: Tuple[str, ...] = ('train', 'test')
    default_image_size: int
    default_channels: int

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 download: bool = False,
                 image_size: Optional[int] = None,
                 channels: Optional[int] = None,
                 **kwargs) -> None:
        self.data_root = data_root
        self.split = check_choice('split', split, self.splits)
        self.download = download
        super().__init__(
            image_size=image_size or self.default_image_size,
            channels=channels or self.default_channels,
            **kwargs)


@DATASETS.register_module()
class MNIST(TorchvisionSplitMixin, InMemoryDigitDataset):
    """MNIST handwritten digits, 28x28 grey, read by torchvision.

    Args:
        data_root: Folder holding ``MNIST/raw/`` with the uncompressed idx
            files (``train-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
            ...).
        split: ``'train'`` or ``'test'``.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images.
        channels: 1 (grey) or 3 (grey replicated).
        **kwargs: The other options of :class:`DigitDataset`
            (``content_size``, ``mean``, ``std``, ``subset_size``,
            ``subset_seed``).
    """

    default_image_size = 28
    default_channels = 1

    def load(self) -> Tuple[Tensor, Tensor]:
        raw_folder = os.path.join(
            os.path.abspath(self.data_root), 'MNIST', 'raw')
        prefix = 'train' if self.split == 'train' else 't10k'
        mnist = load_torchvision_dataset(
            f'MNIST ({self.split} split)', [
                os.path.join(raw_folder, f'{prefix}-images-idx3-ubyte'),
                os.path.join(raw_folder, f'{prefix}-labels-idx1-ubyte')
            ], lambda: torchvision.datasets.MNIST(
                self.data_root,
                train=self.split == 'train',
                download=self.download))
        return mnist.data.unsqueeze(1), mnist.targets


@DATASETS.register_module()
class USPS(TorchvisionSplitMixin, InMemoryDigitDataset):
    """USPS handwritten digits, 16x16 grey, read by torchvision.

    USPS digits fill their frame; ``content_size=20, image_size=28`` gives
    them MNIST's framing (see :class:`DigitDataset`).

    Args:
        data_root: Folder holding ``usps.bz2`` (train, 7,291 digits) and
            ``usps.t.bz2`` (test, 2,007 digits) in LIBSVM format.
        split: ``'train'`` or ``'test'``.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images.
        channels: 1 (grey) or 3 (grey replicated).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    default_image_size = 28
    default_channels = 1

    def load(self) -> Tuple[Tensor, Tensor]:
        file_name = 'usps.bz2' if self.split == 'train' else 'usps.t.bz2'
        usps = load_torchvision_dataset(
            f'USPS ({self.split} split)',
            [os.path.join(os.path.abspath(self.data_root), file_name)],
            lambda: torchvision.datasets.USPS(
                self.data_root,
                train=self.split == 'train',
                download=self.download))
        return (torch.from_numpy(usps.data).unsqueeze(1),
                torch.tensor(usps.targets))


@DATASETS.register_module()
class SVHN(TorchvisionSplitMixin, InMemoryDigitDataset):
    """Street View House Numbers, 32x32 RGB digit crops, read by torchvision.

    Args:
        data_root: Folder holding ``train_32x32.mat``, ``test_32x32.mat`` or
            ``extra_32x32.mat``.
        split: ``'train'`` (73,257), ``'test'`` (26,032) or ``'extra'``.
        download: Let torchvision download the file when missing.
        image_size: Side of the output images.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    splits = ('train', 'test', 'extra')
    default_image_size = 32
    default_channels = 3

    def load(self) -> Tuple[Tensor, Tensor]:
        svhn = load_torchvision_dataset(
            f'SVHN ({self.split} split)', [
                os.path.join(
                    os.path.abspath(self.data_root), f'{self.split}_32x32.mat')
            ], lambda: torchvision.datasets.SVHN(
                self.data_root, split=self.split, download=self.download))
        return torch.from_numpy(svhn.data), torch.from_numpy(svhn.labels)


@DATASETS.register_module()
class GTSRB(TorchvisionSplitMixin, ImageFileDataset):
    """German Traffic Sign Recognition Benchmark, 43 classes, read lazily.

    Uses torchvision's layout and its official train/test split.

    Args:
        data_root: Folder holding ``gtsrb/GTSRB/Training/<class>/*.ppm``
            (train) or ``gtsrb/GTSRB/Final_Test/Images/*.ppm`` with
            ``gtsrb/GT-final_test.csv`` (test).
        split: ``'train'`` or ``'test'``.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images; signs come in various sizes
            and are stretched to it.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    CLASSES = TRAFFIC_SIGN_CLASSES

    default_image_size = 40
    default_channels = 3

    def load_samples(self) -> List[Tuple[str, int]]:
        base_folder = os.path.join(os.path.abspath(self.data_root), 'gtsrb')
        if self.split == 'train':
            expected = [os.path.join(base_folder, 'GTSRB', 'Training')]
        else:
            expected = [
                os.path.join(base_folder, 'GTSRB', 'Final_Test', 'Images'),
                os.path.join(base_folder, 'GT-final_test.csv')
            ]
        gtsrb = load_torchvision_dataset(
            f'GTSRB ({self.split} split)', expected,
            lambda: torchvision.datasets.GTSRB(
                self.data_root, split=self.split, download=self.download))
        # torchvision keeps the (path, class) list private and offers no
        # other way to get the labels without decoding every image.
        return list(gtsrb._samples)


@DATASETS.register_module()
class SynSigns(ImageFileDataset):
    """Synthetic Signs: 100,000 rendered traffic signs of GTSRB's 43 classes.

    The set of Moiseev et al. (2013) used as the source domain of
    SynSigns->GTSRB. It has no test split. Images are read lazily.

    Layout::

        <data_root>/train_labelling.txt   one line per image:
                                          <image path> <class id> [ignored]
        <data_root>/<image path>          image paths are relative to
                                          data_root

    Args:
        data_root: The folder of the layout above.
        image_size: Side of the output images.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    CLASSES = TRAFFIC_SIGN_CLASSES
    LIST_FILE = 'train_labelling.txt'

    def __init__(self,
                 data_root: str,
                 image_size: int = 40,
                 channels: int = 3,
                 **kwargs) -> None:
        self.data_root = data_root
        super().__init__(image_size=image_size, channels=channels, **kwargs)

    def load_samples(self) -> List[Tuple[str, int]]:
        data_root = os.path.abspath(self.data_root)
        list_path = os.path.join(data_root, self.LIST_FILE)
        if not os.path.isfile(list_path):
            raise dataset_not_found(
                'SynSigns', [list_path],
                'Get the Synthetic Signs set (Moiseev et al., 2013) and '
                f'unpack it so that {self.LIST_FILE} lies in data_root, with '
                'one line "<image path> <class id> ..." per image and image '
                'paths relative to data_root.')
        samples = []
        with open(list_path) as list_file:
            for line_number, line in enumerate(list_file, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) < 2 or not fields[1].isdigit() \
                        or int(fields[1]) >= self.num_classes:
                    raise ValueError(
                        f'{list_path}, line {line_number}: expected '
                        f'"<image path> <class id in 0..'
                        f'{self.num_classes - 1}> ...", got {line.strip()!r}')
                samples.append((os.path.join(data_root,
                                             fields[0]), int(fields[1])))
        return samples
