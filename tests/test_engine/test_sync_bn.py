"""GlooSyncBatchNorm in two CPU processes equals BatchNorm on the joint
batch."""
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from dfa_lab.engine import GlooSyncBatchNorm
from dfa_lab.engine.sync_bn import use_gloo_sync_batchnorm


def compare_with_joint_batch(rank, world_size, store, results):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'file://{store}',
        rank=rank,
        world_size=world_size)
    torch.manual_seed(0)
    x = torch.randn(12, 4, 3, 3) * 3 + 2
    weights = torch.randn(12, 4, 3, 3)
    joint = nn.BatchNorm2d(4, momentum=0.3)
    with torch.no_grad():
        joint.weight.uniform_(0.5, 1.5)
        joint.bias.uniform_(-1, 1)
    synced = GlooSyncBatchNorm(4, momentum=0.3)
    synced.load_state_dict(joint.state_dict())
    # Unequal shares (rank 0 gets 8 samples, rank 1 gets 4).
    rows = slice(0, 8) if rank == 0 else slice(8, 12)
    x_joint = x.clone().requires_grad_()
    joint_out = joint(x_joint)
    (joint_out * weights).sum().backward()
    x_rank = x[rows].clone().requires_grad_()
    out = synced(x_rank)
    (out * weights[rows]).sum().backward()
    grads = torch.cat([synced.weight.grad, synced.bias.grad])
    dist.all_reduce(grads)
    results[rank] = dict(
        out=(out - joint_out[rows]).abs().max().item(),
        grad_input=(x_rank.grad - x_joint.grad[rows]).abs().max().item(),
        grad_params=(grads - torch.cat([joint.weight.grad, joint.bias.grad
                                        ])).abs().max().item(),
        running=max(
            (synced.running_mean - joint.running_mean).abs().max(),
            (synced.running_var - joint.running_var).abs().max()).item())
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_normalise_and_differentiate_like_the_joint_batch(tmp_path):
    results = mp.Manager().dict()
    mp.start_processes(
        compare_with_joint_batch,
        args=(2, tmp_path / 'store', results),
        nprocs=2,
        start_method='fork')
    for rank in range(2):
        assert max(results[rank].values()) < 1e-5, results[rank]


def test_replaces_torch_sync_batchnorm_keeping_its_tensors():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.SyncBatchNorm(2))
    weight, running_mean = model[1].weight, model[1].running_mean
    use_gloo_sync_batchnorm(model)
    assert type(model[1]) is GlooSyncBatchNorm
    assert model[1].weight is weight
    assert model[1].running_mean is running_mean
    # Without a process group it is plain BatchNorm.
    x = torch.randn(4, 2, 5, 5)
    reference = nn.BatchNorm2d(2)
    reference.load_state_dict(model[1].state_dict())
    assert torch.allclose(model[1](x), reference(x))
