"""The latent-alignment variants of the paper's ablation study (Table 8).

Each row of Table 8 trains the ENT host (``L_cls + L_ent``) with one way
of aligning the latents; the rows are aligners here, named in
``configs/ablations``:

=====================================  =====================================
Table 8 row                            aligner
=====================================  =====================================
``L_kld + L_dal`` (DFA)                :class:`~dfa_lab.models.aligners.DFA`
DFA, untied decoder                    ``DFA``, ``decoder.tied=False``
target KL to the prior (in the text)   :class:`PriorKLAligner`, ``beta`` set
``L_daldir``                           :class:`DALDir`
``L_kld`` alone                        :class:`PriorKLAligner`
``L_klldir``                           :class:`KLLDir`
``L_klldir + L_recon``                 :class:`KLLDir`, ``recon_weight`` set
=====================================  =====================================

Throughout, ``alpha`` weights the term at the source hook, ``beta`` the
alignment term at the target hook (where DFA has ``beta * L_dal``), and
``recon_weight`` the reconstruction term.
"""
from typing import Dict, Optional

from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from ..losses import (DistributionAlignmentLoss, LatentKLLoss, PriorKLLoss,
                      ReconstructionLoss)
from .base import BaseAligner, build_decoder, check_loss_weight


@MODELS.register_module()
class PriorKLAligner(BaseAligner):
    """Latents pulled to the prior ``N(0, I)`` by KL alone, no decoder.

    - Source term: ``alpha * L_kld(G(x_s))`` (eq. 17), as in DFA.
    - Target term: ``beta * L_kld(G(x_t))`` when ``beta`` is given: the
      target latents are pulled to the prior by the same KL in place of
      DFA's ``beta * L_dal`` (the variant the paper mentions beside Table 8
      as less effective); none when ``beta`` is None (Table 8's "``L_kld``
      alone").

    Args:
        backbone: The adapter's backbone (passed by the adapter; unused:
            there is no decoder).
        alpha: Weight of the source KL.
        beta: Weight of the target KL, or None for no target term.
        kl_mode: ``'softmax'`` (the authors' code, as DFA's default) or
            ``'gaussian'`` or ``'gaussian_reverse'``; see
            :class:`~dfa_lab.models.losses.PriorKLLoss`.
            Both terms use it.
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 backbone: Optional[nn.Module] = None,
                 alpha: float = 0.01,
                 beta: Optional[float] = None,
                 kl_mode: str = 'softmax',
                 prior_std: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.loss_kld = PriorKLLoss(
            mode=kl_mode,
            prior_std=prior_std,
            loss_weight=check_loss_weight('PriorKLAligner', 'alpha', alpha))
        self.loss_kld_target = None if beta is None else PriorKLLoss(
            mode=kl_mode,
            prior_std=prior_std,
            loss_weight=check_loss_weight('PriorKLAligner', 'beta', beta))

    def source_losses(
            self,
            encoded: EncoderOutput,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        return {'loss_kld': self.loss_kld(encoded.latent)}

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if self.loss_kld_target is None:
            return {}
        return {'loss_kld_target': self.loss_kld_target(encoded.latent)}


@MODELS.register_module()
class DALDir(BaseAligner):
    """``L_daldir`` (Table 8): the DAL with the decoded source in place of
    the decoded prior sample, and no prior at all.

    - Source term: none.
    - Target term: ``beta * mean |D(G(x_t)) - D(G(x_s))|``, the unpaired
      L1 of eq. 18 (:class:`~dfa_lab.models.losses.DistributionAlignmentLoss`)
      between decoded target and decoded source latents of the same step.

    Each branch is decoded with the max-pool indices of its own pass:
    ``D(G(x_s))`` with the source pass's, ``D(G(x_t))`` with the target
    pass's, so each is the weight-tied mirror of the pass that produced it
    (DFA instead decodes the prior sample, which has no pass of its own,
    with the target's). The two branches go through the decoder in separate
    calls, since their pooling indices differ, so its BatchNorms normalise
    each domain with that domain's batch statistics, as DFA's two branches
    are. The gradient reaches the encoder through both branches and the
    tied weights.

    Args:
        backbone: The adapter's backbone (passed by the adapter).
        decoder: Options of the decoder that mirrors ``backbone``.
        beta: Weight of ``L_daldir``.
        init_cfg: mmengine initialisation config.
    """

    needs_source_pass = True

    def __init__(self,
                 backbone: nn.Module,
                 decoder: Optional[dict] = None,
                 beta: float = 10.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.decoder = build_decoder(backbone, decoder)
        self.loss_daldir = DistributionAlignmentLoss(
            loss_weight=check_loss_weight('DALDir', 'beta', beta))

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if source.latent.shape != encoded.latent.shape:
            # The L1 compares the decoded batches sample by sample (by
            # index, with no pairing meant), which needs equal batches.
            raise ValueError(
                'L_daldir compares equally sized source and target batches, '
                f'got latents {tuple(source.latent.shape)} and '
                f'{tuple(encoded.latent.shape)}.')
        decoded_source = self.decoder(source.latent, source)
        decoded_target = self.decoder(encoded.latent, encoded)
        return {
            'loss_daldir': self.loss_daldir(decoded_target, decoded_source)
        }


@MODELS.register_module()
class KLLDir(BaseAligner):
    """``L_klldir`` (Table 8), optionally with ``L_recon``: align the target
    latent distribution with the source one directly, with no prior.

    - Target term: ``beta * L_klldir``, the closed-form ``KL(N_t || N_s)``
      between diagonal Gaussians fitted to the target batch and to the
      source batch of the same update
      (:func:`~dfa_lab.models.losses.gaussian_latent_kl`); the gradient
      reaches the encoder through both batches.
    - With ``recon_weight`` (Table 8's "``L_klldir + L_recon``"): a paired
      autoencoder reconstruction of each domain through the decoder,
      ``recon_weight * mean |D(G(x)) - x|``, at the source hook for
      ``x_s`` and at the target hook for ``x_t``, each decoded with its
      own pass's max-pool indices, against the inputs that pass read
      (``EncoderOutput.inputs``). The digit
      decoder ends in a ReLU, so it cannot produce the negative pixels of
      inputs normalised to ``[-1, 1]``: those keep a floor under the loss.

    Args:
        backbone: The adapter's backbone (passed by the adapter).
        beta: Weight of ``L_klldir``.
        recon_weight: Weight of ``L_recon``, or None for no reconstruction
            (and no decoder).
        decoder: Options of the decoder that mirrors ``backbone``, built
            when ``recon_weight`` is given.
        init_cfg: mmengine initialisation config.
    """

    needs_source_pass = True

    def __init__(self,
                 backbone: Optional[nn.Module] = None,
                 beta: float = 10.0,
                 recon_weight: Optional[float] = None,
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.loss_klldir = LatentKLLoss(
            loss_weight=check_loss_weight('KLLDir', 'beta', beta))
        self.reconstructs = recon_weight is not None
        if self.reconstructs:
            self.decoder = build_decoder(backbone, decoder)
            self.loss_recon = ReconstructionLoss(
                loss_weight=check_loss_weight('KLLDir', 'recon_weight',
                                              recon_weight))

    def reconstruction_losses(self, encoded: EncoderOutput,
                              domain: str) -> Dict[str, Tensor]:
        """``loss_recon_<domain>`` of one pass, or none without
        reconstruction."""
        if not self.reconstructs:
            return {}
        if encoded.inputs is None:
            raise ValueError(
                'L_recon compares a decoding with the encoder\'s input; this '
                'backbone does not return it (EncoderOutput.inputs).')
        decoded = self.decoder(encoded.latent, encoded)
        return {
            f'loss_recon_{domain}': self.loss_recon(decoded, encoded.inputs)
        }

    def source_losses(
            self,
            encoded: EncoderOutput,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        return self.reconstruction_losses(encoded, 'source')

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        losses = {
            'loss_klldir': self.loss_klldir(encoded.latent, source.latent)
        }
        losses.update(self.reconstruction_losses(encoded, 'target'))
        return losses
