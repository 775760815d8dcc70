import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image

from dfa_lab.datasets import (GTSRB, MNIST, SVHN, USPS, DatasetNotFoundError,
                              SynSigns)
from dfa_lab.registry import DATASETS


@pytest.fixture(scope='module')
def mnist_root(shared_data):
    return str(shared_data)


@pytest.fixture(scope='module')
def usps_root(shared_data):
    return str(shared_data)


@pytest.fixture(scope='module')
def usps_test(usps_root):
    return USPS(usps_root, split='test')


def test_mnist(mnist_root):
    train = MNIST(mnist_root)
    test = MNIST(mnist_root, split='test')
    assert len(train) == 10000 and len(test) == 10000
    assert train.images.dtype == torch.uint8
    image = train[0]['img']
    assert image.shape == (1, 28, 28)
    assert image.min() == -1 and image.max() == 1
    assert set(train.labels.tolist()) == set(range(10))


def test_mnist_rgb_32(mnist_root):
    dataset = MNIST(mnist_root, split='test', image_size=32, channels=3)
    image = dataset[5]['img']
    assert image.shape == (3, 32, 32)
    assert image.min() >= -1 and image.max() <= 1
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])


def test_mnist_subset(mnist_root):
    first = MNIST(mnist_root, subset_size=2000, subset_seed=0)
    again = MNIST(mnist_root, subset_size=2000, subset_seed=0)
    other = MNIST(mnist_root, subset_size=2000, subset_seed=1)
    assert len(first) == 2000
    assert torch.equal(first.labels, again.labels)
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.labels, other.labels)
    with pytest.raises(ValueError, match='20000.*10000'):
        MNIST(mnist_root, subset_size=20000)


def test_usps(usps_root, usps_test):
    assert len(usps_test) == 2007
    assert usps_test[0]['img'].shape == (1, 28, 28)
    assert len(USPS(usps_root, subset_size=1800)) == 1800


def test_usps_content_size_framing(usps_root, usps_test):
    framed = USPS(usps_root, split='test', content_size=20, mean=0.1, std=0.3)
    images = torch.stack([framed[index]['img'] for index in range(50)])
    inside = torch.zeros(28, 28, dtype=torch.bool)
    inside[4:24, 4:24] = True
    assert torch.all(framed.images[:, :, ~inside] == 0)
    background = (torch.tensor(0.0) - 0.1) / 0.3
    assert torch.all(images[:, :, ~inside] == background)
    # USPS digits reach the edge of their frame, so without framing the
    # border carries ink.
    unframed = torch.stack([usps_test[index]['img'] for index in range(50)])
    assert unframed[:, :, ~inside].max() > -1


def test_build_from_registry(usps_root):
    dataset = DATASETS.build(
        dict(
            type='USPS',
            data_root=usps_root,
            split='test',
            image_size=32,
            channels=3,
            subset_size=10))
    assert isinstance(dataset, USPS)
    assert dataset[0]['img'].shape == (3, 32, 32)


@pytest.mark.parametrize('dataset_type, expected', [
    (MNIST, 'mnist/MNIST/raw/train-images-idx3-ubyte'),
    (USPS, 'usps/usps.bz2'),
    (SVHN, 'svhn/train_32x32.mat'),
    (GTSRB, 'gtsrb/gtsrb/GTSRB/Training'),
    (SynSigns, 'synsigns/train_labelling.txt'),
])
def test_missing_data(tmp_path, dataset_type, expected):
    with pytest.raises(DatasetNotFoundError) as error:
        dataset_type(str(tmp_path))
    message = str(error.value)
    assert dataset_type.__name__ in message
    assert str(tmp_path / expected) in message
    assert isinstance(error.value, FileNotFoundError)
    if dataset_type is not SynSigns:
        assert 'download=True' in message
    if dataset_type not in (SVHN, SynSigns):
        assert error.value.__cause__ is not None
    assert list(tmp_path.iterdir()) == []


def test_missing_gtsrb_test_split(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        GTSRB(str(tmp_path), split='test')
    assert str(tmp_path / 'gtsrb' / 'gtsrb' / 'GT-final_test.csv') in str(
        error.value)


@pytest.mark.parametrize('dataset_type', [MNIST, USPS, SVHN, GTSRB])
def test_unknown_split(tmp_path, dataset_type):
    with pytest.raises(ValueError, match='split'):
        dataset_type(str(tmp_path), split='val')


def test_svhn_from_mat_file(tmp_path):
    colours = np.array([[200, 100, 50], [0, 0, 0], [255, 255, 255]],
                       dtype=np.uint8)
    images = np.broadcast_to(colours.T[None, None], (32, 32, 3, 3)).copy()
    (tmp_path / 'svhn').mkdir()
    scipy.io.savemat(
        tmp_path / 'svhn' / 'test_32x32.mat',
        dict(X=images, y=np.array([[10], [1], [9]], dtype=np.uint8)))
    rgb = SVHN(str(tmp_path), split='test')
    assert rgb.labels.tolist() == [0, 1, 9]
    assert rgb[0]['img'].shape == (3, 32, 32)
    assert rgb.images[0, :, 0, 0].tolist() == [200, 100, 50]
    grey = SVHN(str(tmp_path), split='test', image_size=28, channels=1)
    assert grey[0]['img'].shape == (1, 28, 28)
    assert int(grey.images[0, 0, 5,
                           5]) == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)


def test_gtsrb_from_folders(tmp_path):
    for class_id, size in ((0, (30, 32)), (1, (45, 41)), (1, (50, 50))):
        folder = (tmp_path / 'gtsrb' / 'gtsrb' / 'GTSRB' / 'Training' /
                  f'{class_id:05d}')
        folder.mkdir(parents=True, exist_ok=True)
        index = len(list(folder.iterdir()))
        Image.new('RGB', size, (10, 20, 30)).save(folder / f'{index}.ppm')
    dataset = GTSRB(str(tmp_path))
    assert dataset.num_classes == 43
    assert dataset.labels.tolist() == [0, 1, 1]
    item = dataset[1]
    assert item['img'].shape == (3, 40, 40) and item['label'] == 1


def write_synsigns(root, labels):
    (root / 'imgs').mkdir(parents=True)
    lines = []
    for index, label in enumerate(labels):
        Image.new('RGB', (40 + index, 40), (index * 20, 0, 255)).save(
            root / 'imgs' / f'{index:05d}.png')
        lines.append(f'imgs/{index:05d}.png {label} 0 0 40 40\n')
    (root / 'train_labelling.txt').write_text(''.join(lines) + '\n')


def test_synsigns(tmp_path):
    write_synsigns(tmp_path / 'synsigns', [3, 42, 0, 7])
    dataset = SynSigns(str(tmp_path))
    assert len(dataset) == 4 and dataset.num_classes == 43
    assert dataset.labels.tolist() == [3, 42, 0, 7]
    item = dataset[1]
    assert item['label'] == 42 and item['img'].shape == (3, 40, 40)
    assert item['img'][2].min() == 1  # the blue channel is 255 everywhere
    grey = SynSigns(str(tmp_path), image_size=32, channels=1, subset_size=2)
    assert len(grey) == 2 and grey[0]['img'].shape == (1, 32, 32)


def test_synsigns_bad_line(tmp_path):
    (tmp_path / 'synsigns').mkdir()
    (tmp_path / 'synsigns' / 'train_labelling.txt').write_text('a.png 43\n')
    with pytest.raises(ValueError, match='line 1'):
        SynSigns(str(tmp_path))
