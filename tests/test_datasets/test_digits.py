"""The file-backed digit and sign datasets on files in their real formats
(tests/dataset_files.py)."""
import numpy as np
import pytest
import scipy.io
import torch
from dataset_files import SIZES, SYNSIGNS_SIZE, cycle_labels, labelled_images

from dfa_lab.datasets import (GTSRB, MNIST, SVHN, USPS, DatasetNotFoundError,
                              SynSigns)
from dfa_lab.registry import DATASETS


@pytest.fixture(scope='module')
def usps_test(data_root):
    return USPS(str(data_root), split='test')


def test_mnist(data_root):
    train = MNIST(str(data_root))
    test = MNIST(str(data_root), split='test')
    assert (len(train), len(test)) == SIZES['mnist']
    assert train.images.dtype == torch.uint8
    assert train.labels.tolist()[:12] == [*range(10), 0, 1]
    image = train[0]['img']
    assert image.shape == (1, 28, 28)
    assert image.min() == -1 and image.max() == 1
    # The pixels as written, scaled to [-1, 1].
    expected = labelled_images(
        cycle_labels(SIZES['mnist'][0], 10), 28, 10, seed=1)[3]
    assert torch.equal(train.images[3, 0], torch.from_numpy(expected))
    assert torch.allclose(train[3]['img'][0],
                          torch.from_numpy(expected).float() / 127.5 - 1)


def test_mnist_rgb_32(data_root):
    dataset = MNIST(str(data_root), split='test', image_size=32, channels=3)
    image = dataset[5]['img']
    assert image.shape == (3, 32, 32)
    assert image.min() >= -1 and image.max() <= 1
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])


def test_mnist_subset(data_root):
    root = str(data_root)
    first = MNIST(root, subset_size=2000, subset_seed=0)
    again = MNIST(root, subset_size=2000, subset_seed=0)
    other = MNIST(root, subset_size=2000, subset_seed=1)
    assert len(first) == 2000
    assert torch.equal(first.labels, again.labels)
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.labels, other.labels)
    # The draw is the seeded permutation's first 2,000, in file order.
    permutation = torch.randperm(
        SIZES['mnist'][0], generator=torch.Generator().manual_seed(0))
    kept = permutation[:2000].sort().values
    assert torch.equal(first.labels, kept % 10)
    with pytest.raises(ValueError, match='20000.*2100'):
        MNIST(root, subset_size=20000)


def test_usps(data_root, usps_test):
    assert len(usps_test) == SIZES['usps'][1]
    assert usps_test[0]['img'].shape == (1, 28, 28)
    assert usps_test.labels.tolist()[:11] == [*range(10), 0]
    # LIBSVM pixels in [-1, 1] become 0..255.
    expected = labelled_images(
        cycle_labels(SIZES['usps'][1], 10), 16, 10, seed=4)[7]
    native = USPS(str(data_root), split='test', image_size=16)
    assert (native.images[7, 0].int() -
            torch.from_numpy(expected).int()).abs().max() <= 1
    assert len(USPS(str(data_root), subset_size=1800)) == 1800


def test_usps_content_size_framing(data_root, usps_test):
    framed = USPS(
        str(data_root), split='test', content_size=20, mean=0.1, std=0.3)
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


def test_build_from_registry(data_root):
    dataset = DATASETS.build(
        dict(
            type='USPS',
            data_root=str(data_root),
            split='test',
            image_size=32,
            channels=3,
            subset_size=10))
    assert isinstance(dataset, USPS)
    assert dataset[0]['img'].shape == (3, 32, 32)


def test_folder_inside_data_root(data_root, tmp_path):
    # Each dataset reads <data_root>/<folder>; folder names another one.
    (tmp_path / 'my_mnist').symlink_to(data_root / 'mnist')
    moved = MNIST(str(tmp_path), split='test', folder='my_mnist')
    assert moved.root == str(tmp_path / 'my_mnist')
    assert torch.equal(moved.images,
                       MNIST(str(data_root), split='test').images)


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
    if dataset_type in (MNIST, USPS, GTSRB):
        # torchvision's own error is kept as the cause.
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


def test_svhn(data_root):
    train = SVHN(str(data_root))
    test = SVHN(str(data_root), split='test')
    assert (len(train), len(test)) == SIZES['svhn']
    # Label 10 in the file is the digit 0.
    assert train.labels.tolist()[:11] == [*range(10), 0]
    raw = scipy.io.loadmat(data_root / 'svhn' / 'train_32x32.mat')
    assert raw['y'][0, 0] == 10
    assert torch.equal(train.images[4],
                       torch.from_numpy(raw['X'][..., 4]).permute(2, 0, 1))
    assert train[0]['img'].shape == (3, 32, 32)


def test_svhn_grey_from_mat_file(tmp_path):
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


def test_gtsrb(data_root):
    train = GTSRB(str(data_root))
    test = GTSRB(str(data_root), split='test')
    assert (len(train), len(test)) == SIZES['gtsrb']
    assert train.num_classes == 43
    # Training labels come from the class folders, test labels from the
    # CSV file.
    assert train.labels.tolist() == sorted(list(range(43)) * 2)
    assert test.labels.tolist() == list(range(43))
    # Signs of several sizes are stretched to 40x40.
    item = train[5]
    assert item['img'].shape == (3, 40, 40) and item['label'] == 2
    assert GTSRB(
        str(data_root), image_size=32,
        channels=1)[0]['img'].shape == (1, 32, 32)


def test_synsigns(data_root):
    dataset = SynSigns(str(data_root))
    assert len(dataset) == SYNSIGNS_SIZE and dataset.num_classes == 43
    assert dataset.labels.tolist()[:44] == [*range(43), 0]
    item = dataset[42]
    assert item['label'] == 42 and item['img'].shape == (3, 40, 40)
    grey = SynSigns(str(data_root), image_size=32, channels=1, subset_size=2)
    assert len(grey) == 2 and grey[0]['img'].shape == (1, 32, 32)


def test_synsigns_bad_line(tmp_path):
    (tmp_path / 'synsigns').mkdir()
    (tmp_path / 'synsigns' / 'train_labelling.txt').write_text('a.png 43\n')
    with pytest.raises(ValueError, match='line 1'):
        SynSigns(str(tmp_path))
