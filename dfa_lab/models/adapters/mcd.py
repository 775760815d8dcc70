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
       the target batch serves both the classifiers and the aligner; no
       source pass is made, so aligners whose target term needs one
       (``DALDir``, ``KLLDir``) are refused when the model is built.

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
    # Step 3 encodes the target batch alone.
    target_hook_has_source_pass = False

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
        """One iteration of Algorithm 1."""
        require_optim_wrapper_dict(optim_wrapper, self.optimizer_groups,
                                   type(self).__name__)
        x_s, y_s, x_t = self.unpack_uda_batch(
            self.data_preprocessor(data, True))
        log_vars = self.train_on_source(x_s, y_s, optim_wrapper)
        log_vars.update(
            self.maximize_discrepancy(x_s, y_s, x_t, optim_wrapper))
        log_vars.update(self.minimize_discrepancy(x_t, optim_wrapper))
        return log_vars

    def train_on_source(self, x_s: Tensor, y_s: Tensor,
                        optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Step 1: update ``G``, ``F1``, ``F2`` on the source objective."""
        both = tuple(optim_wrapper.values())
        with optim_wrapper['generator'].optim_context(self):
            losses = self.source_losses(self.backbone(x_s), y_s)
            loss, log_vars = self.parse_losses(losses)
        self.step_optimizers(loss, step=both, zero=both)
        return _prefixed('step1', log_vars)

    def maximize_discrepancy(
            self, x_s: Tensor, y_s: Tensor, x_t: Tensor,
            optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Step 2: with ``G`` fixed, update ``F1``, ``F2`` to stay accurate
        on the source while disagreeing on the target."""
        classifiers = optim_wrapper['classifiers']
        with classifiers.optim_context(self):
            # G is fixed, so its passes need no graph.
            with torch.no_grad():
                source = self.backbone(x_s)
                target = self.backbone(x_t)
            losses = self.source_losses(source, y_s)
            target_logits = self.classifiers(target.flat)
            losses['loss_neg_dis'] = -self.loss_dis(target_logits['F1'],
                                                    target_logits['F2'])
            loss, log_vars = self.parse_losses(losses)
        self.step_optimizers(
            loss, step=(classifiers, ), zero=tuple(optim_wrapper.values()))
        return _prefixed('step2', log_vars)

    def minimize_discrepancy(
            self, x_t: Tensor,
            optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Step 3: with ``F1``, ``F2`` fixed, update ``G`` (and the
        aligner) ``num_k`` times on the target discrepancy plus the
        aligner's target term. Logs the mean over the ``num_k`` updates."""
        generator = optim_wrapper['generator']
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
                loss, log_vars = self.parse_losses(losses)
            self.step_optimizers(
                loss, step=(generator, ), zero=tuple(optim_wrapper.values()))
            step_logs.append(log_vars)
        return _prefixed(
            'step3', {
                key: sum(log[key] for log in step_logs) / self.num_k
                for key in step_logs[0]
            })


def _prefixed(prefix: str, log_vars: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {f'{prefix}/{key}': value for key, value in log_vars.items()}
