import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from dfa_lab.datasets import SynDigits, UCIDigits


def test_syndigits_determinism():
    first = SynDigits(num_samples=60, seed=3)
    again = SynDigits(num_samples=60, seed=3)
    other_seed = SynDigits(num_samples=60, seed=4)
    test_split = SynDigits(num_samples=60, seed=3, split='test')
    assert torch.equal(first.images, again.images)
    assert torch.equal(first.labels, again.labels)
    assert not torch.equal(first.images, other_seed.images)
    assert not torch.equal(first.images, test_split.images)


def test_syndigits_labels_are_balanced():
    dataset = SynDigits(num_samples=105, image_size=16)
    counts = torch.bincount(dataset.labels, minlength=10)
    assert dataset.labels.min() >= 0 and dataset.labels.max() <= 9
    assert counts.max() - counts.min() <= 1 and counts.sum() == 105
    # Shuffled, not in label order.
    assert dataset.labels[:10].tolist() != list(range(10))


def test_syndigits_images():
    dataset = SynDigits(num_samples=50)
    item = dataset[0]
    assert item['img'].shape == (3, 32, 32) and 0 <= item['label'] <= 9
    assert item['img'].min() >= -1 and item['img'].max() <= 1
    assert len({image.numpy().tobytes() for image in dataset.images}) == 50
    grey = SynDigits(num_samples=50, image_size=28, channels=1)
    assert grey[0]['img'].shape == (1, 28, 28)
    # Stroke and background differ in luma by at least 64 before blurring.
    pixels = grey.images.flatten(1).int()
    assert (pixels.max(1).values - pixels.min(1).values).min() > 32


def test_syndigits_invalid_options():
    with pytest.raises(ValueError, match='num_samples'):
        SynDigits(num_samples=0)
    with pytest.raises(ValueError, match='split'):
        SynDigits(split='val')
    with pytest.raises(ValueError, match='channels'):
        SynDigits(channels=4)


def test_uci_digits_split():
    train = UCIDigits(image_size=8)
    test = UCIDigits(split='test', image_size=8)
    assert len(train) == 1198 and len(test) == 599
    # Together the splits hold every digit exactly once.
    digits = load_digits()
    expected = np.rint(digits.images * (255 / 16)).reshape(
        len(digits.images), -1)
    expected = np.concatenate([expected, digits.target[:, None]], axis=1)
    both = torch.cat([
        torch.cat([split.images.flatten(1), split.labels[:, None]], dim=1)
        for split in (train, test)
    ]).numpy()
    assert np.array_equal(
        np.unique(both, axis=0), np.unique(expected.astype(np.int64), axis=0))
    assert len(both) == len(expected)
    # Stratified: two thirds of every class train.
    train_counts = torch.bincount(train.labels, minlength=10)
    all_counts = np.bincount(digits.target)
    assert train_counts.tolist() == np.rint(all_counts * 2 / 3).tolist()


def test_uci_digits_is_deterministic():
    first = UCIDigits(split='test')
    again = UCIDigits(split='test')
    other = UCIDigits(split='test', split_seed=1)
    assert torch.equal(first.images, again.images)
    assert len(other) == len(first)
    assert not torch.equal(first.images, other.images)
    assert first[0]['img'].shape == (1, 28, 28)
    assert UCIDigits(image_size=32, channels=3)[0]['img'].shape == (3, 32, 32)
