"""Discriminative Feature Alignment (Wang et al., 2021)."""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from dfa_lab.utils import randn_like_global_batch
from ..losses import DistributionAlignmentLoss, PriorKLLoss
from .base import BaseAligner, build_decoder


@MODELS.register_module()
class DFA(BaseAligner):
    """Gaussian-guided latent alignment through a weight-tied decoder.

    - Source term (eq. 17): ``alpha * L_kld(G(x_s), z_n)``, pulling the
      source latents towards the prior ``N(0, I)``.
    - Target term (eq. 18): ``beta * L_dal = beta * mean |D(G(x_t)) -
      D(z_n)|``, with ``z_n ~ N(0, I)`` drawn in the latent's shape and both
      latents decoded with the max-pool indices of the same target pass.
      The gradient reaches the encoder through both decoded branches (the
      decoder's convolutions are the encoder's) and the decoder's own
      BatchNorms.

    Every adapter calls these at its aligner hook points: DFA-ENT is
    ``ENT`` with this aligner (eq. 20), DFA-MCD is ``MCD`` with it
    (Algorithm 1).

    Args:
        backbone: The adapter's backbone (passed by the adapter).
        decoder: Options of the decoder that mirrors ``backbone`` (its
            ``decoder_type``); ``tied=False`` gives the untied ablation.
        alpha: Weight of ``L_kld``.
        beta: Weight of ``L_dal``.
        kl_mode: ``'softmax'`` (the authors' code) or ``'gaussian'``; see
            :class:`~dfa_lab.models.losses.PriorKLLoss`.
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``.
        dal_from_previous_iteration: Reproduce the authors' object code
            (DFA-ENT and DFA-SAFN on ResNet-50): ``L_dal`` is computed from
            the decoded target and prior batches of the *previous* call,
            decoded without a graph, so it carries no gradient at all and
            only its value is logged (the first call gives 0). Training is
            then that of ``beta=0``. ``False`` (the default) is the paper's
            method.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 backbone: nn.Module,
                 decoder: Optional[dict] = None,
                 alpha: float = 0.01,
                 beta: float = 10.0,
                 kl_mode: str = 'softmax',
                 prior_std: float = 1.0,
                 dal_from_previous_iteration: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.decoder = build_decoder(backbone, decoder)
        self.loss_kld = PriorKLLoss(
            mode=kl_mode, prior_std=prior_std, loss_weight=alpha)
        self.loss_dal = DistributionAlignmentLoss(loss_weight=beta)
        self.prior_std = prior_std
        self.dal_from_previous_iteration = dal_from_previous_iteration
        self._previous_decoded: Optional[Tuple[Tensor, Tensor]] = None

    def sample_prior(self, latent: Tensor) -> Tensor:
        """``z_n ~ N(0, prior_std^2 I)`` in the shape of ``latent``.

        In a distributed run each rank takes its own rows of one draw for
        the joint batch (:func:`~dfa_lab.utils.randn_like_global_batch`):
        ranks get different noise, and the noise of every sample is the one
        a single process would draw for it.
        """
        return randn_like_global_batch(latent) * self.prior_std

    def source_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        latent = encoded.latent
        return {'loss_kld': self.loss_kld(latent, self.sample_prior(latent))}

    def decode_target_and_prior(
            self, encoded: EncoderOutput) -> Tuple[Tensor, Tensor]:
        """``D(G(x_t))`` and ``D(z_n)``, both unpooled with the indices of
        the target pass ``encoded``."""
        decoded_target = self.decoder(encoded.latent, encoded)
        decoded_prior = self.decoder(
            self.sample_prior(encoded.latent), encoded)
        return decoded_target, decoded_prior

    def target_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        if not self.dal_from_previous_iteration:
            return {
                'loss_dal':
                self.loss_dal(*self.decode_target_and_prior(encoded))
            }
        with torch.no_grad():
            current = self.decode_target_and_prior(encoded)
        previous, self._previous_decoded = self._previous_decoded, current
        if previous is None:
            return {'loss_dal': encoded.latent.new_zeros(())}
        return {'loss_dal': self.loss_dal(*previous)}
