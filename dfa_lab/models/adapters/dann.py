"""Domain-adversarial hosts: DANN (Ganin & Lempitsky, ICML 2015; Ganin et
al., JMLR 2016) and CDAN / CDAN+E (Long et al., NeurIPS 2018)."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from dfa_lab.utils import unwrap
from ..layers import (MultilinearMap, RandomizedMultilinearMap,
                      grl_coefficient, reverse_gradient)
from ..losses import entropy_weights
from .base import BaseAdapter


@MODELS.register_module()
class DANN(BaseAdapter):
    """Domain-adversarial training, and DFA-DANN when a DFA aligner is
    configured.

    A domain discriminator ``D`` reads the latent (the flattened encoder
    output that the classifier reads) of both domains through a gradient
    reversal layer. One update per iteration, on one source and one
    target pass of the backbone, minimises

    ``L_cls(x_s) + w * L_d(D(R(z_s)), D(R(z_t)))``

    plus, with an aligner, its source term (inside :meth:`source_losses`)
    and its target term, which gets the target pass and the source pass of
    the same update (:meth:`aligner_losses`). ``L_d`` is the
    discriminator's binary cross-entropy (source 1, target 0); ``R`` is
    the identity forward and multiplies the gradient by ``-lambda_p``
    backward, so the one backward pass trains ``D`` to tell the domains
    apart and the backbone to make them indistinguishable. ``lambda_p =
    2 / (1 + exp(-gamma p)) - 1`` (:func:`~dfa_lab.models.layers.
    grl_coefficient`) with ``p`` the training progress ``iter /
    max_iters``, read from mmengine's message hub, where the Runner's
    ``RuntimeInfoHook`` puts the current iteration: the coefficient is a
    function of the iteration, so a resumed run continues its schedule.
    Outside a training loop (no iteration in the message hub) ``p = 1``.
    The annealed learning rate ``lr0 (1 + 10 p)^-0.75`` of the DANN paper
    is the optimizer's param scheduler
    (:class:`~dfa_lab.engine.InvLR`), not part of the adapter.

    Each domain is its own backbone pass, as in the other hosts, so the
    backbone's BatchNorms normalise each domain with its own statistics;
    the DANN and CDAN reference code encodes the two batches concatenated.

    Besides the losses, every step logs ``domain/grl_coefficient`` and
    ``domain/accuracy``, the share of both batches that the discriminator
    assigns to the right domain (0.5 when it is fully confused).

    One optimizer (an ``OptimWrapper``) carries the backbone, the
    classifier, the discriminator and the aligner.

    Args:
        discriminator: Config of the domain discriminator; its
            ``in_channels`` defaults to the size of what it reads
            (:meth:`build_discriminator_input`).
        loss_domain: Config of the domain-adversarial loss; its
            ``loss_weight`` is the trade-off ``w``.
        grl_gamma: ``gamma`` of the coefficient schedule (10 in the DANN
            paper).
        **kwargs: See :class:`BaseAdapter`.
    """

    def __init__(self,
                 discriminator: dict = dict(type='DomainDiscriminator'),
                 loss_domain: dict = dict(type='DomainAdversarialLoss'),
                 grl_gamma: float = 10.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.discriminator = MODELS.build(
            discriminator,
            default_args=dict(in_channels=self.build_discriminator_input()))
        self.loss_domain = MODELS.build(loss_domain)
        self.grl_gamma = grl_gamma

    # ------------------------------------------------- the discriminator
    def build_discriminator_input(self) -> int:
        """Build whatever turns a pass into the discriminator's input (for
        DANN nothing: it reads the latent) and return the input's size.
        Called once, before the discriminator is built."""
        return self.backbone.latent_dim

    def discriminator_inputs(
        self,
        encoded: EncoderOutput,
        logits: Optional[Dict[str, Tensor]] = None
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """What the discriminator reads for one domain's pass, and the
        per-sample weights of its loss (None: equal weights).

        DANN: the flattened latent, unweighted.

        Args:
            encoded: The backbone's pass over one domain's batch.
            logits: The classifier's logits on that pass, where the caller
                has them (unused here).
        """
        return encoded.flat, None

    def networks(self) -> List[nn.Module]:
        """:meth:`BaseAdapter.networks` and the discriminator."""
        return super().networks() + [unwrap(self.discriminator)]

    # ---------------------------------------------------------- training
    def training_progress(self) -> float:
        """``p = iter / max_iters`` of the running training loop, from
        mmengine's message hub; 1 outside a training loop."""
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter')
        max_iters = hub.get_info('max_iters')
        if iteration is None or not max_iters:
            return 1.0
        return iteration / max_iters

    def domain_losses(
        self,
        source: EncoderOutput,
        target: EncoderOutput,
        source_logits: Optional[Dict[str,
                                     Tensor]] = None) -> Dict[str, Tensor]:
        """The domain-adversarial loss of one update through the gradient
        reversal layer, and its diagnostics.

        Args:
            source: The source pass.
            target: The target pass of the same update.
            source_logits: The classifier's logits on ``source``, if the
                caller has them.
        """
        coefficient = grl_coefficient(self.training_progress(), self.grl_gamma)
        source_inputs, source_weight = self.discriminator_inputs(
            source, source_logits)
        target_inputs, target_weight = self.discriminator_inputs(target)
        # Both domains in one discriminator call (one forward for a
        # distributed wrapper); the reversal sits between the features
        # and the discriminator.
        domain_logits = self.discriminator(
            reverse_gradient(
                torch.cat([source_inputs, target_inputs]), coefficient))
        source_d = domain_logits[:source_inputs.shape[0]]
        target_d = domain_logits[source_inputs.shape[0]:]
        loss = self.loss_domain(source_d, target_d, source_weight,
                                target_weight)
        with torch.no_grad():
            correct = (source_d > 0).sum() + (target_d <= 0).sum()
            accuracy = correct.float() / domain_logits.shape[0]
        return {
            'loss_domain': loss,
            'domain/grl_coefficient': loss.new_tensor(coefficient),
            'domain/accuracy': accuracy,
        }

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One joint update on the source objective, the domain-adversarial
        loss and the aligner's terms."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(
                f'{type(self).__name__} makes one joint update per iteration '
                'with one optimizer over every network (the gradient '
                'reversal layer turns the discriminator\'s loss around for '
                'the backbone); configure optim_wrapper=dict('
                "type='OptimWrapper', optimizer=...) without a "
                f'constructor, got optimizers {sorted(optim_wrapper.keys())}'
                '.')
        x_s, y_s, x_t = self.unpack_uda_batch(
            self.data_preprocessor(data, True))
        with optim_wrapper.optim_context(self):
            source = self.backbone(x_s)
            source_logits = self.classifiers(source.flat)
            losses = self.source_losses(source, y_s, source_logits)
            target = self.backbone(x_t)
            losses.update(self.domain_losses(source, target, source_logits))
            losses.update(
                self.aligner_losses(
                    target, 'target', source=source, source_labels=y_s))
            loss, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return log_vars


@MODELS.register_module()
class CDAN(DANN):
    """Conditional domain-adversarial training: CDAN, CDAN+E with
    ``entropy_conditioning=True``, and DFA-CDAN(+E) with a DFA aligner.

    :class:`DANN`'s update, with a discriminator that reads the latent
    ``f`` conditioned on the classifier's prediction ``g = softmax(F(f))``
    through the multilinear map ``outer(g, f)``, flattened to ``K * D``
    values (:class:`~dfa_lab.models.layers.MultilinearMap`). Where ``K * D``
    exceeds ``max_multilinear_dim`` (4096 in the CDAN paper) the
    randomized multilinear map ``(f R_f) * (g R_g) / sqrt(d)`` with fixed
    Gaussian matrices takes its place
    (:class:`~dfa_lab.models.layers.RandomizedMultilinearMap`,
    ``d = random_dim``, the CDAN code's 1024).

    ``g`` is detached, as in the CDAN code: the adversarial gradient
    reaches the backbone through ``f`` alone, and the classifier is
    trained by ``L_cls`` only. (Letting it through ``g`` as well would
    train the classifier to make the domains' predictions
    indistinguishable, a different objective from the paper's, which
    conditions the discriminator on the predictions.)

    With ``entropy_conditioning`` (CDAN+E) each sample's discriminator
    loss is weighted by ``1 + exp(-H(g))``, normalised within each domain
    as in the CDAN code (:func:`~dfa_lab.models.losses.entropy_weights`,
    :func:`~dfa_lab.models.losses.domain_adversarial_loss`): confident
    predictions, whose conditioning is reliable, weigh more. The weights
    are computed from the detached ``g`` and carry no gradient; the CDAN
    code lets a reversed gradient reach the classifier through them. In a
    distributed run each rank normalises over its own share of the batch,
    so ``N`` ranks train CDAN+E close to, not exactly as, one process with
    the whole batch (DANN and CDAN without the weights train exactly
    alike).

    Args:
        entropy_conditioning: CDAN+E's entropy weights.
        random_dim: Output size ``d`` of the randomized map.
        max_multilinear_dim: Largest ``K * D`` for which the full
            multilinear map is used.
        **kwargs: See :class:`DANN`. The adapter has one classifier.
    """

    def __init__(self,
                 entropy_conditioning: bool = False,
                 random_dim: int = 1024,
                 max_multilinear_dim: int = 4096,
                 **kwargs):
        # Read by build_discriminator_input() while DANN builds the
        # discriminator; plain values may be set before Module.__init__.
        self.entropy_conditioning = entropy_conditioning
        self.random_dim = random_dim
        self.max_multilinear_dim = max_multilinear_dim
        super().__init__(**kwargs)

    def build_discriminator_input(self) -> int:
        """Build the multilinear map (full or randomized, see the class)
        and return its output size."""
        (head, ) = self.classifiers.values()
        feature_dim = self.backbone.latent_dim
        num_classes = head.num_classes
        if feature_dim * num_classes > self.max_multilinear_dim:
            self.multilinear_map = RandomizedMultilinearMap(
                feature_dim, num_classes, self.random_dim)
        else:
            self.multilinear_map = MultilinearMap(feature_dim, num_classes)
        return self.multilinear_map.out_channels

    def discriminator_inputs(
        self,
        encoded: EncoderOutput,
        logits: Optional[Dict[str, Tensor]] = None
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """The (randomized) multilinear map of the latent and the detached
        class probabilities, and CDAN+E's entropy weights (None without
        ``entropy_conditioning``).

        Args:
            encoded: The backbone's pass over one domain's batch.
            logits: The classifier's logits on that pass, if the caller has
                them; otherwise the classifier runs here.
        """
        if logits is None:
            logits = self.classifiers(encoded.flat)
        (head_logits, ) = logits.values()
        probabilities = head_logits.softmax(dim=1).detach()
        inputs = self.multilinear_map(encoded.flat, probabilities)
        weight = entropy_weights(probabilities) \
            if self.entropy_conditioning else None
        return inputs, weight
