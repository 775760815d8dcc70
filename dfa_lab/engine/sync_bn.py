"""BatchNorm synchronised over the ranks of a CPU (gloo) process group."""
from typing import Optional

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


class GlooSyncBatchNorm(_BatchNorm):
    """BatchNorm over the whole batch of all ranks, for CPU tensors.

    torch's ``SyncBatchNorm`` runs on GPUs only (and DDP refuses it in a CPU
    model). In training, in a process group of several ranks, this layer
    normalises with the mean and variance of the whole batch over all ranks,
    as torch's layer does on GPUs: every rank sends its share's size, mean
    and (biased) variance in one differentiable all-reduce, and the batch
    statistics are combined exactly (``var = sum_r n_r (var_r + (mean_r -
    mean)^2) / n``). The gradient flows back through the reduction, so with
    the ranks' gradients averaged by DDP every parameter receives the
    gradient of the whole batch. The running statistics are updated from
    the whole batch, hence stay the same on every rank. In evaluation, or
    in a single process, it is plain BatchNorm.

    :class:`~dfa_lab.engine.SeparateDistributedDataParallel` puts it in
    place of torch's SyncBatchNorm on machines without CUDA, so that the
    config key ``sync_bn = 'torch'`` works on CPU too.

    Args:
        num_features: Number of channels.
        eps, momentum, affine, track_running_stats: See ``BatchNorm2d``.
        process_group: The ranks to synchronise; all by default.
    """

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 process_group=None):
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(
                f'expected at least 2-D input (got {input.dim()}-D input)')

    def forward(self, input: Tensor) -> Tensor:
        group = self.process_group or (dist.group.WORLD if dist.is_available()
                                       and dist.is_initialized() else None)
        if not self.training or group is None or \
                dist.get_world_size(group) == 1:
            return super().forward(input)
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        world_size = dist.get_world_size(group)

        channels = input.shape[1]
        dims = [0] + list(range(2, input.dim()))
        var, mean = torch.var_mean(input, dim=dims, correction=0)
        count = input.new_full((1, ), input.numel() / channels)
        local = torch.cat([mean, var, count])
        rank = dist.get_rank(group)
        # Row r holds rank r's statistics once every rank has added its own.
        rows = [
            local if r == rank else torch.zeros_like(local)
            for r in range(world_size)
        ]
        gathered = _SumOverRanks.apply(torch.stack(rows), group)
        means = gathered[:, :channels]
        variances = gathered[:, channels:2 * channels]
        counts = gathered[:, 2 * channels:]
        total = counts.sum()
        shares = counts / total
        mean = (shares * means).sum(0)
        var = (shares * (variances + (means - mean)**2)).sum(0)

        if self.track_running_stats:
            with torch.no_grad():
                self.running_mean.lerp_(mean.detach(), factor)
                self.running_var.lerp_(var.detach() * total / (total - 1),
                                       factor)
        shape = (1, channels) + (1, ) * (input.dim() - 2)
        out = (input -
               mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


class _SumOverRanks(torch.autograd.Function):
    """Sum over the ranks; the gradient of every rank's input is the sum of
    the ranks' output gradients."""

    @staticmethod
    def forward(ctx, tensor: Tensor, group) -> Tensor:
        ctx.group = group
        total = tensor.clone()
        dist.all_reduce(total, group=group)
        return total

    @staticmethod
    def backward(ctx, grad: Tensor):
        grad = grad.clone()
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


def use_gloo_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``torch.nn.SyncBatchNorm`` below ``module`` by a
    :class:`GlooSyncBatchNorm` holding the same parameters and buffers."""
    for name, child in module.named_children():
        if type(child) is nn.SyncBatchNorm:
            replacement = GlooSyncBatchNorm(child.num_features, child.eps,
                                            child.momentum, child.affine,
                                            child.track_running_stats,
                                            child.process_group)
            for key, param in child.named_parameters(recurse=False):
                setattr(replacement, key, param)
            for key, buffer in child.named_buffers(recurse=False):
                setattr(replacement, key, buffer)
            replacement.train(child.training)
            setattr(module, name, replacement)
        else:
            use_gloo_sync_batchnorm(child)
    return module
