"""The interface every latent aligner (DFA and its ablations) implements."""
from typing import Dict, Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


def build_decoder(backbone: nn.Module, decoder: Optional[dict] = None
                  ) -> nn.Module:
    """Build the decoder that mirrors ``backbone``.

    Args:
        backbone: The encoder. Its ``decoder_type`` names the decoder that
            mirrors it.
        decoder: Options of the decoder (``tied``, ``bn_affine``, ...), and
            a ``type`` only to use another decoder than the backbone's own.
    """
    cfg = dict(decoder or {})
    if 'type' not in cfg:
        if not hasattr(backbone, 'decoder_type'):
            raise TypeError(
                f'{type(backbone).__name__} names no decoder (no '
                '`decoder_type` attribute): give the aligner '
                "decoder=dict(type=...).")
        cfg['type'] = backbone.decoder_type
    return MODELS.build(cfg, default_args=dict(encoder=backbone))


class BaseAligner(BaseModule):
    """A regulariser that adapters call at two fixed hook points.

    - ``domain='source'``: wherever an adapter computes its source losses
      (e.g. the prior KL ``alpha * L_kld`` of eq. 17 in DFA).
    - ``domain='target'``: wherever an adapter updates the generator on
      target data (e.g. ``beta * L_dal`` of eq. 18 in DFA).

    Adapters call the aligner through ``forward`` (not a named method) so
    that it runs through a distributed wrapper when one is present.

    Args:
        backbone: The adapter's backbone. Adapters pass it when they build
            the aligner; aligners with a weight-tied decoder build the
            decoder on it. It is not registered as a submodule, so its
            parameters stay the backbone's alone.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, backbone: Optional[nn.Module] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)

    def forward(self, encoded: EncoderOutput, domain: str) -> Dict[str, Tensor]:
        """Losses of the aligner for one encoder pass.

        Args:
            encoded: The encoder's output on a source or a target batch.
            domain: ``'source'`` or ``'target'``.

        Returns:
            Named loss tensors; names contain ``loss`` so that mmengine sums
            them into the total loss.
        """
        if domain == 'source':
            return self.source_losses(encoded)
        if domain == 'target':
            return self.target_losses(encoded)
        raise ValueError(f"domain must be 'source' or 'target', got {domain!r}")

    def source_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        """Losses added to the adapter's source objective."""
        raise NotImplementedError

    def target_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        """Losses added to the adapter's target (generator) objective."""
        raise NotImplementedError
