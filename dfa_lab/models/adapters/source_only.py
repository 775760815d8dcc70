"""Source-only training and entropy minimisation (ENT)."""
from typing import Dict, Optional

from mmengine.optim import OptimWrapper
from torch import Tensor

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import BaseAdapter


@MODELS.register_module()
class SourceOnly(BaseAdapter):
    """Train ``G`` and ``F`` on labelled source data only: ``L_cls``
    (eq. 16), plus the aligner's source term when one is configured.

    Target images in the batch are not used (no target encoder pass), so a
    source-only run costs the same with or without the target domain.
    """

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        data = self.data_preprocessor(data, True)
        x_s, y_s, x_t = self.unpack_uda_batch(data)
        with optim_wrapper.optim_context(self):
            loss, log_vars = self.parse_losses(
                self.step_losses(1, x_s, y_s, x_t))
        optim_wrapper.update_params(loss)
        return log_vars

    def step_losses(self, step: int, x_s: Tensor, y_s: Tensor,
                    x_t: Tensor) -> Dict[str, Tensor]:
        """The one joint update of an iteration (``step=1``): the source
        objective (:meth:`source_losses`) plus the target objective
        (:meth:`target_losses`), which sees the same source pass."""
        if step != 1:
            raise ValueError(f'{type(self).__name__} updates once per '
                             f'iteration (step 1), got step={step}.')
        source = self.backbone(x_s)
        losses = self.source_losses(source, y_s)
        losses.update(self.target_losses(x_t, source, y_s))
        return losses

    def target_losses(
            self,
            x_t: Tensor,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Source-only training has no target objective."""
        return {}


@MODELS.register_module()
class ENT(SourceOnly):
    """Entropy minimisation: ``L_cls + L_ent`` (eq. 19), and with the DFA
    aligner the full DFA-ENT objective of eq. 20,
    ``L_cls + L_ent + alpha L_kld + beta L_dal``, in one update per
    iteration.

    One encoder pass per domain serves the classifier and the aligner.

    Args:
        loss_ent: Config of the target entropy loss (eq. 19); its
            ``loss_weight`` is the entropy weight (the digit configs use the
            authors' 0.1).
        **kwargs: See :class:`BaseAdapter`.
    """

    def __init__(self, loss_ent: dict = dict(type='EntropyLoss'), **kwargs):
        super().__init__(**kwargs)
        self.loss_ent = MODELS.build(loss_ent)

    def target_losses(
            self,
            x_t: Tensor,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``L_ent`` on target predictions and the aligner's target term
        (hook point), which also sees the update's source pass."""
        target = self.backbone(x_t)
        (target_logits, ) = self.classifiers(target.flat).values()
        losses = {'loss_ent': self.loss_ent(target_logits)}
        losses.update(
            self.aligner_losses(
                target, 'target', source=source, source_labels=source_labels))
        return losses
