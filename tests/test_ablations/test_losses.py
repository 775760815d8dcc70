"""L_klldir and L_recon against values and gradients worked out by hand."""
import math

import pytest
import torch

from dfa_lab.registry import MODELS


def test_latent_kl_value_and_gradient():
    target = torch.tensor([[1.0, 0.0], [3.0, 0.5]], requires_grad=True)
    source = torch.tensor([[0.0, 0.0], [2.0, 1.0]], requires_grad=True)
    loss = MODELS.build(dict(type='LatentKLLoss', loss_weight=2.0))(target,
                                                                    source)
    # dim 0: mu_t=2, v_t=1, mu_s=1, v_s=1: 0.5*(log 1 + (1+1)/1 - 1) = 0.5.
    # dim 1: mu_t=.25, v_t=.0625, mu_s=.5, v_s=.25:
    #        0.5*(log 4 + (.0625+.0625)/.25 - 1) = 0.5*(log 4 - 0.5).
    kl = (0.5 + 0.5 * (math.log(4.0) - 0.5)) / 2
    assert loss.item() == pytest.approx(2.0 * kl, rel=1e-6)
    loss.backward()
    # d/dx_t = ((mu_t-mu_s)/v_s + (1/v_s - 1/v_t)(x_t-mu_t)) / B / D:
    # dim 0: (1 + 0)/4 for both; dim 1: (-1 + (-12)(-/+.25))/4 = .5, -1.
    expected_target = torch.tensor([[0.25, 0.5], [0.25, -1.0]])
    assert torch.allclose(target.grad, 2.0 * expected_target, atol=1e-6)
    # d/dx_s = (-(mu_t-mu_s)/v_s + (1/v_s - (v_t+(mu_t-mu_s)^2)/v_s^2)
    #           (x_s-mu_s)) / B / D:
    # dim 0: (-1 + (-1)(-/+1))/4 = 0, -.5; dim 1: (1 + 2(-/+.5))/4 = 0, .5.
    expected_source = torch.tensor([[0.0, 0.0], [-0.5, 0.5]])
    assert torch.allclose(source.grad, 2.0 * expected_source, atol=1e-6)


def test_latent_kl_zero_for_one_distribution_and_checks_shapes():
    kl = MODELS.build(dict(type='LatentKLLoss'))
    latent = torch.randn(6, 3, 2, 2)
    assert kl(latent, latent.clone()).item() == pytest.approx(0.0, abs=1e-6)
    # Batches of different sizes are fine: only their statistics meet.
    assert kl(torch.randn(5, 4), torch.randn(7, 4)).item() > 0
    with pytest.raises(ValueError, match='per-sample shape'):
        kl(torch.randn(4, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match='two samples'):
        kl(torch.randn(1, 3), torch.randn(4, 3))


def test_reconstruction_value_and_gradient():
    decoded = torch.tensor([[1.0, -2.0], [0.0, 4.0]], requires_grad=True)
    inputs = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    loss = MODELS.build(dict(type='ReconstructionLoss',
                             loss_weight=3.0))(decoded, inputs)
    assert loss.item() == pytest.approx(3.0 * (1 + 2 + 1 + 3) / 4)
    loss.backward()
    signs = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    assert torch.allclose(decoded.grad, 3.0 * signs / 4)
    with pytest.raises(ValueError, match='shape of its input'):
        MODELS.build(dict(type='ReconstructionLoss'))(torch.zeros(2, 1, 4, 4),
                                                      torch.zeros(1, 1, 4, 4))
