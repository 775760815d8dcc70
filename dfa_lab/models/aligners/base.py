"""The interface every latent aligner (DFA and its ablations) implements."""
from typing import Dict, Optional

import torch
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
      :attr:`needs_source_pass`; a host whose generator update has no
      source pass of its own (MCD's step 3) then makes one for the aligner.

    Both hooks also get the labels of the source batch (``source_labels``):
    of ``encoded`` at the source hook, of ``source`` at the target hook.
    Class-conditional aligners use them; the others ignore them.

    Adapters call the aligner through ``forward`` (not a named method) so
    that it runs through a distributed wrapper when one is present. Keys of
    the returned dict that contain ``loss`` are summed into the objective;
    the others (e.g. ``dfa/zero_fraction``) are only logged. Every call
    also logs the scale of the latent it aligns
    (``align/<domain>_latent_rms`` and ``align/<domain>_latent_zeros``, the
    share of exact zeros): an encoder can lower a term measured against a
    scale that follows the latent by shrinking the latent, and these show
    it.

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
                source: Optional[EncoderOutput] = None,
                source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of the aligner at one hook point.

        Args:
            encoded: The encoder's output on the source batch
                (``domain='source'``) or on the target batch
                (``domain='target'``).
            domain: ``'source'`` or ``'target'``.
            source: At the target hook, the source pass of the same update,
                or None where the adapter has none.
            source_labels: The labels of the source batch, where the host
                has them at this hook.

        Returns:
            Named tensors: losses (names containing ``loss``) and logged
            diagnostics.
        """
        if domain not in ('source', 'target'):
            raise ValueError(
                f"domain must be 'source' or 'target', got {domain!r}")
        losses = latent_scale(encoded.latent, domain)
        if domain == 'source':
            losses.update(self.source_losses(encoded, source_labels))
            return losses
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
        losses.update(self.target_losses(encoded, source, source_labels))
        return losses

    def source_losses(
            self,
            encoded: EncoderOutput,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses added to the adapter's source objective; none unless an
        aligner has a source term.

        Args:
            encoded: The source pass.
            source_labels: Its labels, where the host has them.
        """
        return {}

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses added to the adapter's target (generator) objective.

        Args:
            encoded: The target pass.
            source: The source pass of the same update; never None when
                :attr:`needs_source_pass` is set.
            source_labels: The labels of ``source``, where the host has
                them.
        """
        raise NotImplementedError


@torch.no_grad()
def latent_scale(latent: Tensor, domain: str) -> Dict[str, Tensor]:
    """The root mean square of a latent batch and its share of exact
    zeros, named ``align/<domain>_latent_rms`` and
    ``align/<domain>_latent_zeros`` (logged, not losses)."""
    return {
        f'align/{domain}_latent_rms': latent.square().mean().sqrt(),
        f'align/{domain}_latent_zeros': (latent == 0).float().mean(),
    }
