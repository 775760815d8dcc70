"""Prior noise of a distributed batch: each rank its own rows of one draw."""
import torch

import dfa_lab.utils.dist as dist_utils
from dfa_lab.registry import MODELS
from dfa_lab.utils import randn_like_global_batch


def draw(monkeypatch, rank, world_size, like):
    monkeypatch.setattr(dist_utils, 'get_dist_info', lambda:
                        (rank, world_size))
    torch.manual_seed(0)
    return randn_like_global_batch(like)


def test_single_process_draw_is_randn_like(monkeypatch):
    latent = torch.zeros(6, 48, 4,
                         4).contiguous(memory_format=torch.channels_last)
    torch.manual_seed(0)
    expected = torch.randn_like(latent)
    assert torch.equal(draw(monkeypatch, 0, 1, latent), expected)
    torch.manual_seed(0)
    expected = torch.randn(6, 10)
    assert torch.equal(draw(monkeypatch, 0, 1, torch.zeros(6, 10)), expected)


def test_ranks_take_their_rows_of_the_joint_draw(monkeypatch):
    latent = torch.zeros(8, 48, 4,
                         4).contiguous(memory_format=torch.channels_last)
    joint = draw(monkeypatch, 0, 1, latent)
    # Rank r holds samples r, r + 2, ... of the joint batch (UDAPairSampler).
    shares = [draw(monkeypatch, rank, 2, latent[:4]) for rank in range(2)]
    assert not torch.equal(shares[0], shares[1])
    for rank in range(2):
        assert shares[rank].shape == (4, 48, 4, 4)
        assert torch.equal(shares[rank], joint[rank::2])


def test_dfa_prior_samples_follow_the_ranks(monkeypatch):
    backbone = MODELS.build(dict(type='DigitCNN'))
    dfa = MODELS.build(dict(type='DFA', prior_std=2.0, backbone=backbone))
    latent = backbone(torch.zeros(4, 1, 28, 28)).latent
    monkeypatch.setattr(dist_utils, 'get_dist_info', lambda: (1, 2))
    torch.manual_seed(0)
    noise = dfa.sample_prior(latent[:2])
    monkeypatch.setattr(dist_utils, 'get_dist_info', lambda: (0, 1))
    torch.manual_seed(0)
    assert torch.equal(noise, dfa.sample_prior(latent)[1::2])
