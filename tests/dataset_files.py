"""Tiny datasets written in each dataset's real file format.

:func:`write_data_root` lays them out under one folder exactly as the
configs expect (``<data_root>/mnist``, ``usps``, ``svhn``, ``gtsrb``,
``synsigns``, ``office31``, ``office_home``, ``image_clef``,
``visda2017``), so that every config builds its datasets, and trains, with
``--data-root`` pointing there. The sizes are the smallest the configs
accept: the MNIST<->USPS protocol draws 2,000 MNIST and 1,800 USPS training
digits.

Every image carries its label as a bright square at a place of its own on
a darker, noisy background, so that a few iterations can learn something.
"""
import bz2
import struct
from pathlib import Path
from typing import Dict, Sequence

import numpy as np
import scipy.io
from PIL import Image

#: Samples of each split: (train, test).
SIZES = dict(
    mnist=(2100, 120), usps=(1900, 110), svhn=(150, 60), gtsrb=(86, 43))
SYNSIGNS_SIZE = 129
#: Domains of each object benchmark: its folder, list of each domain, and
#: number of classes.
IMAGE_LISTS = {
    'office31': ('image_list/{}.txt', ('amazon', 'dslr', 'webcam'), 31),
    'office_home':
    ('image_list/{}.txt', ('Art', 'Clipart', 'Product', 'Real_World'), 65),
    'image_clef': ('list/{}List.txt', ('i', 'p', 'c'), 12),
    'visda2017': ('image_list/{}.txt', ('train', 'validation'), 12),
}
IMAGES_PER_DOMAIN = 6


def labelled_images(labels: Sequence[int], size: int, num_classes: int,
                    seed: int) -> np.ndarray:
    """uint8 images ``(N, size, size)`` with values 0 to 255: noise below
    64, and a square of 255 whose place depends on the label."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 64, (len(labels), size, size), dtype=np.uint8)
    side = max(size // 4, 2)
    for image, label in zip(images, labels):
        offset = (size - side) * label // max(num_classes - 1, 1)
        image[offset:offset + side, offset:offset + side] = 255
        image[0, 0] = 0
    return images


def cycle_labels(count: int, num_classes: int) -> np.ndarray:
    """``count`` labels going through every class in turn."""
    return np.arange(count) % num_classes


def write_idx(path: Path, array: np.ndarray) -> None:
    """A uint8 array in the idx format of MNIST's files (big-endian
    header: magic ``0x08`` ``<dims>``, then each dimension)."""
    header = struct.pack('>I', 0x0800 + array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(folder: Path, sizes=SIZES['mnist']) -> Dict[str, np.ndarray]:
    """``folder/MNIST/raw/`` with the four uncompressed idx files that
    torchvision's MNIST reads. Returns the labels of each split."""
    raw = folder / 'MNIST' / 'raw'
    raw.mkdir(parents=True)
    labels = {}
    splits = (('train', 'train'), ('test', 't10k'))
    for (split, prefix), size, seed in zip(splits, sizes, (1, 2)):
        labels[split] = cycle_labels(size, 10)
        write_idx(raw / f'{prefix}-images-idx3-ubyte',
                  labelled_images(labels[split], 28, 10, seed))
        write_idx(raw / f'{prefix}-labels-idx1-ubyte', labels[split])
    return labels


def write_usps(folder: Path, sizes=SIZES['usps']) -> Dict[str, np.ndarray]:
    """``folder/usps.bz2`` and ``folder/usps.t.bz2`` in LIBSVM format, as
    torchvision's USPS reads them: ``<label + 1> 1:<pixel> ... 256:<pixel>``
    per line, pixels in [-1, 1]. The digit square reaches the frame's edge,
    as USPS digits do. Returns the labels of each split."""
    folder.mkdir(parents=True)
    labels = {}
    splits = (('train', 'usps.bz2'), ('test', 'usps.t.bz2'))
    for (split, name), size, seed in zip(splits, sizes, (3, 4)):
        labels[split] = cycle_labels(size, 10)
        images = labelled_images(labels[split], 16, 10, seed)
        lines = []
        for label, image in zip(labels[split], images):
            pixels = image.reshape(-1) / 127.5 - 1
            values = ' '.join(f'{i}:{value:.4f}'
                              for i, value in enumerate(pixels, start=1))
            lines.append(f'{label + 1} {values}\n')
        with bz2.open(folder / name, 'wt') as file:
            file.writelines(lines)
    return labels


def write_svhn(folder: Path, sizes=SIZES['svhn']) -> Dict[str, np.ndarray]:
    """``folder/{train,test}_32x32.mat`` as in the official release: RGB
    images ``X`` of shape ``(32, 32, 3, N)`` and labels ``y`` ``(N, 1)``
    with 10 for the digit 0. Returns the labels (0 to 9) of each split."""
    folder.mkdir(parents=True)
    labels = {}
    for split, size, seed in zip(('train', 'test'), sizes, (5, 6)):
        labels[split] = cycle_labels(size, 10)
        grey = labelled_images(labels[split], 32, 10, seed)
        rgb = np.stack([grey, grey // 2, 255 - grey], axis=-1)
        y = np.where(labels[split] == 0, 10, labels[split])
        scipy.io.savemat(
            folder / f'{split}_32x32.mat',
            dict(
                X=rgb.transpose(1, 2, 3, 0),
                y=y.reshape(-1, 1).astype(np.uint8)))
    return labels


def save_rgb(path: Path, grey: np.ndarray, size=None) -> None:
    """Save a grey uint8 image as an RGB file, resized to ``size``."""
    image = Image.fromarray(grey).convert('RGB')
    if size is not None:
        image = image.resize(size)
    image.save(path)


def write_gtsrb(folder: Path, sizes=SIZES['gtsrb']) -> Dict[str, np.ndarray]:
    """torchvision's GTSRB layout under ``folder``: ``gtsrb/GTSRB/Training/
    <class:05d>/*.ppm`` for all 43 classes, ``gtsrb/GTSRB/Final_Test/
    Images/*.ppm`` and ``gtsrb/GT-final_test.csv``. Signs come in several
    sizes. Returns the labels of each split, in the order torchvision lists
    them."""
    base = folder / 'gtsrb'
    labels = dict(
        train=np.sort(cycle_labels(sizes[0], 43)),
        test=cycle_labels(sizes[1], 43))
    train = labelled_images(labels['train'], 40, 43, 7)
    for index, (label, image) in enumerate(zip(labels['train'], train)):
        class_folder = base / 'GTSRB' / 'Training' / f'{label:05d}'
        class_folder.mkdir(parents=True, exist_ok=True)
        save_rgb(class_folder / f'00000_{index:05d}.ppm', image,
                 (30 + index % 20, 32 + index % 15))
    images = base / 'GTSRB' / 'Final_Test' / 'Images'
    images.mkdir(parents=True)
    rows = ['Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId']
    test = labelled_images(labels['test'], 40, 43, 8)
    for index, (label, image) in enumerate(zip(labels['test'], test)):
        save_rgb(images / f'{index:05d}.ppm', image)
        rows.append(f'{index:05d}.ppm;40;40;5;5;35;35;{label}')
    (base / 'GT-final_test.csv').write_text('\n'.join(rows) + '\n')
    return labels


def write_synsigns(folder: Path, labels: Sequence[int]) -> None:
    """``folder/train_labelling.txt`` with one ``<image path> <class id>
    <box>`` line per image, the images in ``folder/imgs/``."""
    (folder / 'imgs').mkdir(parents=True)
    lines = []
    images = labelled_images(labels, 40, 43, 9)
    for index, (label, image) in enumerate(zip(labels, images)):
        save_rgb(folder / 'imgs' / f'{index:05d}.png', image,
                 (40 + index % 3, 40))
        lines.append(f'imgs/{index:05d}.png {label} 0 0 40 40\n')
    (folder / 'train_labelling.txt').write_text(''.join(lines))


def write_image_list(folder: Path,
                     list_file: str,
                     domain: str,
                     labels: Sequence[int],
                     size: int = 48) -> Path:
    """JPEG images under ``folder/<domain>/`` and their list ``folder/
    <list_file>`` with one ``relative/path label`` line each, laid out like
    the object benchmarks' releases. Returns the list's path."""
    (folder / domain).mkdir(parents=True)
    grey = labelled_images(labels, size, max(labels) + 1, len(domain))
    lines = []
    for index, (label, image) in enumerate(zip(labels, grey)):
        name = f'{domain}/{index:03d}_{label}.jpg'
        save_rgb(folder / name, image)
        lines.append(f'{name} {label}\n')
    path = folder / list_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(lines))
    return path


def write_data_root(root: Path) -> Path:
    """Every file-backed dataset of the configs, under ``root``."""
    write_mnist(root / 'mnist')
    write_usps(root / 'usps')
    write_svhn(root / 'svhn')
    write_gtsrb(root / 'gtsrb')
    write_synsigns(root / 'synsigns', cycle_labels(SYNSIGNS_SIZE, 43))
    for folder, (list_file, domains, classes) in IMAGE_LISTS.items():
        for domain in domains:
            labels = cycle_labels(IMAGES_PER_DOMAIN, classes).tolist()
            write_image_list(root / folder, list_file.format(domain), domain,
                             labels)
    return root
