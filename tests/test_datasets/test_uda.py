import itertools

import pytest
import torch
from torch.utils.data import DataLoader, default_collate

import dfa_lab.datasets.uda as uda
from dfa_lab.datasets import UCIDigits, UDAPairDataset, UDAPairSampler
from dfa_lab.registry import DATA_SAMPLERS, DATASETS, FUNCTIONS
from .helpers import IndexDataset


def pair_dataset(source_size=7, target_size=5, **kwargs):
    return UDAPairDataset(
        IndexDataset(source_size), IndexDataset(target_size), **kwargs)


def first_pairs(sampler, count):
    return list(itertools.islice(iter(sampler), count))


def test_pair_index():
    dataset = pair_dataset()
    item = dataset[(3, 4)]
    assert item['source']['img'].item() == 3 and item['source']['label'] == 3
    assert item['target']['img'].item() == 4
    assert 'label' not in item['target']


def test_int_index():
    dataset = pair_dataset()
    assert len(dataset) == 7
    items = [dataset[index] for index in range(10)]
    assert [item['source']['label']
            for item in items] == [index % 7 for index in range(10)]
    targets = [int(item['target']['img']) for item in items]
    assert sorted(targets[:5]) == list(range(5))
    assert targets[5:] == targets[:5]
    assert targets[:5] != list(range(5))  # a seeded permutation
    assert all('label' not in item['target'] for item in items)
    same = pair_dataset()
    other = pair_dataset(pairing_seed=1)
    assert [int(same[index]['target']['img'])
            for index in range(5)] == targets[:5]
    assert [int(other[index]['target']['img'])
            for index in range(5)] != targets[:5]


def test_length_and_configs():
    assert len(pair_dataset(3, 9)) == 9
    assert len(pair_dataset(epoch_length=100)) == 100
    with pytest.raises(ValueError, match='epoch_length'):
        pair_dataset(epoch_length=0)
    dataset = DATASETS.build(
        dict(
            type='UDAPairDataset',
            source=dict(type='UCIDigits', split='train'),
            target=dict(
                type='SynDigits', num_samples=20, channels=1, image_size=28)))
    assert isinstance(dataset.source, UCIDigits)
    assert dataset.metainfo['classes'] == tuple('0123456789')


def test_sampler_streams_are_permutations():
    sampler = UDAPairSampler(pair_dataset(7, 5), seed=0)
    pairs = first_pairs(sampler, 35)
    sources = [source for source, _ in pairs]
    targets = [target for _, target in pairs]
    source_blocks = [sources[start:start + 7] for start in range(0, 35, 7)]
    target_blocks = [targets[start:start + 5] for start in range(0, 35, 5)]
    assert all(sorted(block) == list(range(7)) for block in source_blocks)
    assert all(sorted(block) == list(range(5)) for block in target_blocks)
    # Each pass is a fresh permutation.
    assert len({tuple(block) for block in source_blocks}) > 1
    assert len({tuple(block) for block in target_blocks}) > 1
    assert len(sampler) == 7
    sampler.set_epoch(3)


def test_sampler_domains_are_independent():
    pairs = first_pairs(UDAPairSampler(pair_dataset(50, 50), seed=0), 50)
    assert [source for source, _ in pairs] != [target for _, target in pairs]


def test_sampler_seed():
    dataset = pair_dataset()
    stream = first_pairs(UDAPairSampler(dataset, seed=5), 40)
    assert first_pairs(UDAPairSampler(dataset, seed=5), 40) == stream
    assert first_pairs(UDAPairSampler(dataset, seed=6), 40) != stream
    assert len(first_pairs(UDAPairSampler(dataset), 3)) == 3


def test_sampler_continues_across_iterators():
    dataset = pair_dataset()
    sampler = UDAPairSampler(dataset, seed=0)
    head = first_pairs(sampler, 10)
    tail = first_pairs(sampler, 10)
    assert head + tail == first_pairs(UDAPairSampler(dataset, seed=0), 20)


def test_sampler_without_shuffle():
    pairs = first_pairs(
        UDAPairSampler(pair_dataset(3, 2), shuffle=False, seed=0), 6)
    assert pairs == [(0, 0), (1, 1), (2, 0), (0, 1), (1, 0), (2, 1)]


def test_sampler_ranks(monkeypatch):
    dataset = pair_dataset(7, 5)
    joint = first_pairs(UDAPairSampler(dataset, seed=0), 40)
    streams = []
    for rank in range(2):
        monkeypatch.setattr(uda, 'get_dist_info', lambda rank=rank: (rank, 2))
        streams.append(first_pairs(UDAPairSampler(dataset, seed=0), 20))
    assert streams[0] == joint[0::2] and streams[1] == joint[1::2]


def test_sampler_needs_pair_dataset():
    with pytest.raises(TypeError, match='source'):
        UDAPairSampler(IndexDataset(4), seed=0)


@pytest.mark.parametrize('domain', ['source', 'target'])
def test_an_empty_domain_is_refused(domain):
    sizes = dict(dict(source_size=7, target_size=5), **{f'{domain}_size': 0})
    message = f'The {domain} dataset of UDAPairDataset \\(IndexDataset\\) ' \
        'is empty'
    with pytest.raises(ValueError, match=message):
        pair_dataset(**sizes)
    # A sampler would search for a pair forever.
    pairs = pair_dataset()
    setattr(pairs, domain, IndexDataset(0))
    with pytest.raises(ValueError, match=f'The {domain} dataset'):
        UDAPairSampler(pairs, seed=0)


@pytest.mark.parametrize(
    'collate_fn',
    [default_collate, FUNCTIONS.get('default_collate')])
def test_dataloader(collate_fn):
    dataset = UDAPairDataset(
        dict(type='UCIDigits', split='test'),
        dict(type='SynDigits', num_samples=30, channels=1, image_size=28))
    sampler = DATA_SAMPLERS.build(
        dict(type='UDAPairSampler', seed=0),
        default_args=dict(dataset=dataset))
    loader = DataLoader(
        dataset, batch_size=8, sampler=sampler, collate_fn=collate_fn)
    batch = next(iter(loader))
    assert batch['source']['img'].shape == (8, 1, 28, 28)
    assert batch['source']['label'].shape == (8, )
    assert batch['source']['label'].dtype == torch.long
    assert batch['target']['img'].shape == (8, 1, 28, 28)
    assert set(batch['target']) == {'img'}
