"""Maximum Classifier Discrepancy (Saito et al., CVPR 2018) as DFA's host."""
from typing import Dict

import torch
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from dfa_lab.registry import MODELS
from .base import BaseAdapter, require_optim_wrapper_dict


@MODELS.register_module()
class MCD(BaseAdapter):
    """MCD, and DFA-MCD when a DFA aligner is configured (Algorithm 1).

    Every iteration runs three steps on one source and one target batch:

    1. Update ``G``, ``F1``, ``F2`` on ``L_cls(F1) + L_cls(F2)`` plus the
       aligner's source term (``alpha L_kld`` in DFA-MCD).
    2. Fix ``G``; update ``F1``, ``F2`` on ``L_cls - L_adv(x_t)`` plus the
       aligner's source term, which maximises the classifiers' discrepancy
       on the target while keeping them accurate on the source.
    3. Fix ``F1``, ``F2``; update ``G`` (and the aligner's own parameters,
       e.g. the decoder's BatchNorms) on ``L_adv(x_t)`` plus the aligner's
       target term (``beta L_dal``), ``num_k`` times. One encoder pass over
       the target batch serves both the classifiers and the aligner.

    The prediction is the ensemble ``F1 + F2`` (summed logits); evaluation
    also reports each classifier.

    Optimizers: an :class:`OptimWrapperDict` with ``generator`` (the
    backbone and the aligner) and ``classifiers``, built by
    ``MultiOptimWrapperConstructor``.

    Args:
        num_k: Generator updates per iteration (step 3).
        loss_dis: Config of the classifier discrepancy loss ``L_adv``.
        **kwargs: See :class:`BaseAdapter`.
    """

    classifier_names = ('F1', 'F2')
    optimizer_groups = ['generator', 'classifiers']

    def __init__(self,
                 num_k: int = 4,
                 loss_dis: dict = dict(type='ClassifierDiscrepancyLoss'),
                 **kwargs):
        super().__init__(**kwargs)
        if num_k < 1:
            raise ValueError(f'num_k must be >= 1, got {num_k}.')
        self.num_k = num_k
        self.loss_dis = MODELS.build(loss_dis)

    def combine_logits(self, logits: Dict[str, Tensor]) -> Tensor:
        return logits['F1'] + logits['F2']

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        require_optim_wrapper_dict(optim_wrapper, self.optimizer_groups,
                                   type(self).__name__)
        generator = optim_wrapper['generator']
        classifiers = optim_wrapper['classifiers']
        both = (generator, classifiers)
        data = self.data_preprocessor(data, True)
        x_s, y_s, x_t = self.unpack_uda_batch(data)
        log_vars = {}

        # Step 1: G, F1, F2 on the source.
        with generator.optim_context(self):
            source = self.backbone(x_s)
            losses = self.source_classification_losses(
                self.classifiers(source.flat), y_s)
            losses.update(self.aligner_losses(source, 'source'))
            loss, step_log = self.parse_losses(losses)
        self.step_optimizers(loss, step=both, zero=both)
        log_vars.update(_prefixed('step1', step_log))

        # Step 2: G fixed, so its passes need no graph.
        with classifiers.optim_context(self):
            with torch.no_grad():
                source = self.backbone(x_s)
                target = self.backbone(x_t)
            losses = self.source_classification_losses(
                self.classifiers(source.flat), y_s)
            losses.update(self.aligner_losses(source, 'source'))
            target_logits = self.classifiers(target.flat)
            losses['loss_neg_dis'] = -self.loss_dis(target_logits['F1'],
                                                    target_logits['F2'])
            loss, step_log = self.parse_losses(losses)
        self.step_optimizers(loss, step=(classifiers, ), zero=both)
        log_vars.update(_prefixed('step2', step_log))

        # Step 3: F1, F2 fixed; num_k generator updates on the target.
        step_logs = []
        for _ in range(self.num_k):
            with generator.optim_context(self):
                target = self.backbone(x_t)
                target_logits = self.classifiers(target.flat)
                losses = {
                    'loss_dis':
                    self.loss_dis(target_logits['F1'], target_logits['F2'])
                }
                losses.update(self.aligner_losses(target, 'target'))
                loss, step_log = self.parse_losses(losses)
            self.step_optimizers(loss, step=(generator, ), zero=both)
            step_logs.append(step_log)
        log_vars.update(
            _prefixed('step3', {
                key: sum(log[key] for log in step_logs) / self.num_k
                for key in step_logs[0]
            }))
        return log_vars


def _prefixed(prefix: str, log_vars: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {f'{prefix}/{key}': value for key, value in log_vars.items()}
