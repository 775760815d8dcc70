"""MCD and DFA-MCD as a plain PyTorch loop, the reference that
``tools/speed_benchmark.py`` times dfa_lab's Runner against."""
import copy
from typing import List, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.runner import set_random_seed
from torch import Tensor
from torch.utils.data import DataLoader

from dfa_lab.datasets import gathered_collate
from dfa_lab.models.adapters import MCD
from dfa_lab.models.losses import classifier_discrepancy, cross_entropy
from dfa_lab.registry import DATA_SAMPLERS, DATASETS, MODELS
from dfa_lab.structures import EncoderOutput


class PlainMCDLoop:
    """MCD's Algorithm 1, and DFA-MCD's with a DFA aligner, as a plain
    PyTorch loop over the networks of an :class:`~dfa_lab.models.MCD`.

    It does what ``MCD.train_step`` does, in the same order (so that dropout
    masks and prior samples are drawn alike), with ``torch.optim``
    optimizers and the loss functions of :mod:`dfa_lab.models.losses`
    instead of optimizer wrappers and loss modules. It calls the adapter's
    networks (backbone, classifier set, aligner), so a compiled adapter
    (:meth:`~dfa_lab.models.adapters.BaseAdapter.compile`) runs compiled
    here too.

    Args:
        model: The adapter whose networks are trained: its ``backbone``,
            its ``classifiers`` ``F1`` and ``F2`` and its ``aligner`` (or
            None).
        optim_wrapper: The config's ``optim_wrapper``: the ``optimizer`` of
            its ``generator`` group updates the backbone and the aligner,
            that of its ``classifiers`` group both classifiers.
    """

    def __init__(self, model: MCD, optim_wrapper: dict):
        if not isinstance(model, MCD):
            raise TypeError('The plain loop reproduces MCD (and DFA-MCD); '
                            f'got {type(model).__name__}.')
        self.backbone = model.backbone
        self.classifier_set = model.classifiers
        self.aligner = model.aligner
        self.num_k = model.num_k
        generator = list(self.backbone.parameters())
        if self.aligner is not None:
            generator += list(self.aligner.parameters())
        self.generator = _plain_optimizer(optim_wrapper, 'generator',
                                          generator)
        self.classifiers = _plain_optimizer(
            optim_wrapper, 'classifiers',
            list(self.classifier_set.parameters()))
        self.device = next(self.backbone.parameters()).device

    def _aligner_terms(self, loss: Tensor, encoded: EncoderOutput,
                       domain: str) -> Tensor:
        # Added one by one, as mmengine's parse_losses sums, so that both
        # variants round alike; logged diagnostics are not losses.
        if self.aligner is not None:
            for key, value in self.aligner(encoded, domain).items():
                if 'loss' in key:
                    loss = loss + value
        return loss

    def _classification_loss(self, source: EncoderOutput,
                             labels: Tensor) -> Tensor:
        logits = self.classifier_set(source.flat)
        return cross_entropy(logits['F1'], labels) + cross_entropy(
            logits['F2'], labels)

    def _discrepancy(self, target: EncoderOutput) -> Tensor:
        logits = self.classifier_set(target.flat)
        return classifier_discrepancy(logits['F1'], logits['F2'])

    def _update(self, loss: Tensor,
                step: Sequence[torch.optim.Optimizer]) -> None:
        loss.backward()
        for optimizer in step:
            optimizer.step()
        # Both, as the adapter does, so that no gradient reaches a later step.
        self.generator.zero_grad()
        self.classifiers.zero_grad()

    def iteration(self, batch: dict) -> Tuple[Tensor, Tensor, Tensor]:
        """One training iteration on a batch of ``UDAPairDataset`` pairs.

        Returns:
            tuple[Tensor, Tensor, Tensor]: The total loss of step 1, of
            step 2, and of step 3 averaged over its ``num_k`` updates (what
            ``MCD.train_step`` logs as ``step1/loss``, ``step2/loss``,
            ``step3/loss``), detached.
        """
        x_s = batch['source']['img'].to(self.device)
        y_s = batch['source']['label'].to(self.device)
        x_t = batch['target']['img'].to(self.device)

        # Step 1: G, F1, F2 on the source.
        source = self.backbone(x_s)
        loss_1 = self._aligner_terms(
            self._classification_loss(source, y_s), source, 'source')
        self._update(loss_1, step=(self.generator, self.classifiers))

        # Step 2: G fixed; F1, F2 accurate on the source, discrepant on the
        # target (no aligner term: with G fixed it would move nothing).
        with torch.no_grad():
            source = self.backbone(x_s)
            target = self.backbone(x_t)
        loss_2 = self._classification_loss(source,
                                           y_s) - self._discrepancy(target)
        self._update(loss_2, step=(self.classifiers, ))

        # Step 3: F1, F2 fixed; num_k generator updates on the target.
        loss_3 = 0
        for _ in range(self.num_k):
            target = self.backbone(x_t)
            loss = self._aligner_terms(
                self._discrepancy(target), target, 'target')
            self._update(loss, step=(self.generator, ))
            loss_3 = loss_3 + loss.detach()
        return loss_1.detach(), loss_2.detach(), loss_3 / self.num_k


def _plain_optimizer(optim_wrapper: dict, group: str,
                     params: List[Tensor]) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer of one group of the config's
    ``MultiOptimWrapperConstructor`` optimizers."""
    group_cfg = dict(optim_wrapper.get(group) or {})
    extra = set(group_cfg) - {'type', 'modules', 'optimizer'}
    if 'optimizer' not in group_cfg or extra or group_cfg.get(
            'type', 'OptimWrapper') != 'OptimWrapper':
        raise ValueError(
            f'The plain loop reproduces an optimizer group {group!r} made of '
            "a plain OptimWrapper and its 'optimizer'; got "
            f'{optim_wrapper.get(group)!r}.')
    optimizer_cfg = dict(group_cfg['optimizer'])
    optimizer_type = getattr(torch.optim, optimizer_cfg.pop('type'))
    return optimizer_type(params, **optimizer_cfg)


def build_plain_loader(cfg: Config) -> DataLoader:
    """A ``torch.utils.data.DataLoader`` reading what the config's
    ``train_dataloader`` reads, in the same order: its dataset, its sampler
    seeded with ``randomness.seed`` as the Runner seeds it, its batch size
    and loader options, with ``gathered_collate`` (torch's
    ``default_collate`` for datasets that gather no whole batches)."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    dataset = DATASETS.build(loader_cfg.pop('dataset'))
    sampler = DATA_SAMPLERS.build(
        loader_cfg.pop('sampler'),
        default_args=dict(dataset=dataset, seed=cfg.randomness.seed))
    loader_cfg.pop('collate_fn', None)
    return DataLoader(
        dataset, sampler=sampler, collate_fn=gathered_collate, **loader_cfg)


def build_model(cfg: Config) -> MCD:
    """Seed as the Runner does, then build the config's adapter on the
    Runner's device, in train mode."""
    set_random_seed(**cfg.randomness)
    model = MODELS.build(cfg.model).to(get_device())
    model.train()
    return model
