"""Maximum Classifier Discrepancy (Saito et al., CVPR 2018) as DFA's host."""
from typing import Dict, Tuple

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
    2. Fix ``G``; update ``F1``, ``F2`` on ``L_cls - L_adv(x_t)``, which
       maximises the classifiers' discrepancy on the target while keeping
       them accurate on the source. Algorithm 1 also lists the aligner's
       source term here; with ``G`` fixed it moves nothing this step
       updates (it reads the latent only), so it is not computed.
    3. Fix ``F1``, ``F2``; update ``G`` (and the aligner's own parameters,
       e.g. the decoder's BatchNorms) on ``L_adv(x_t)`` plus the aligner's
       target term (``beta L_dal``), ``num_k`` times. One encoder pass over
       the target batch serves both the classifiers and the aligner. The
       step has no source pass of its own; for an aligner whose target term
       compares the domains (``needs_source_pass``: ``DALDir``,
       ``KLLDir``, the direct alignments) each update also encodes the
       source batch, and only then.

    The losses of each step are computed by :meth:`step1_losses`,
    :meth:`step2_losses` and :meth:`step3_losses` (and :meth:`step_losses`
    by step number), which step nothing, so that analyses
    (``tools/analysis/gradient_share.py``) can take their gradients;
    :meth:`train_step` steps the optimizers on them.

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
    #: The optimizer group each step updates.
    step_groups = {
        1: ('generator', 'classifiers'),
        2: ('classifiers', ),
        3: ('generator', )
    }

    #: The steps that update ``G`` (step 2 holds it fixed).
    encoder_steps = (1, 3)

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
        """One iteration of Algorithm 1. Logs step 3's mean over its
        ``num_k`` updates."""
        require_optim_wrapper_dict(optim_wrapper, self.optimizer_groups,
                                   type(self).__name__)
        batch = self.unpack_uda_batch(self.data_preprocessor(data, True))
        log_vars = self.take_step(1, batch, optim_wrapper)
        log_vars.update(self.take_step(2, batch, optim_wrapper))
        step_logs = [
            self.take_step(3, batch, optim_wrapper) for _ in range(self.num_k)
        ]
        log_vars.update({
            key: sum(log[key] for log in step_logs) / self.num_k
            for key in step_logs[0]
        })
        return log_vars

    def take_step(self, step: int, batch: Tuple[Tensor, Tensor, Tensor],
                  optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Compute step ``step``'s losses (:meth:`step_losses`) on ``batch
        = (x_s, y_s, x_t)`` in its optimizers' context, step the groups of
        :attr:`step_groups` on their sum, clear every group's gradients
        and return the step's logs, prefixed ``step<N>/``."""
        stepped = tuple(optim_wrapper[name] for name in self.step_groups[step])
        with stepped[0].optim_context(self):
            loss, log_vars = self.parse_losses(self.step_losses(step, *batch))
        self.step_optimizers(
            loss, step=stepped, zero=tuple(optim_wrapper.values()))
        return {f'step{step}/{key}': value for key, value in log_vars.items()}

    def step_losses(self, step: int, x_s: Tensor, y_s: Tensor,
                    x_t: Tensor) -> Dict[str, Tensor]:
        """The losses of step 1, 2 or 3 (:meth:`step1_losses`,
        :meth:`step2_losses`, :meth:`step3_losses`); step 3's are those of
        one of its ``num_k`` updates."""
        if step == 1:
            return self.step1_losses(x_s, y_s)
        if step == 2:
            return self.step2_losses(x_s, y_s, x_t)
        if step == 3:
            return self.step3_losses(x_s, y_s, x_t)
        raise ValueError(f'MCD has steps 1, 2 and 3, got step={step}.')

    def step1_losses(self, x_s: Tensor, y_s: Tensor) -> Dict[str, Tensor]:
        """Step 1: the source objective of ``G``, ``F1``, ``F2``."""
        return self.source_losses(self.backbone(x_s), y_s)

    def step2_losses(self, x_s: Tensor, y_s: Tensor,
                     x_t: Tensor) -> Dict[str, Tensor]:
        """Step 2: with ``G`` fixed, ``F1`` and ``F2`` stay accurate on the
        source while disagreeing on the target."""
        # G is fixed, so its passes need no graph.
        with torch.no_grad():
            source = self.backbone(x_s)
            target = self.backbone(x_t)
        losses = self.source_classification_losses(
            self.classifiers(source.flat), y_s)
        target_logits = self.classifiers(target.flat)
        losses['loss_neg_dis'] = -self.loss_dis(target_logits['F1'],
                                                target_logits['F2'])
        return losses

    def step3_losses(self, x_s: Tensor, y_s: Tensor,
                     x_t: Tensor) -> Dict[str, Tensor]:
        """Step 3 (one of its ``num_k`` updates): with ``F1``, ``F2``
        fixed, the target discrepancy and the aligner's target term."""
        target = self.backbone(x_t)
        target_logits = self.classifiers(target.flat)
        losses = {
            'loss_dis': self.loss_dis(target_logits['F1'], target_logits['F2'])
        }
        source = self.backbone(x_s) if self.aligner_needs_source_pass \
            else None
        losses.update(
            self.aligner_losses(
                target,
                'target',
                source=source,
                source_labels=None if source is None else y_s))
        return losses
