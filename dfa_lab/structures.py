"""Typed containers passed between dfa_lab's components."""
from typing import NamedTuple, Optional, Tuple

import torch
from torch import Tensor


class EncoderOutput(NamedTuple):
    """What a backbone's forward pass returns.

    Attributes:
        latent: The latent representation ``z = G(x)`` that classifiers read
            (flattened) and aligners align: a feature map ``(B, C, H, W)`` for
            the digit CNNs, a pooled vector ``(B, D)`` for ResNet-50.
        pool_indices: The indices of each max-pool of the pass, in encoder
            order. A weight-tied decoder unpools with them, so decoding any
            latent of the same shape (a prior sample included) needs the
            ``EncoderOutput`` of a real pass over a batch of the same size.
        pool_input_shapes: The shape of each max-pool's input, in encoder
            order, so that unpooling restores odd sizes exactly.
        inputs: The image batch the encoder read. Decoders of encoders that
            pool globally (ResNet-50) derive every intermediate size from
            its ``(H, W)``, so that decoding restores the input's size
            exactly; reconstruction losses compare a decoding with it.
    """

    latent: Tensor
    pool_indices: Tuple[Tensor, ...] = ()
    pool_input_shapes: Tuple[torch.Size, ...] = ()
    inputs: Optional[Tensor] = None

    @property
    def flat(self) -> Tensor:
        """The latent flattened to ``(B, -1)``, the classifiers' input."""
        return self.latent.flatten(1)

    def check_decodable(self, latent: Tensor, branches: int = 1) -> None:
        """Raise unless ``latent`` stacks ``branches`` latents of this
        pass's shape along the batch, so that this pass's pooling indices
        can unpool each of them."""
        expected = (self.latent.shape[0] * branches, *self.latent.shape[1:])
        if tuple(latent.shape) != expected:
            stacked = f' ({branches} stacked latents)' if branches > 1 else ''
            raise ValueError(
                f'Cannot decode a latent of shape {tuple(latent.shape)} with '
                'the pooling indices of an encoder pass of shape '
                f'{tuple(self.latent.shape)}: expected {expected}{stacked}.')
