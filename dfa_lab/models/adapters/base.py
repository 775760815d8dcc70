"""The common part of every adapter (host algorithm)."""
import math
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from dfa_lab.utils import unwrap


class ClassifierSet(nn.ModuleDict):
    """Named classifier heads that all read the same features.

    Calling the set (rather than indexing it) runs every head through one
    ``forward``, which keeps distributed wrappers in the loop.
    """

    def forward(self, features: Tensor) -> Dict[str, Tensor]:
        return {name: head(features) for name, head in self.items()}


class BaseAdapter(BaseModel):
    """An adaptation algorithm: networks, losses, and the update schedule.

    Subclasses implement :meth:`train_step`, which *is* the algorithm: which
    losses are computed and which optimizer steps on which loss. Evaluation
    is shared: :meth:`predict_logits` runs the backbone once and every
    classifier head on its output.

    Aligner hook points. An aligner (``aligner=dict(type='DFA', ...)``)
    contributes one term wherever an adapter computes source losses
    (:meth:`source_losses` adds it) and one wherever the adapter updates the
    generator on target data, where the adapter calls :meth:`aligner_losses`
    with the target pass and, if it has one, the source pass of the same
    update. With ``aligner=None`` the hooks return no losses and the adapter
    is the plain host algorithm.

    Args:
        backbone: Config of the feature extractor ``G``; its forward returns
            an :class:`~dfa_lab.structures.EncoderOutput`.
        classifier: Config of one classifier head ``F``; adapters with
            several heads (MCD) build one per name in
            :attr:`classifier_names`. Its ``in_channels`` defaults to the
            backbone's ``latent_dim``.
        aligner: Config of the latent aligner, or ``None``. It is built with
            the backbone as ``backbone=`` argument, so that a weight-tied
            decoder can reuse the backbone's weights.
        loss_cls: Config of the source classification loss (eq. 16).
        data_preprocessor: mmengine data preprocessor config.
        init_cfg: mmengine initialisation config.
    """

    #: Names of the classifier heads this adapter trains.
    classifier_names: Tuple[str, ...] = ('F', )
    #: Whether the target hook gets the source pass of the same update;
    #: aligners whose target term needs it are refused when this is False.
    target_hook_has_source_pass: bool = True

    def __init__(self,
                 backbone: dict,
                 classifier: dict,
                 aligner: Optional[dict] = None,
                 loss_cls: dict = dict(type='CrossEntropyLoss'),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.classifiers = ClassifierSet({
            name:
            MODELS.build(
                classifier,
                default_args=dict(in_channels=self.backbone.latent_dim))
            for name in self.classifier_names
        })
        self.aligner = None if aligner is None else MODELS.build(
            aligner, default_args=dict(backbone=self.backbone))
        if self.aligner is not None and self.aligner.needs_source_pass \
                and not self.target_hook_has_source_pass:
            raise ValueError(
                f'{type(self.aligner).__name__} compares the target pass '
                'with the source pass of the same update, but '
                f'{type(self).__name__} updates the generator on target data '
                'alone; use it with a host that has both passes in one '
                'update (SourceOnly, ENT, SAFN, DANN, CDAN).')
        self.loss_cls = MODELS.build(loss_cls)

    # ----------------------------------------------------------- evaluation
    def predict_logits(self, img: Tensor) -> Dict[str, Tensor]:
        """Logits of every head, plus ``'prediction'``: the adapter's final
        answer (see :meth:`combine_logits`).

        ``img`` is a batch of images ``(B, C, H, W)`` or of several crops
        per image ``(B, N, C, H, W)`` (ten-crop evaluation); see
        :meth:`predict_multi_crop_logits`.
        """
        if img.dim() == 5:
            return self.predict_multi_crop_logits(img)
        logits = self.classifiers(self.backbone(img).flat)
        logits['prediction'] = self.combine_logits(logits)
        return logits

    def predict_multi_crop_logits(self, img: Tensor) -> Dict[str, Tensor]:
        """Predictions averaged over ``N`` crops of each image.

        The ``B * N`` crops run through the networks as one batch. For
        every head and for the combined prediction, the result is ``log
        mean_n softmax(logits_n)``: the log of the crops' mean class
        probabilities, so its argmax is the class of highest mean
        probability (the ten-crop evaluation of the paper's "*" rows).

        Args:
            img: Crops ``(B, N, C, H, W)``.
        """
        batch, crops = img.shape[:2]
        logits = self.predict_logits(img.flatten(0, 1))
        # log mean exp of the log-probabilities: finite even where a
        # probability underflows to zero.
        return {
            name:
            out.view(batch, crops, -1).log_softmax(dim=-1).logsumexp(dim=1) -
            math.log(crops)
            for name, out in logits.items()
        }

    def combine_logits(self, logits: Dict[str, Tensor]) -> Tensor:
        """The adapter's prediction from its heads' logits."""
        return logits[self.classifier_names[0]]

    def forward(self,
                img: Tensor,
                label: Optional[Tensor] = None,
                mode: str = 'predict'):
        """``mode='tensor'``: the logits dict of :meth:`predict_logits`.
        ``mode='predict'``: one dict per sample with ``pred_logits`` (the
        final prediction), ``head_logits`` (each head, when there are
        several) and ``gt_label`` when labels are given. Training does not
        go through ``forward``: see :meth:`train_step`."""
        logits = self.predict_logits(img)
        if mode == 'tensor':
            return logits
        if mode != 'predict':
            raise ValueError(
                f"{type(self).__name__}.forward supports mode='tensor' and "
                f"mode='predict', got {mode!r}; training runs through "
                'train_step.')
        prediction = logits.pop('prediction')
        heads = logits if len(logits) > 1 else {}
        samples = []
        for i in range(prediction.shape[0]):
            sample = dict(
                pred_logits=prediction[i],
                head_logits={
                    name: out[i]
                    for name, out in heads.items()
                })
            if label is not None:
                sample['gt_label'] = label[i]
            samples.append(sample)
        return samples

    # ------------------------------------------------------------ compiling
    def networks(self) -> List[nn.Module]:
        """The networks that :meth:`compile` compiles: the backbone, the
        classifier set and, if the aligner has one, its decoder (each
        outside its distributed wrapper, if it has one)."""
        networks = [unwrap(self.backbone), unwrap(self.classifiers)]
        if self.aligner is not None:
            decoder = getattr(unwrap(self.aligner), 'decoder', None)
            if decoder is not None:
                networks.append(decoder)
        return networks

    def compile(self, **options) -> None:
        """Compile every network of :meth:`networks` in place with
        ``torch.compile``; ``train_step`` itself stays eager.

        An adapter's ``train_step`` steps several optimizers between network
        calls (MCD's three steps), which a compiled graph cannot hold, so
        compiling happens one level down: each network's forward pass is
        compiled through ``nn.Module.compile``, in training and in
        evaluation. Parameter names, state dicts and checkpoints are those
        of the eager adapter, so compiled and eager runs resume from each
        other's checkpoints. The first iterations (and the first
        validation) of a compiled run include compiling.

        The Runner's ``compile`` option (``tools/train.py --compile``) calls
        this; see :class:`~dfa_lab.engine.AdapterRunner`.

        Args:
            **options: ``torch.compile`` options (``mode``, ``backend``,
                ``dynamic``, ``fullgraph``, ``options``).
        """
        for network in self.networks():
            network.compile(**options)

    # ------------------------------------------------------------- training
    def aligner_losses(
            self,
            encoded: EncoderOutput,
            domain: str,
            source: Optional[EncoderOutput] = None) -> Dict[str, Tensor]:
        """Aligner hook point: the aligner's losses for one encoder pass,
        or none without an aligner.

        Args:
            encoded: The backbone's output on a source or target batch.
            domain: ``'source'`` or ``'target'``.
            source: At the target hook, the source pass of the same update
                where the adapter has one.
        """
        if self.aligner is None:
            return {}
        return self.aligner(encoded, domain, source=source)

    def source_losses(
            self,
            source: EncoderOutput,
            labels: Tensor,
            logits: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
        """The source objective every host shares: ``L_cls`` of every head
        (eq. 16) and the aligner's source term (e.g. ``alpha L_kld``, eq.
        17).

        Args:
            source: The backbone's pass over the source batch.
            labels: The source labels.
            logits: Every head's logits on ``source``, if the caller has
                computed them already; otherwise computed here.
        """
        if logits is None:
            logits = self.classifiers(source.flat)
        losses = self.source_classification_losses(logits, labels)
        losses.update(self.aligner_losses(source, 'source'))
        return losses

    def source_classification_losses(self, logits: Dict[str, Tensor],
                                     labels: Tensor) -> Dict[str, Tensor]:
        """``L_cls`` of every head, named ``loss_cls`` or ``loss_cls_<head>``
        when there are several."""
        if len(logits) == 1:
            (head_logits, ) = logits.values()
            return {'loss_cls': self.loss_cls(head_logits, labels)}
        return {
            f'loss_cls_{name}': self.loss_cls(out, labels)
            for name, out in logits.items()
        }

    @staticmethod
    def unpack_uda_batch(data: dict) -> Tuple[Tensor, Tensor, Tensor]:
        """``(source images, source labels, target images)`` of a batch made
        by :class:`~dfa_lab.datasets.UDAPairDataset`."""
        try:
            return (data['source']['img'], data['source']['label'],
                    data['target']['img'])
        except (KeyError, TypeError) as error:
            raise KeyError(
                'A training batch must be a dict with source.img, '
                'source.label and target.img (as UDAPairDataset makes); '
                f'got {_describe(data)}.') from error

    @staticmethod
    def step_optimizers(loss: Tensor, step: Sequence[OptimWrapper],
                        zero: Iterable[OptimWrapper]) -> None:
        """Back-propagate ``loss`` once, step the wrappers in ``step``, then
        clear the gradients held by every wrapper in ``zero``.

        Several wrappers stepping on one loss is how a joint update of
        several networks is written (e.g. MCD's step 1); the wrappers that
        are not stepped still have their gradients cleared so that nothing
        leaks into the next step.
        """
        step[0].backward(loss)
        for wrapper in step:
            wrapper.step()
        for wrapper in zero:
            wrapper.zero_grad()


def _describe(data) -> str:
    if isinstance(data, dict):
        return '{' + ', '.join(f'{k}: {_describe(v)}'
                               for k, v in data.items()) + '}'
    if isinstance(data, torch.Tensor):
        return f'Tensor{tuple(data.shape)}'
    return type(data).__name__


def require_optim_wrapper_dict(optim_wrapper, names: List[str],
                               adapter: str) -> None:
    """Raise a clear error unless ``optim_wrapper`` is an
    :class:`OptimWrapperDict` with exactly ``names``."""
    if not isinstance(optim_wrapper, OptimWrapperDict) or \
            set(optim_wrapper.keys()) != set(names):
        got = (
            sorted(optim_wrapper.keys())
            if isinstance(optim_wrapper, OptimWrapperDict) else
            type(optim_wrapper).__name__)
        raise TypeError(
            f'{adapter} needs one optimizer per group {names}: set '
            "optim_wrapper=dict(constructor='MultiOptimWrapperConstructor', " +
            ', '.join(f'{n}=dict(...)'
                      for n in names) + f') in the config; got {got}.')
