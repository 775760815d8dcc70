"""Small datasets that the tests build on."""
import torch

from dfa_lab.datasets import InMemoryDigitDataset


class ArrayDataset(InMemoryDigitDataset):
    """An in-memory dataset over given uint8 images, for the base class."""

    def __init__(self, images, labels, **kwargs):
        self.source_images = images
        self.source_labels = labels
        super().__init__(**kwargs)

    def load(self):
        return self.source_images, self.source_labels


class IndexDataset(torch.utils.data.Dataset):
    """Items whose image and label are their own index."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return dict(img=torch.tensor([float(index)]), label=index)
