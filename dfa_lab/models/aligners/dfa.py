"""Discriminative Feature Alignment (Wang et al., 2021)."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from ..losses import DistributionAlignmentLoss, PriorKLLoss
from .base import BaseAligner


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
        decoder: Config of the decoder, built on ``backbone``;
            ``tied=False`` gives the untied ablation.
        alpha: Weight of ``L_kld``.
        beta: Weight of ``L_dal``.
        kl_mode: ``'softmax'`` (the authors' code) or ``'gaussian'``; see
            :class:`~dfa_lab.models.losses.PriorKLLoss`.
        prior_std: Standard deviation of the prior ``N(0, prior_std^2 I)``.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 backbone: nn.Module,
                 decoder: dict = dict(type='DigitDecoder'),
                 alpha: float = 0.01,
                 beta: float = 10.0,
                 kl_mode: str = 'softmax',
                 prior_std: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        self.decoder = MODELS.build(decoder, default_args=dict(encoder=backbone))
        self.loss_kld = PriorKLLoss(
            mode=kl_mode, prior_std=prior_std, loss_weight=alpha)
        self.loss_dal = DistributionAlignmentLoss(loss_weight=beta)
        self.prior_std = prior_std

    def sample_prior(self, latent: Tensor) -> Tensor:
        """``z_n ~ N(0, prior_std^2 I)`` in the shape of ``latent``."""
        return torch.randn_like(latent) * self.prior_std

    def source_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        latent = encoded.latent
        return {'loss_kld': self.loss_kld(latent, self.sample_prior(latent))}

    def target_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        decoded_target = self.decoder(encoded.latent, encoded)
        decoded_prior = self.decoder(
            self.sample_prior(encoded.latent), encoded)
        return {'loss_dal': self.loss_dal(decoded_target, decoded_prior)}
