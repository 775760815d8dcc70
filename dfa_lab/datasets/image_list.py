"""Datasets described by an image list: the object-recognition benchmarks
(Office-31, Office-Home, ImageCLEF-DA, VisDA-2017)."""
import os.path as osp
from typing import Callable, List, Optional, Tuple, Union

import torch
from PIL import Image
from torch.utils.data import Dataset

from dfa_lab.registry import DATASETS, TRANSFORMS
from .base import check_positive_int, dataset_not_found

HOW_TO_GET = (
    'Download the benchmark and its image lists ("relative/path label" '
    'per line) into <data_root>/<folder>, or point data_root, folder and '
    'list_file at them; the files in configs/_base_/datasets/ give each '
    'benchmark\'s expected layout.')


@DATASETS.register_module()
class ImageList(Dataset):
    """Images and labels listed in a text file, one ``relative/path
    label`` per line.

    The benchmark lies in ``<data_root>/<folder>`` (e.g.
    ``data/office31``); the list's paths are relative to that folder and
    labels are integers. An item is ``{'img': Tensor, 'label': int}``, like
    the digit datasets, so :class:`~dfa_lab.datasets.UDAPairDataset` pairs
    two image lists as it pairs digit sets. The image is ``(3, S, S)``, or
    ``(10, 3, S, S)`` with a ten-crop transform (``ResizeCrop(crop='ten')``).

    ``list_file`` may contain ``{domain}``, filled in with ``domain``: one
    config key then selects the domain, e.g. ``list_file='image_list/
    {domain}.txt', domain='amazon'`` reads ``image_list/amazon.txt``.

    Args:
        data_root: The folder holding every dataset.
        folder: The benchmark's folder inside ``data_root`` (``office31``,
            ``office_home``, ``image_clef``, ``visda2017`` in the configs).
        list_file: The image list, relative to the benchmark's folder (or
            absolute).
        domain: Fills ``{domain}`` in ``list_file``.
        num_classes: If given, every label must lie in ``[0, num_classes)``.
        transform: The transform from an RGB PIL image to a tensor: a
            config for the ``TRANSFORMS`` registry or a callable.

    Raises:
        DatasetNotFoundError: The benchmark's folder or the list file is
            missing.
        ValueError: A line of the list is not ``path label`` with an
            integer label in range; the message names the file and line.
    """

    def __init__(self,
                 data_root: str,
                 folder: str,
                 list_file: str = 'image_list/{domain}.txt',
                 domain: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 transform: Union[dict, Callable] = dict(type='ResizeCrop')):
        if '{domain}' in list_file and domain is None:
            raise ValueError(
                f'list_file {list_file!r} contains {{domain}}: set domain.')
        self.data_root = data_root
        self.folder = folder
        self.root = osp.join(data_root, folder)
        self.domain = domain
        self.list_file = osp.join(self.root, list_file.format(domain=domain))
        if num_classes is not None:
            check_positive_int('num_classes', num_classes)
        self.num_classes = num_classes
        self.transform = TRANSFORMS.build(transform) if isinstance(
            transform, dict) else transform
        name = f'Image list {domain or list_file}'
        for path in (self.root, self.list_file):
            if not osp.exists(path):
                raise dataset_not_found(name, [path], HOW_TO_GET)
        self.samples = self.read_list()

    def read_list(self) -> List[Tuple[str, int]]:
        """The ``(image path, label)`` pairs of the list file."""
        samples = []
        with open(self.list_file) as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                samples.append(self._parse_line(line, number))
        if not samples:
            raise ValueError(f'{self.list_file} lists no images.')
        return samples

    def _parse_line(self, line: str, number: int) -> Tuple[str, int]:
        # Paths may contain spaces (some Office-Home file names do): the
        # label is the last field.
        path, _, label = line.strip().rpartition(' ')
        where = f'{self.list_file}, line {number}'
        try:
            label = int(label)
        except ValueError:
            label = None
        if not path or label is None:
            raise ValueError(f'{where}: expected "relative/path label", got '
                             f'{line.strip()!r}.')
        if label < 0:
            raise ValueError(f'{where}: label {label} is negative.')
        if self.num_classes is not None and label >= self.num_classes:
            raise ValueError(f'{where}: label {label} is not below '
                             f'num_classes={self.num_classes}.')
        return osp.join(self.root, path), label

    @property
    def labels(self) -> torch.Tensor:
        """The label of every listed image."""
        return torch.tensor([label for _, label in self.samples],
                            dtype=torch.long)

    @property
    def metainfo(self) -> dict:
        """Meta information that mmengine hands to evaluators."""
        return dict(domain=self.domain, num_classes=self.num_classes)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        path, label = self.samples[index]
        with Image.open(path) as image:
            img = self.transform(image.convert('RGB'))
        return dict(img=img, label=label)
