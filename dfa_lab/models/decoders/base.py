"""What the weight-tied decoders share: decoding several latents in one
pass, and how their BatchNorms normalise them."""
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.model import BaseModule
from torch import Tensor, nn


class BaseDecoder(BaseModule):
    """Base of the decoders ``D`` that mirror a backbone (eq. 13-15).

    A decoder maps latents of the backbone's shape back to images,
    unpooling with the max-pool indices of one encoder pass. DFA decodes
    two latents with the same pass, the target latent ``G(x_t)`` and the
    prior sample ``z_n`` (eq. 18); it stacks them along the batch and
    decodes them in **one** call with ``branches=2``, so that every
    convolution runs once over both. Each branch is still normalised on
    its own: a decoder BatchNorm normalises each block of ``B`` rows with
    that block's batch statistics, exactly as two separate calls would
    (:meth:`normalize`).

    Two options change what the BatchNorms can do; they target the escape
    that lets ``L_dal`` vanish without aligning anything (see the collapse
    section of ``docs/method.md``):

    - ``bn_affine=False`` removes the learned scale and shift, so the
      decoder cannot shrink its own output to a constant image;
    - ``shared_bn_statistics=True`` normalises every branch with the batch
      statistics of the *first* branch (the decoded target in DFA), so the
      prior branch is compared on the target's scale instead of being
      standardised on its own.

    Subclasses set :attr:`mirrors`, the backbone class they invert.

    Args:
        encoder: The backbone to mirror. It is referenced, not registered as
            a submodule: its parameters stay the backbone's alone.
        bn_affine: Give the decoder's BatchNorms a learned scale and shift.
        shared_bn_statistics: Normalise every branch with the first
            branch's batch statistics.
        init_cfg: mmengine initialisation config.
    """

    #: The backbone class this decoder inverts.
    mirrors: type = nn.Module

    def __init__(self,
                 encoder: nn.Module,
                 bn_affine: bool = True,
                 shared_bn_statistics: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(encoder, self.mirrors):
            raise TypeError(f'{type(self).__name__} mirrors a '
                            f'{self.mirrors.__name__} backbone, got '
                            f'{type(encoder).__name__}.')
        self.bn_affine = bn_affine
        self.shared_bn_statistics = shared_bn_statistics

    def batch_norm(self, channels: int) -> nn.BatchNorm2d:
        """A decoder-own BatchNorm over ``channels``."""
        return nn.BatchNorm2d(channels, affine=self.bn_affine)

    def normalize(self, bn: nn.Module, x: Tensor, branches: int) -> Tensor:
        """Apply the decoder BatchNorm ``bn`` to ``branches`` stacked
        batches.

        In training, each of the ``branches`` equal blocks of rows of ``x``
        is normalised with its own batch statistics (as if decoded in a
        call of its own), or, with ``shared_bn_statistics``, every block
        with the first block's, whose statistics alone update the running
        estimates. In evaluation the running estimates normalise every row.
        ``bn`` may be a ``SyncBatchNorm`` (mmengine's ``sync_bn``): the
        statistics then cover the first block of every rank.
        """
        if branches == 1 or not (bn.training or bn.running_mean is None):
            return bn(x)
        if x.shape[0] % branches:
            raise ValueError(
                f'Cannot split a batch of {x.shape[0]} rows into {branches} '
                'equal branches.')
        blocks = x.chunk(branches)
        if not self.shared_bn_statistics:
            return torch.cat([bn(block) for block in blocks])
        return self._normalize_with_first_block(bn, x, blocks[0])

    @staticmethod
    def _normalize_with_first_block(bn: nn.Module, x: Tensor,
                                    first: Tensor) -> Tensor:
        dims = [0, *range(2, first.dim())]
        count = first.numel() // first.shape[1]
        if isinstance(bn, nn.SyncBatchNorm) and dist.is_available() \
                and dist.is_initialized():
            # Gradients flow through the reduction: every rank's loss
            # depends on every rank's first block.
            import torch.distributed.nn.functional as dist_fn
            world = dist.get_world_size()
            mean = dist_fn.all_reduce(first.mean(dims)) / world
            mean_sq = dist_fn.all_reduce(first.pow(2).mean(dims)) / world
            var = (mean_sq - mean.pow(2)).clamp_min(0)
            count *= world
        else:
            mean = first.mean(dims)
            var = first.var(dims, unbiased=False)
        with torch.no_grad():
            bn.num_batches_tracked.add_(1)
            momentum = bn.momentum if bn.momentum is not None \
                else 1 / float(bn.num_batches_tracked)
            bn.running_mean.lerp_(mean.detach(), momentum)
            bn.running_var.lerp_(var.detach() * count / max(count - 1, 1),
                                 momentum)
        shape = (1, -1) + (1, ) * (first.dim() - 2)
        out = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + bn.eps)
        if bn.affine:
            out = out * bn.weight.view(shape) + bn.bias.view(shape)
        return out
