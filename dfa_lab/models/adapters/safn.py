"""Stepwise Adaptive Feature Norm (SAFN; Xu et al., ICCV 2019) as DFA's
host."""
import inspect
from typing import Dict, Optional, Tuple, Union

from torch import Tensor

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import ClassifierSet
from .source_only import ENT


class EmbeddingClassifierSet(ClassifierSet):
    """A :class:`ClassifierSet` whose heads can also return their
    embedding (the input of their last layer, e.g.
    :class:`~dfa_lab.models.heads.SAFNHead`'s ``h``).

    The embeddings go through the set's own ``forward``, so that a
    distributed wrapper around the set sees the whole computation.
    """

    def forward(
        self,
        features: Tensor,
        return_embedding: bool = False
    ) -> Dict[str, Union[Tensor, Tuple[Tensor, Tensor]]]:
        """Logits of every head, or ``(embedding, logits)`` of every head
        with ``return_embedding=True``."""
        if not return_embedding:
            return super().forward(features)
        return {
            name: head(features, return_embedding=True)
            for name, head in self.items()
        }


@MODELS.register_module()
class SAFN(ENT):
    """SAFN with entropy minimisation, and DFA-SAFN when a DFA aligner is
    configured (Algorithm 2).

    One update per iteration on

    ``L_cls(x_s) + L_ent(x_t) + kappa (L_d(h_s) + L_d(h_t))``

    where ``L_d`` is the stepwise adaptive feature norm
    (:class:`~dfa_lab.models.losses.AdaptiveFeatureNormLoss`) of the
    classifier's embeddings ``h`` on source and target; with the DFA
    aligner ``alpha L_kld`` joins the source terms and ``beta L_dal`` the
    target terms, exactly at :class:`ENT`'s hook points. One encoder pass
    per domain serves the classifier, the feature norm and the aligner.

    Args:
        loss_feature_norm: Config of ``L_d``; ``loss_weight`` is ``kappa``
            (``weight_L2norm`` = 0.05 in the SAFN code) and ``delta_r`` the
            norm increment (1.0).
        loss_ent: Config of the target entropy loss; the default weight 0.1
            is the authors' object code's. Weight 0 gives SAFN without
            entropy minimisation.
        **kwargs: See :class:`BaseAdapter`. The classifier must be able to
            return its embedding (``forward(features,
            return_embedding=True)``), as ``SAFNHead`` does.
    """

    def __init__(self,
                 loss_feature_norm: dict = dict(
                     type='AdaptiveFeatureNormLoss',
                     delta_r=1.0,
                     loss_weight=0.05),
                 loss_ent: dict = dict(type='EntropyLoss', loss_weight=0.1),
                 **kwargs):
        super().__init__(loss_ent=loss_ent, **kwargs)
        for name, head in self.classifiers.items():
            if 'return_embedding' not in inspect.signature(
                    head.forward).parameters:
                raise TypeError(
                    f'SAFN needs classifier heads that return their '
                    f'embedding (forward(features, return_embedding=True)), '
                    f'such as SAFNHead; head {name!r} is '
                    f'{type(head).__name__}.')
        self.classifiers = EmbeddingClassifierSet(self.classifiers)
        self.loss_feature_norm = MODELS.build(loss_feature_norm)

    def embed_and_classify(self, features: Tensor) -> Tuple[Tensor, Tensor]:
        """``(h, logits)`` of the adapter's classifier."""
        outputs = self.classifiers(features, return_embedding=True)
        (embedding_and_logits, ) = outputs.values()
        return embedding_and_logits

    def source_losses(
            self,
            source: EncoderOutput,
            labels: Tensor,
            logits: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
        """``L_cls``, ``kappa L_d`` of the source embeddings and the
        aligner's source term (hook point)."""
        embedding, head_logits = self.embed_and_classify(source.flat)
        losses = super().source_losses(source, labels,
                                       {self.classifier_names[0]: head_logits})
        losses['loss_feature_norm_source'] = self.loss_feature_norm(embedding)
        return losses

    def target_losses(
            self,
            x_t: Tensor,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``L_ent``, ``kappa L_d`` of the target embeddings and the
        aligner's target term (hook point)."""
        target = self.backbone(x_t)
        embedding, logits = self.embed_and_classify(target.flat)
        losses = {
            'loss_ent': self.loss_ent(logits),
            'loss_feature_norm_target': self.loss_feature_norm(embedding),
        }
        losses.update(
            self.aligner_losses(
                target, 'target', source=source, source_labels=source_labels))
        return losses
