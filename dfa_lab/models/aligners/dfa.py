"""Discriminative Feature Alignment (Wang et al., 2021)."""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from dfa_lab.utils import randn_like_global_batch
from ..losses import PriorKLLoss
from .base import BaseAligner, build_decoder, check_loss_weight


@MODELS.register_module()
class DFA(BaseAligner):
    """Gaussian-guided latent alignment through a weight-tied decoder.

    - Source term (eq. 17): ``alpha * L_kld(G(x_s), z_n)``, pulling the
      source latents towards the prior ``N(0, I)``; with
      ``source_guidance='decoded'``, ``alpha * L_dal(D(G(x_s)), D(z_n))``
      (two-sided guidance, beyond the paper).
    - Target term (eq. 18): ``beta * L_dal(D(G(x_t)), D(z_n))``, with
      ``z_n ~ N(0, I)`` drawn in the latent's shape and both latents decoded
      in one decoder call with the max-pool indices of the target pass. The
      paper's ``L_dal`` is ``mean |D(G(x_t)) - D(z_n)|``
      (``loss_dal=dict(type='DistributionAlignmentLoss')``, the default);
      ``EnergyDistanceLoss`` and ``SlicedWassersteinLoss`` are forms
      beyond the paper that, unlike it, are not minimised by a constant
      decoded image. The gradient reaches the encoder through both decoded
      branches (the decoder's convolutions are the encoder's) and the
      decoder's own BatchNorms.

    Every adapter calls these at its aligner hook points: DFA-ENT is
    ``ENT`` with this aligner (eq. 20), DFA-MCD is ``MCD`` with it
    (Algorithm 1).

    Besides the weighted losses, every call logs the unweighted terms
    (``dfa/kld``, ``dfa/dal``) and, at the target hook, what shows whether
    the decoder still decodes anything: ``dfa/zero_fraction`` (the share of
    the elements of ``D(G(x_t))`` that are exactly 0; near 1 the decoder
    has collapsed to a blank image), ``dfa/decoded_std`` (the standard
    deviation of ``D(G(x_t))`` over the batch, averaged over elements: 0
    when every target decodes to the same image) and the mean and standard
    deviation of the target latent (``dfa/target_latent_mean``,
    ``dfa/target_latent_std``).

    In a distributed run each rank takes its own rows of one prior draw for
    the global batch, so ranks never share noise and ``N`` ranks with
    ``B / N`` samples each draw what one process with ``B`` samples draws.

    Args:
        backbone: The adapter's backbone (passed by the adapter).
        decoder: Options of the decoder that mirrors ``backbone`` (its
            ``decoder_type``): ``tied=False`` gives the untied ablation;
            ``bn_affine``, ``shared_bn_statistics`` and ``residual_block``
            are described by the decoder.
        alpha: Weight of the source term: ``L_kld``, or with
            ``source_guidance='decoded'`` the decoded source-to-prior
            distance.
        beta: Weight of ``L_dal``.
        kl_mode: ``'softmax'`` (the authors' code), ``'gaussian'`` (eq. 17's
            direction) or ``'gaussian_reverse'``; see
            :class:`~dfa_lab.models.losses.PriorKLLoss`.
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``
            (of the Gaussian before rectification for
            ``prior='rectified_gaussian'``).
        prior: ``'gaussian'``, the paper's ``z_n ~ N(0, prior_std^2 I)``,
            or ``'rectified_gaussian'``, ``z_n = max(0, u)`` with ``u ~
            N(prior_mean, prior_std^2 I)``: a prior beyond the paper that a
            latent made by a ReLU (and max-pool) can reach, non-negative and
            with exact zeros, of a fixed scale the encoder cannot move.
        prior_mean: Mean of ``u`` for ``prior='rectified_gaussian'``; 0
            gives half zeros.
        source_guidance: ``'prior_kl'``, the paper's ``alpha * L_kld`` of
            eq. 17, or ``'decoded'``, two-sided guidance beyond the paper:
            ``alpha * loss_dal(D(G(x_s)), D(z_n))``, the source latents
            pulled to the prior by the same distance as the target's, in
            the decoded space, both decoded with the source pass's pooling
            indices.
        loss_dal: Config of the distance between a decoded latent batch
            and the decoded prior batch, without ``loss_weight`` (that is
            ``beta``, and ``alpha`` for decoded source guidance).
        init_cfg: mmengine initialisation config.
    """

    priors = ('gaussian', 'rectified_gaussian')
    source_guidances = ('prior_kl', 'decoded')

    def __init__(self,
                 backbone: nn.Module,
                 decoder: Optional[dict] = None,
                 alpha: float = 0.01,
                 beta: float = 10.0,
                 kl_mode: str = 'softmax',
                 prior_std: float = 1.0,
                 prior: str = 'gaussian',
                 prior_mean: float = 0.0,
                 source_guidance: str = 'prior_kl',
                 loss_dal: dict = dict(type='DistributionAlignmentLoss'),
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.alpha = check_loss_weight('DFA', 'alpha', alpha)
        self.beta = check_loss_weight('DFA', 'beta', beta)
        if 'loss_weight' in loss_dal:
            raise ValueError(
                'DFA weights loss_dal with beta; remove loss_weight from '
                f'loss_dal={loss_dal!r} and set beta instead.')
        if prior not in self.priors:
            raise ValueError(
                f'DFA prior must be one of {self.priors}, got {prior!r}.')
        if source_guidance not in self.source_guidances:
            raise ValueError('DFA source_guidance must be one of '
                             f'{self.source_guidances}, got '
                             f'{source_guidance!r}.')
        self.decoder = build_decoder(backbone, decoder)
        self.prior_kl = PriorKLLoss(mode=kl_mode, prior_std=prior_std)
        self.alignment = MODELS.build(loss_dal)
        self.prior_std = prior_std
        self.prior = prior
        self.prior_mean = prior_mean
        self.source_guidance = source_guidance

    def sample_prior(self, latent: Tensor) -> Tensor:
        """``z_n`` in the shape of ``latent``: ``N(0, prior_std^2 I)``, or
        ``max(0, N(prior_mean, prior_std^2 I))`` for the rectified prior.

        In a distributed run each rank takes its own rows of one draw for
        the joint batch (:func:`~dfa_lab.utils.randn_like_global_batch`):
        ranks get different noise, and the noise of every sample is the one
        a single process would draw for it.
        """
        noise = randn_like_global_batch(latent) * self.prior_std
        if self.prior == 'rectified_gaussian':
            return (noise + self.prior_mean).clamp_min(0)
        return noise

    def source_losses(
            self,
            encoded: EncoderOutput,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if self.source_guidance == 'decoded':
            decoded_source, decoded_prior = self.decode_with_prior(encoded)
            distance = self.alignment(decoded_source, decoded_prior)
            return {
                'loss_dal_source': self.alpha * distance,
                'dfa/dal_source': distance.detach()
            }
        latent = encoded.latent
        kld = self.prior_kl(latent, self.sample_prior(latent))
        return {'loss_kld': self.alpha * kld, 'dfa/kld': kld.detach()}

    def decode_with_prior(self,
                          encoded: EncoderOutput) -> Tuple[Tensor, Tensor]:
        """``D(G(x))`` and ``D(z_n)``, decoded together with the pooling
        indices of the pass ``encoded`` (the target pass at the target hook,
        the source pass for decoded source guidance)."""
        latent = encoded.latent
        both = torch.cat([latent, self.sample_prior(latent)])
        decoded_latent, decoded_prior = self.decoder(
            both, encoded, branches=2).chunk(2)
        return decoded_latent, decoded_prior

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        decoded_target, decoded_prior = self.decode_with_prior(encoded)
        dal = self.alignment(decoded_target, decoded_prior)
        losses = {'loss_dal': self.beta * dal}
        with torch.no_grad():
            latent = encoded.latent
            losses.update({
                'dfa/dal':
                dal.detach(),
                'dfa/zero_fraction': (decoded_target == 0).float().mean(),
                'dfa/decoded_std':
                decoded_target.std(dim=0, correction=0).mean(),
                'dfa/target_latent_mean':
                latent.mean(),
                'dfa/target_latent_std':
                latent.std(correction=0),
            })
        return losses
