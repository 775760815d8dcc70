"""ImageList datasets and the object transforms."""
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, default_collate

from dfa_lab.datasets import DatasetNotFoundError
from dfa_lab.datasets.transforms import IMAGENET_MEAN, IMAGENET_STD
from dfa_lab.registry import DATA_SAMPLERS, DATASETS, TRANSFORMS


def image_list(root, domain='amazon', crop='center', **kwargs):
    """The image list of ``domain`` in the benchmark folder ``root``."""
    transform = dict(
        type='ResizeCrop',
        resize_size=72,
        crop_size=64,
        crop=crop,
        flip=crop == 'random')
    return DATASETS.build(
        dict(
            type='ImageList',
            data_root=str(root.parent),
            folder=root.name,
            domain=domain,
            transform=transform,
            **kwargs))


def test_items_follow_the_list(office31):
    dataset = image_list(office31, num_classes=31)
    assert len(dataset) == 4 and dataset.list_file.endswith('amazon.txt')
    item = dataset[2]
    assert item['img'].shape == (3, 64, 64) and item['label'] == 2
    assert torch.equal(dataset[2]['img'], item['img'])  # centre crop
    assert image_list(office31, crop='random')[0]['img'].shape == (3, 64, 64)
    assert dataset.metainfo == dict(domain='amazon', num_classes=31)


def test_normalisation_and_ten_crops():
    # A constant colour: every pixel is (c / 255 - mean) / std.
    image = Image.new('RGB', (80, 80), (255, 0, 51))
    center = TRANSFORMS.build(
        dict(type='ResizeCrop', resize_size=72, crop_size=64))(
            image)
    expected = [(c / 255 - m) / s
                for c, m, s in zip((255, 0, 51), IMAGENET_MEAN, IMAGENET_STD)]
    assert torch.allclose(center.mean(dim=(1, 2)), torch.tensor(expected))
    # Ten crops: 4 corners and the centre, then the same of the mirror.
    gradient = Image.fromarray(
        (torch.arange(72 * 72 * 3) % 251).view(72, 72, 3).byte().numpy())
    ten = TRANSFORMS.build(
        dict(type='ResizeCrop', resize_size=72, crop_size=64, crop='ten'))(
            gradient)
    center = TRANSFORMS.build(
        dict(type='ResizeCrop', resize_size=72, crop_size=64))(
            gradient)
    assert ten.shape == (10, 3, 64, 64)
    assert torch.equal(ten[4], center)
    assert torch.equal(ten[9], center.flip(-1))
    with pytest.raises(ValueError, match='flip'):
        TRANSFORMS.build(dict(type='ResizeCrop', crop='ten', flip=True))


def test_pairs_batch_like_digit_sets(office31):
    pairs = DATASETS.build(
        dict(
            type='UDAPairDataset',
            source=image_list(office31, 'amazon', crop='random'),
            target=image_list(office31, 'webcam', crop='random')))
    sampler = DATA_SAMPLERS.build(
        dict(type='UDAPairSampler', seed=0), default_args=dict(dataset=pairs))
    batch = next(
        iter(
            DataLoader(
                pairs,
                batch_size=3,
                sampler=sampler,
                collate_fn=default_collate)))
    assert batch['source']['img'].shape == (3, 3, 64, 64)
    assert batch['target']['img'].shape == (3, 3, 64, 64)
    assert batch['source']['label'].shape == (3, )
    ten = default_collate(
        [image_list(office31, crop='ten')[i] for i in range(2)])
    assert ten['img'].shape == (2, 10, 3, 64, 64)


def test_missing_files_name_the_path(tmp_path, office31):
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path / 'none')):
        image_list(tmp_path / 'none')
    with pytest.raises(
            DatasetNotFoundError,
            match=str(office31 / 'image_list' / 'dslr.txt')):
        image_list(office31, 'dslr')
    with pytest.raises(ValueError, match='set domain'):
        image_list(office31, None)


@pytest.mark.parametrize('line,message', [
    ('amazon/0.png', 'expected "relative/path label"'),
    ('amazon/0.png cat', 'expected "relative/path label"'),
    ('amazon/0.png -1', 'label -1 is negative'),
    ('amazon/0.png 31', 'label 31 is not below num_classes=31'),
])
def test_bad_lines_name_file_and_line(office31, line, message):
    (office31 / 'image_list' /
     'bad.txt').write_text(f'amazon/1.png 0\n{line}\n')
    with pytest.raises(ValueError, match=f'bad.txt, line 2: {message}'):
        image_list(office31, 'bad', num_classes=31)


def test_paths_may_contain_spaces_and_lists_must_not_be_empty(office31):
    (office31 / 'amazon' / '000_0.jpg').rename(office31 / 'amazon' / 'a b.png')
    (office31 / 'image_list' / 'spaces.txt').write_text('amazon/a b.png 7\n\n')
    dataset = image_list(office31, 'spaces')
    assert dataset.samples == [(str(office31 / 'amazon' / 'a b.png'), 7)]
    assert dataset[0]['label'] == 7
    (office31 / 'image_list' / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='lists no images'):
        image_list(office31, 'empty')
