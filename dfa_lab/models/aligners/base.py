"""The interface every latent aligner (DFA and its ablations) implements."""
from typing import Dict, Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


def build_decoder(backbone: nn.Module,
                  decoder: Optional[dict] = None) -> nn.Module:
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
            raise TypeError(f'{type(backbone).__name__} names no decoder (no '
                            '`decoder_type` attribute): give the aligner '
                            "decoder=dict(type=...).")
        cfg['type'] = backbone.decoder_type
    return MODELS.build(cfg, default_args=dict(encoder=backbone))


def check_loss_weight(aligner: str, name: str, value) -> float:
    """``value`` as the weight ``name`` of a loss term of ``aligner``.

    Raises:
        TypeError: ``value`` is not a number.
        ValueError: ``value`` is negative: the adapter would maximise the
            term instead of minimising it.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{aligner} {name} must be a number, got {value!r}.')
    if not value >= 0:
        raise ValueError(
            f'{aligner} {name} (model.aligner.{name}) must be a non-negative '
            f'weight, got {value!r}: a negative one flips the sign of its '
            'loss term, which training would then maximise.')
    return float(value)


class BaseAligner(BaseModule):
    """A regulariser that adapters call at two fixed hook points.

    - ``domain='source'``: wherever an adapter computes its source losses
      (e.g. the prior KL ``alpha * L_kld`` of eq. 17 in DFA), with the
      source pass.
    - ``domain='target'``: wherever an adapter updates the generator on
      target data (e.g. ``beta * L_dal`` of eq. 18 in DFA), with the target
      pass and, where the adapter has one, the source pass of the same
      update. Aligners whose target term compares the two domains set
      :attr:`needs_source_pass`; an adapter that has no source pass at its
      target hook (MCD's generator step) refuses such an aligner when it is
      built.

    Adapters call the aligner through ``forward`` (not a named method) so
    that it runs through a distributed wrapper when one is present. Keys of
    the returned dict that contain ``loss`` are summed into the objective;
    the others (e.g. ``dfa/zero_fraction``) are only logged.

    Args:
        backbone: The adapter's backbone. Adapters pass it when they build
            the aligner; aligners with a weight-tied decoder build the
            decoder on it. It is not registered as a submodule, so its
            parameters stay the backbone's alone.
        init_cfg: mmengine initialisation config.
    """

    #: Whether :meth:`target_losses` needs the source pass of the update.
    needs_source_pass: bool = False

    def __init__(self,
                 backbone: Optional[nn.Module] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)

    def forward(self,
                encoded: EncoderOutput,
                domain: str,
                source: Optional[EncoderOutput] = None) -> Dict[str, Tensor]:
        """Losses of the aligner at one hook point.

        Args:
            encoded: The encoder's output on the source batch
                (``domain='source'``) or on the target batch
                (``domain='target'``).
            domain: ``'source'`` or ``'target'``.
            source: At the target hook, the source pass of the same update,
                or None where the adapter has none.

        Returns:
            Named tensors: losses (names containing ``loss``) and logged
            diagnostics.
        """
        if domain == 'source':
            return self.source_losses(encoded)
        if domain != 'target':
            raise ValueError(
                f"domain must be 'source' or 'target', got {domain!r}")
        if self.needs_source_pass:
            if source is None:
                raise RuntimeError(
                    f"{type(self).__name__}'s target term compares the "
                    'target pass with the source pass of the same update; '
                    "call aligner(target, 'target', source=source_pass).")
            if source.latent.requires_grad != encoded.latent.requires_grad:
                raise RuntimeError(
                    f'{type(self).__name__} got a source pass '
                    f"{'with' if source.latent.requires_grad else 'without'}"
                    ' an autograd graph and a target pass '
                    f"{'with' if encoded.latent.requires_grad else 'without'}"
                    ' one: both must come from the same update.')
        return self.target_losses(encoded, source)

    def source_losses(self, encoded: EncoderOutput) -> Dict[str, Tensor]:
        """Losses added to the adapter's source objective."""
        raise NotImplementedError

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None) -> Dict[str, Tensor]:
        """Losses added to the adapter's target (generator) objective.

        Args:
            encoded: The target pass.
            source: The source pass of the same update; never None when
                :attr:`needs_source_pass` is set.
        """
        raise NotImplementedError
