"""Validation loops of dfa_lab."""
from typing import Dict, List, Union

from mmengine.evaluator import Evaluator
from mmengine.runner import ValLoop
from mmengine.runner.loops import _parse_losses
from torch.utils.data import DataLoader

from dfa_lab.registry import LOOPS


@LOOPS.register_module()
class UDAValLoop(ValLoop):
    """Validation on the target test set and on held-out source data.

    Each validation makes mmengine's usual pass over ``val_dataloader`` with
    ``val_evaluator`` (the target test set), then a second pass over
    ``source_dataloader`` with ``source_evaluator``, and hands the metrics
    of both passes to the hooks at once: a single ``after_val_epoch``, so
    that ``save_best='source_val/accuracy'`` and the loggers see every
    metric of the validation at its iteration.

    The source data must be held out from training; ``tools/train.py
    --source-val FRACTION`` sets this loop up with a
    :class:`~dfa_lab.datasets.HoldoutSplit` of the source training set (see
    :func:`~dfa_lab.utils.enable_source_validation`). Losses that the model
    returns at validation are reported for the target pass, as ``ValLoop``
    reports them.

    Args:
        runner: The runner.
        dataloader: The target test dataloader, or its config.
        evaluator: The target test evaluator, or its config.
        source_dataloader: The held-out source dataloader, or its config.
        source_evaluator: The evaluator of the source pass, or its config;
            its metric names must differ from the target evaluator's.
        fp16: Run the forward passes under fp16 autocast.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 source_dataloader: Union[DataLoader, Dict],
                 source_evaluator: Union[Evaluator, Dict, List] = dict(
                     type='SourceValidationAccuracy'),
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if isinstance(source_dataloader, dict):
            # Seeded as BaseLoop seeds the target dataloader.
            source_dataloader = runner.build_dataloader(
                source_dataloader,
                seed=runner.seed,
                diff_rank_seed=runner._randomness_cfg.get(
                    'diff_rank_seed', False))
        self.source_dataloader = source_dataloader
        self.source_evaluator = runner.build_evaluator(source_evaluator)
        if hasattr(source_dataloader.dataset, 'metainfo'):
            self.source_evaluator.dataset_meta = \
                source_dataloader.dataset.metainfo

    def run(self) -> dict:
        """Validate on the target test set, then on the source data.

        Returns:
            dict: The metrics of both passes.
        """
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        self.val_loss.clear()
        metrics = self._run_pass()
        if self.val_loss:
            metrics.update(_parse_losses(self.val_loss, 'val'))

        target = self.dataloader, self.evaluator
        # run_iter feeds self.evaluator, and the logging hooks count batches
        # through runner.val_dataloader, which is self.dataloader.
        self.dataloader, self.evaluator = (self.source_dataloader,
                                           self.source_evaluator)
        try:
            source_metrics = self._run_pass()
        finally:
            self.dataloader, self.evaluator = target
        shared = sorted(metrics.keys() & source_metrics.keys())
        if shared:
            raise ValueError(
                f'The source and target evaluators both report {shared}; '
                'give the source metrics another prefix.')
        metrics.update(source_metrics)

        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    def _run_pass(self) -> dict:
        """Run :meth:`run_iter` over the current dataloader and evaluate."""
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))
