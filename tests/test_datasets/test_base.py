import pytest
import torch

from dfa_lab.datasets import DigitDataset
from .helpers import ArrayDataset


def make_dataset(images=None, labels=None, **kwargs):
    if images is None:
        images = torch.full((6, 1, 4, 4), 255, dtype=torch.uint8)
    if labels is None:
        labels = torch.arange(len(images))
    kwargs.setdefault('image_size', 4)
    kwargs.setdefault('channels', 1)
    return ArrayDataset(images, labels, **kwargs)


def test_item_format_and_normalisation():
    images = torch.tensor([0, 51, 255], dtype=torch.uint8).view(3, 1, 1, 1)
    dataset = make_dataset(
        images.expand(3, 1, 4, 4).clone(), torch.tensor([3, 1, 4]))
    assert len(dataset) == 3 and dataset.num_classes == 10
    assert dataset.labels.dtype == torch.long
    assert dataset.metainfo['classes'][3] == '3'
    values = [float(dataset[index]['img'][0, 0, 0]) for index in range(3)]
    assert values == pytest.approx([-1.0, -0.6, 1.0])
    item = dataset[1]
    assert item['img'].dtype == torch.float32 and item['label'] == 1
    assert isinstance(item['label'], int)


def test_per_channel_statistics():
    images = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    dataset = make_dataset(
        images,
        image_size=2,
        channels=3,
        mean=(0.0, 0.5, 1.0),
        std=(1.0, 0.5, 0.25))
    assert dataset[0]['img'][:, 0,
                             0].tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_content_size_pads_with_background():
    dataset = make_dataset(image_size=8, content_size=5, mean=0.2, std=0.4)
    image = dataset[0]['img'][0]
    background = (torch.tensor(0.0) - 0.2) / 0.4
    inside = torch.zeros(8, 8, dtype=torch.bool)
    inside[1:6, 1:6] = True  # 3 pixels of padding: 1 before, 2 after
    assert torch.all(image[~inside] == background)
    assert torch.allclose(image[inside], torch.tensor((1 - 0.2) / 0.4))


def test_channel_conversion():
    rgb = torch.tensor([200, 100, 50], dtype=torch.uint8).view(1, 3, 1, 1)
    grey = make_dataset(rgb.expand(1, 3, 2, 2).clone(), image_size=2)
    luma = 0.299 * 200 + 0.587 * 100 + 0.114 * 50
    assert grey.images.shape == (1, 1, 2, 2)
    assert int(grey.images[0, 0, 0, 0]) == round(luma)
    replicated = make_dataset(channels=3)
    assert replicated.images.shape == (6, 3, 4, 4)
    assert torch.equal(replicated.images[:, 0], replicated.images[:, 2])


def test_resize_is_bilinear_to_image_size():
    images = torch.zeros((2, 1, 16, 16), dtype=torch.uint8)
    images[:, :, :, 8:] = 255
    dataset = make_dataset(images, image_size=28)
    assert dataset.images.shape == (2, 1, 28, 28)
    row = dataset.images[0, 0, 0].int()
    assert row[0] == 0 and row[-1] == 255
    assert 0 < row[13] < 255  # an interpolated edge, not a nearest copy


def test_subset():
    labels = torch.arange(100)
    images = torch.zeros((100, 1, 4, 4), dtype=torch.uint8)
    first = make_dataset(images, labels, subset_size=10, subset_seed=1)
    again = make_dataset(images, labels, subset_size=10, subset_seed=1)
    other = make_dataset(images, labels, subset_size=10, subset_seed=2)
    assert len(first) == 10 and len(set(first.labels.tolist())) == 10
    assert torch.equal(first.labels, again.labels)
    assert not torch.equal(first.labels, other.labels)
    assert torch.equal(first.labels, first.labels.sort().values)
    with pytest.raises(ValueError, match=r'subset_size \(101\).*100'):
        make_dataset(images, labels, subset_size=101)


@pytest.mark.parametrize('options, message', [
    (dict(channels=2), 'channels'),
    (dict(image_size=0), 'image_size'),
    (dict(image_size=4.5), 'image_size'),
    (dict(content_size=0), 'content_size'),
    (dict(content_size=5), 'content_size'),
    (dict(subset_size=0), 'subset_size'),
    (dict(mean=(0.5, 0.5)), 'mean'),
    (dict(std=0.0), 'std'),
])
def test_invalid_options(options, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(**options)


def test_base_class_is_abstract():
    with pytest.raises(TypeError):
        DigitDataset(image_size=28, channels=1)
