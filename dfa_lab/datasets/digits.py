"""File-backed digit and traffic-sign datasets.

Every dataset takes the folder that holds all datasets as ``data_root`` and
reads its own sub-folder of it, ``<data_root>/<folder>`` (``data/mnist``,
``data/usps``, ``data/svhn``, ``data/gtsrb``, ``data/synsigns`` with the
configs' ``data_root='data'``). MNIST, USPS and GTSRB are read with
torchvision's own classes and SVHN as torchvision reads it, so their folders
are laid out exactly as torchvision expects; SynSigns is read from its image
list.
"""
import os
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import scipy.io
import torch
import torchvision
from torch import Tensor
from torchvision.datasets.utils import download_url

from dfa_lab.registry import DATASETS
from .base import (ImageFileDataset, InMemoryDigitDataset, check_choice,
                   dataset_not_found)

DOWNLOAD_HINT = ('Place the files there, or pass download=True to let '
                 'torchvision download them there.')

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
            files = ', '.join(os.path.abspath(path) for path in expected_paths)
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
    """Constructor shared by the datasets in torchvision's layout.

    Subclasses set :attr:`splits`, the default ``folder`` inside
    ``data_root`` and the default ``image_size`` and ``channels`` of their
    data.

    Args:
        data_root: The folder holding every dataset.
        split: One of :attr:`splits`.
        folder: The dataset's folder inside ``data_root``, the ``root``
            that torchvision reads; the dataset's default when ``None``.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images; the dataset's default when
            ``None``.
        channels: 1 or 3; the dataset's default when ``None``.
        **kwargs: The other options of :class:`DigitDataset`
            (``content_size``, ``mean``, ``std``, ``subset_size``,
            ``subset_seed``).
    """

    splits: Tuple[str, ...] = ('train', 'test')
    default_folder: str
    default_image_size: int
    default_channels: int

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 folder: Optional[str] = None,
                 download: bool = False,
                 image_size: Optional[int] = None,
                 channels: Optional[int] = None,
                 **kwargs) -> None:
        self.data_root = data_root
        self.folder = folder or self.default_folder
        self.root = os.path.join(data_root, self.folder)
        self.split = check_choice('split', split, self.splits)
        self.download = download
        super().__init__(
            image_size=image_size or self.default_image_size,
            channels=channels or self.default_channels,
            **kwargs)


@DATASETS.register_module()
class MNIST(TorchvisionSplitMixin, InMemoryDigitDataset):
    """MNIST handwritten digits, 28x28 grey, read by torchvision.

    Layout: ``<data_root>/<folder>/MNIST/raw/`` holds the four uncompressed
    idx files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``).

    Args:
        data_root: The folder holding every dataset.
        split: ``'train'`` or ``'test'``.
        folder: MNIST's folder inside ``data_root``, ``'mnist'`` by default.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images.
        channels: 1 (grey) or 3 (grey replicated).
        **kwargs: The other options of :class:`DigitDataset`
            (``content_size``, ``mean``, ``std``, ``subset_size``,
            ``subset_seed``).
    """

    default_folder = 'mnist'
    default_image_size = 28
    default_channels = 1

    def load(self) -> Tuple[Tensor, Tensor]:
        raw_folder = os.path.join(os.path.abspath(self.root), 'MNIST', 'raw')
        prefix = 'train' if self.split == 'train' else 't10k'
        mnist = load_torchvision_dataset(
            f'MNIST ({self.split} split)', [
                os.path.join(raw_folder, f'{prefix}-images-idx3-ubyte'),
                os.path.join(raw_folder, f'{prefix}-labels-idx1-ubyte')
            ], lambda: torchvision.datasets.MNIST(
                self.root, train=self.split == 'train', download=self.download)
        )
        return mnist.data.unsqueeze(1), mnist.targets


@DATASETS.register_module()
class USPS(TorchvisionSplitMixin, InMemoryDigitDataset):
    """USPS handwritten digits, 16x16 grey, read by torchvision.

    USPS digits fill their frame; ``content_size=20, image_size=28`` gives
    them MNIST's framing (see :class:`DigitDataset`).

    Layout: ``<data_root>/<folder>/`` holds ``usps.bz2`` (train, 7,291
    digits) and ``usps.t.bz2`` (test, 2,007 digits) in LIBSVM format.

    Args:
        data_root: The folder holding every dataset.
        split: ``'train'`` or ``'test'``.
        folder: USPS's folder inside ``data_root``, ``'usps'`` by default.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images.
        channels: 1 (grey) or 3 (grey replicated).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    default_folder = 'usps'
    default_image_size = 28
    default_channels = 1

    def load(self) -> Tuple[Tensor, Tensor]:
        file_name = 'usps.bz2' if self.split == 'train' else 'usps.t.bz2'
        usps = load_torchvision_dataset(
            f'USPS ({self.split} split)',
            [os.path.join(os.path.abspath(self.root), file_name)],
            lambda: torchvision.datasets.USPS(
                self.root, train=self.split == 'train', download=self.download
            ))
        return (torch.from_numpy(usps.data).unsqueeze(1),
                torch.tensor(usps.targets))


@DATASETS.register_module()
class SVHN(TorchvisionSplitMixin, InMemoryDigitDataset):
    """Street View House Numbers, 32x32 RGB digit crops.

    Layout: ``<data_root>/<folder>/`` holds ``train_32x32.mat``,
    ``test_32x32.mat`` or ``extra_32x32.mat``, the official files. A file
    is read as torchvision's SVHN reads it (images ``X`` of shape
    ``(32, 32, 3, N)``, labels ``y`` with 10 for the digit 0), without
    torchvision's checksum of the official file, so that any file in this
    format reads, e.g. a subset.

    Args:
        data_root: The folder holding every dataset.
        split: ``'train'`` (73,257), ``'test'`` (26,032) or ``'extra'``.
        folder: SVHN's folder inside ``data_root``, ``'svhn'`` by default.
        download: Let torchvision download the file when missing (it checks
            the download against the official checksum).
        image_size: Side of the output images.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    splits = ('train', 'test', 'extra')
    default_folder = 'svhn'
    default_image_size = 32
    default_channels = 3

    def load(self) -> Tuple[Tensor, Tensor]:
        url, file_name, md5 = torchvision.datasets.SVHN.split_list[self.split]
        path = os.path.join(os.path.abspath(self.root), file_name)
        if self.download:
            download_url(url, self.root, file_name, md5)
        if not os.path.isfile(path):
            raise dataset_not_found(f'SVHN ({self.split} split)', [path],
                                    DOWNLOAD_HINT)
        mat = scipy.io.loadmat(path)
        images = torch.from_numpy(np.transpose(mat['X'], (3, 2, 0, 1)))
        labels = torch.from_numpy(mat['y'].astype(np.int64).reshape(-1))
        return images, labels.masked_fill(labels == 10, 0)


@DATASETS.register_module()
class GTSRB(TorchvisionSplitMixin, ImageFileDataset):
    """German Traffic Sign Recognition Benchmark, 43 classes, read lazily.

    Uses torchvision's layout and its official train/test split:
    ``<data_root>/<folder>/`` holds ``gtsrb/GTSRB/Training/<class>/*.ppm``
    (train) and ``gtsrb/GTSRB/Final_Test/Images/*.ppm`` with
    ``gtsrb/GT-final_test.csv`` (test).

    Args:
        data_root: The folder holding every dataset.
        split: ``'train'`` or ``'test'``.
        folder: GTSRB's folder inside ``data_root``, ``'gtsrb'`` by default.
        download: Let torchvision download the files when missing.
        image_size: Side of the output images; signs come in various sizes
            and are stretched to it.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    CLASSES = TRAFFIC_SIGN_CLASSES

    default_folder = 'gtsrb'
    default_image_size = 40
    default_channels = 3

    def load_samples(self) -> List[Tuple[str, int]]:
        base_folder = os.path.join(os.path.abspath(self.root), 'gtsrb')
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
                self.root, split=self.split, download=self.download))
        # torchvision keeps the (path, class) list private and offers no
        # other way to get the labels without decoding every image.
        return list(gtsrb._samples)


@DATASETS.register_module()
class SynSigns(ImageFileDataset):
    """Synthetic Signs: 100,000 rendered traffic signs of GTSRB's 43 classes.

    The set of Moiseev et al. (2013) used as the source domain of
    SynSigns->GTSRB. It has no test split. Images are read lazily.

    Layout (``<folder>`` is ``synsigns`` by default)::

        <data_root>/<folder>/train_labelling.txt   one line per image:
                                                   <image path> <class id>
                                                   [ignored]
        <data_root>/<folder>/<image path>          image paths are relative
                                                   to the folder

    Args:
        data_root: The folder holding every dataset.
        folder: SynSigns' folder inside ``data_root``, ``'synsigns'`` by
            default.
        image_size: Side of the output images.
        channels: 3 (RGB) or 1 (luma).
        **kwargs: The other options of :class:`DigitDataset`.
    """

    CLASSES = TRAFFIC_SIGN_CLASSES
    LIST_FILE = 'train_labelling.txt'

    def __init__(self,
                 data_root: str,
                 folder: str = 'synsigns',
                 image_size: int = 40,
                 channels: int = 3,
                 **kwargs) -> None:
        self.data_root = data_root
        self.folder = folder
        self.root = os.path.join(data_root, folder)
        super().__init__(image_size=image_size, channels=channels, **kwargs)

    def load_samples(self) -> List[Tuple[str, int]]:
        root = os.path.abspath(self.root)
        list_path = os.path.join(root, self.LIST_FILE)
        if not os.path.isfile(list_path):
            raise dataset_not_found(
                'SynSigns', [list_path],
                'Get the Synthetic Signs set (Moiseev et al., 2013) and '
                f'unpack it so that {self.LIST_FILE} lies in '
                f'<data_root>/{self.folder}, with one line "<image path> '
                '<class id> ..." per image and image paths relative to that '
                'folder.')
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
                samples.append((os.path.join(root, fields[0]), int(fields[1])))
        return samples
