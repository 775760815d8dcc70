"""Whole batches gathered by in-memory digit datasets with a ``device``:
equal to the per-sample path, in the same order, through the Runner's
dataloader build path."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch.utils.data import default_collate

from dfa_lab.datasets import GatheredBatch, HoldoutSplit, gathered_collate
from dfa_lab.datasets.collate import check_main_process, resolve_device
from dfa_lab.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = REPO / 'configs/mcd/syndigits_ucidigits.py'
BATCHES = 12


def loader_configs(device):
    """The embedded task's training and test loaders, every dataset with
    ``device``: 256 rendered source digits, so that 12 batches of 32 pass
    the end of the source several times."""
    cfg = Config.fromfile(EMBEDDED)
    train = copy.deepcopy(cfg.train_dataloader)
    train.batch_size = 32
    train.dataset.source.num_samples = 256
    test = copy.deepcopy(cfg.test_dataloader)
    test.batch_size = 100
    for dataset in (train.dataset.source, train.dataset.target, test.dataset):
        dataset.device = device
    return train, test


def batches(loader_cfg, count):
    loader = Runner.build_dataloader(loader_cfg, seed=1)
    iterator = iter(loader)
    return [next(iterator) for _ in range(count)]


def assert_same_batches(gathered, per_sample):
    assert len(gathered) == len(per_sample)
    for ours, reference in zip(gathered, per_sample):
        flat_ours, flat_reference = flatten(ours), flatten(reference)
        assert flat_ours.keys() == flat_reference.keys()
        for key, value in flat_reference.items():
            assert flat_ours[key].dtype == value.dtype, key
            assert torch.equal(flat_ours[key], value), key


def flatten(batch, prefix=''):
    out = {}
    for key, value in batch.items():
        if isinstance(value, dict):
            out.update(flatten(value, f'{prefix}{key}.'))
        else:
            out[prefix + key] = value
    return out


def test_runner_loaders_gather_what_the_per_sample_path_reads():
    gathered_train, gathered_test = loader_configs('cpu')
    per_sample_train, per_sample_test = loader_configs(None)
    gathered = batches(gathered_train, BATCHES)
    assert all(isinstance(batch, GatheredBatch) for batch in gathered)
    per_sample = batches(per_sample_train, BATCHES)
    assert not any(isinstance(batch, GatheredBatch) for batch in per_sample)
    assert_same_batches(gathered, per_sample)
    # The test set in order, its last batch shorter.
    size = len(DATASETS.build(gathered_test.dataset))
    count = -(-size // 100)
    assert_same_batches(
        batches(gathered_test, count), batches(per_sample_test, count))


def test_auto_device_is_the_cpu_without_cuda():
    expected = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert resolve_device('auto').type == expected
    assert resolve_device(None) is None
    dataset = DATASETS.build(
        dict(type='UCIDigits', split='test', device='auto'))
    assert dataset.gathers_batches and dataset.images.device.type == expected
    assert dataset.labels.device.type == 'cpu'


def test_holdout_split_gathers_its_part():
    dataset = DATASETS.build(
        dict(type='UCIDigits', split='train', device='cpu'))
    split = HoldoutSplit(dataset, holdout=0.2, part='holdout')
    assert split.gathers_batches
    indices = [5, 0, 17, 3]
    assert_same_batches([gathered_collate(split.__getitems__(indices))],
                        [default_collate([split[index] for index in indices])])


def test_default_collate_explains_gathered_batches():
    dataset = DATASETS.build(
        dict(type='UCIDigits', split='test', device='cpu'))
    with pytest.raises(KeyError, match='gathered_collate'):
        default_collate(dataset.__getitems__([0, 1]))
    # Datasets without a device give samples, which it stacks.
    plain = DATASETS.build(dict(type='UCIDigits', split='test'))
    assert not plain.gathers_batches
    assert isinstance(plain.__getitems__([0, 1]), list)


def test_worker_processes_cannot_gather_on_cuda(monkeypatch):
    import dfa_lab.datasets.collate as collate
    monkeypatch.setattr(collate, 'get_worker_info', lambda: object())
    with pytest.raises(RuntimeError, match='num_workers=0'):
        check_main_process(object(), torch.device('cuda', 0))
    check_main_process(object(), torch.device('cpu'))
