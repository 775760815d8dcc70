"""Pairing of a labelled source domain with an unlabelled target domain."""
import itertools
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Dataset, Sampler

from dfa_lab.registry import DATA_SAMPLERS, DATASETS
from .base import build_dataset, check_positive_int, describe_dataset
from .collate import GatheredBatch


def check_domains_not_empty(dataset: Dataset) -> None:
    """Refuse a pair of domains of which one holds no sample: no pair can be
    drawn from it (a sampler would search for one forever)."""
    for domain in ('source', 'target'):
        part = getattr(dataset, domain)
        if len(part) == 0:
            raise ValueError(
                f'The {domain} dataset of {type(dataset).__name__} '
                f'({describe_dataset(part)}) is empty: training pairs a '
                'sample of each domain, so both need at least one.')


@DATASETS.register_module()
class UDAPairDataset(Dataset):
    """A source and a target dataset read together, one pair per item.

    An item is ``{'source': {'img': ..., 'label': ...}, 'target': {'img':
    ...}}``. The target's labels are dropped so that training cannot use
    them; evaluate on the target dataset itself.

    The index may be

    - a pair ``(source_index, target_index)``, as :class:`UDAPairSampler`
      yields: each domain is then read in its own random order, drawn anew
      for every pass over it;
    - a plain int, as mmengine's ``DefaultSampler`` and ``InfiniteSampler``
      yield: it reads source sample ``index % len(source)`` and the target
      sample at position ``index % len(target)`` of a fixed permutation of
      the target (seeded with ``pairing_seed``). Which target sample goes
      with which source sample is then the same in every epoch; only the
      order of the pairs changes.

    Args:
        source: The labelled source dataset, or its config for ``DATASETS``.
        target: The unlabelled target dataset, or its config.
        epoch_length: The dataset's length. mmengine's samplers draw
            ``len(dataset)`` items per epoch, so this sets how many pairs an
            epoch holds, and thus what "epoch" means in logs, checkpoints
            and epoch-based schedules. Defaults to the larger domain's size.
        pairing_seed: Seed of the target permutation used with int indices.
    """

    def __init__(self,
                 source: Union[dict, Dataset],
                 target: Union[dict, Dataset],
                 epoch_length: Optional[int] = None,
                 pairing_seed: int = 0) -> None:
        self.source = build_dataset(source)
        self.target = build_dataset(target)
        check_domains_not_empty(self)
        if epoch_length is not None:
            check_positive_int('epoch_length', epoch_length)
        self.epoch_length = epoch_length
        generator = torch.Generator().manual_seed(pairing_seed)
        self.target_pairing = torch.randperm(
            len(self.target), generator=generator)

    @property
    def metainfo(self) -> dict:
        """The source's meta information; both domains share its classes."""
        return dict(getattr(self.source, 'metainfo', {}))

    def __len__(self) -> int:
        if self.epoch_length is not None:
            return self.epoch_length
        return max(len(self.source), len(self.target))

    def pair(self, index: Union[int, Sequence[int]]) -> Tuple[int, int]:
        """The ``(source index, target index)`` that ``index`` reads."""
        if isinstance(index, (tuple, list)):
            source_index, target_index = index
            return source_index, target_index
        return (index % len(self.source),
                int(self.target_pairing[index % len(self.target)]))

    def __getitem__(self, index: Union[int, Sequence[int]]) -> dict:
        source_index, target_index = self.pair(index)
        source_item = self.source[source_index]
        target_item = self.target[target_index]
        return dict(
            source=dict(img=source_item['img'], label=source_item['label']),
            target=dict(img=target_item['img']))

    @property
    def gathers_batches(self) -> bool:
        """Whether both domains gather whole batches (in-memory digit sets
        with a ``device``), and so does :meth:`__getitems__`."""
        return all(
            getattr(domain, 'gathers_batches', False)
            for domain in (self.source, self.target))

    def __getitems__(
        self, indices: Sequence[Union[int, Sequence[int]]]
    ) -> Union[GatheredBatch, List[dict]]:
        """The items at ``indices``: when both domains gather batches, one
        :class:`GatheredBatch` holding each domain's batch, which equals
        what ``default_collate`` makes of the items; otherwise the list of
        items."""
        if not self.gathers_batches:
            return [self[index] for index in indices]
        source_indices, target_indices = zip(*map(self.pair, indices))
        source = self.source.__getitems__(source_indices)
        target = self.target.__getitems__(target_indices)
        return GatheredBatch(
            source=dict(img=source['img'], label=source['label']),
            target=dict(img=target['img']))


@DATA_SAMPLERS.register_module()
class UDAPairSampler(Sampler):
    """An infinite sampler of ``(source_index, target_index)`` pairs.

    Each domain has its own endless stream of fresh random permutations of
    its indices, so every source sample is drawn once per pass over the
    source and every target sample once per pass over the target, however
    the two sizes compare. The streams are seeded independently from
    ``seed``.

    As with mmengine's ``InfiniteSampler``, rank ``r`` of ``w`` processes
    takes positions ``r, r + w, r + 2w, ...`` of the joint stream, so the
    ranks read disjoint pairs; and the stream is created once, so a new
    iterator continues where the last one stopped.

    Args:
        dataset: A dataset with ``source`` and ``target`` datasets, such as
            :class:`UDAPairDataset`.
        shuffle: Permute each pass; if False, read both domains in order.
        seed: Seed of the permutations, the same on every rank. None draws
            one and shares it across ranks.
    """

    def __init__(self,
                 dataset: Dataset,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not (hasattr(dataset, 'source') and hasattr(dataset, 'target')):
            raise TypeError(
                'UDAPairSampler needs a dataset with `source` and `target` '
                f'datasets, such as UDAPairDataset; got '
                f'{type(dataset).__name__}')
        check_domains_not_empty(dataset)
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()
        self.pairs = self._pairs_of_rank()

    def _index_stream(self, size: int, seed: int) -> Iterator[int]:
        generator = torch.Generator().manual_seed(seed)
        while True:
            if self.shuffle:
                yield from torch.randperm(size, generator=generator).tolist()
            else:
                yield from range(size)

    def _pairs_of_rank(self) -> Iterator[Tuple[int, int]]:
        # Spawned seeds keep the target stream of one seed from equalling
        # the source stream of another, as ``seed`` and ``seed + 1`` would.
        source_seed, target_seed = (
            int(child.generate_state(1)[0])
            for child in np.random.SeedSequence(self.seed).spawn(2))
        pairs = zip(
            self._index_stream(len(self.dataset.source), source_seed),
            self._index_stream(len(self.dataset.target), target_seed))
        yield from itertools.islice(pairs, self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        # The stream itself, not a generator delegating to it: closing such
        # a generator (when a DataLoader iterator is dropped) would close the
        # stream too.
        return self.pairs

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Do nothing: the streams never end, so there are no epochs to
        reseed."""
