"""The direct-alignment divergences: values and gradients against the
formulas written out here."""
import math

import pytest
import torch

from dfa_lab.registry import MODELS


def test_gaussian_mmd_value_and_gradient():
    torch.manual_seed(0)
    s = torch.randn(3, 2, requires_grad=True)
    t = (torch.randn(4, 2) + 1.0).requires_grad_()
    loss = MODELS.build(
        dict(
            type='GaussianMMDLoss',
            bandwidth_multipliers=(0.5, 2.0),
            loss_weight=3.0))(s, t)

    joint = [row for row in torch.cat([s, t]).tolist()]

    def sq(u, v):  # squared distance per feature
        return sum((a - b)**2 for a, b in zip(u, v)) / 2

    scale = sum(sq(u, v) for u in joint for v in joint) / 49

    def k(u, v):
        return sum(math.exp(-sq(u, v) / (m * scale)) for m in (0.5, 2.0))

    a, b = joint[:3], joint[3:]
    value = (
        sum(k(u, v) for u in a
            for v in a) / 9 + sum(k(u, v) for u in b for v in b) / 16 -
        2 * sum(k(u, v) for u in a for v in b) / 12)
    assert loss.item() == pytest.approx(3.0 * value, rel=1e-5)

    loss.backward()
    # The bandwidth carries no gradient: the derivative of each kernel
    # exp(-|x - y|^2 / (2 m s)) in x is -(x - y) / (m s) times the kernel.
    x, y = s.detach(), t.detach()
    for i in range(3):
        expected = torch.zeros(2)
        for j in range(3):
            w = sum(
                math.exp(-sq(x[i], x[j]) / (m * scale)) / (m * scale)
                for m in (0.5, 2.0))
            # x_i appears in the pairs (i, j) and (j, i) of K(S, S).
            expected += 2 * w * -(x[i] - x[j]) / 9
        for j in range(4):
            w = sum(
                math.exp(-sq(x[i], y[j]) / (m * scale)) / (m * scale)
                for m in (0.5, 2.0))
            expected -= 2 * w * -(x[i] - y[j]) / 12
        assert torch.allclose(s.grad[i], 3.0 * expected, atol=1e-5)


def test_gaussian_mmd_is_zero_for_equal_batches_and_scale_free():
    torch.manual_seed(0)
    a = torch.randn(16, 10)
    mmd = MODELS.build(dict(type='GaussianMMDLoss'))
    assert mmd(a, a[torch.randperm(16)]).abs() < 1e-6
    b = torch.randn(16, 10) + 0.5
    assert mmd(a, b) > 0.01
    # The kernels follow the batch's mean distance: shrinking both batches
    # together leaves the value.
    assert torch.allclose(mmd(a * 1e-3, b * 1e-3), mmd(a, b), rtol=1e-4)


def test_coral_value_and_gradient():
    torch.manual_seed(0)
    s = torch.randn(5, 3, requires_grad=True)
    t = torch.randn(4, 3, requires_grad=True)
    loss = MODELS.build(dict(type='CORALLoss', loss_weight=2.0))(s, t)

    def covariance(x):
        centred = x - x.mean(0)
        return centred.T @ centred / (len(x) - 1)

    difference = covariance(s.detach()) - covariance(t.detach())
    value = (difference**2).sum() / (4 * 3**2)
    assert loss.item() == pytest.approx(2.0 * value.item(), rel=1e-5)
    loss.backward()
    # d/ds of |C_s - C_t|_F^2 / (4 d^2) is (s - mean s) (C_s - C_t) times
    # 2 * 2 / ((n - 1) * 4 d^2), C symmetric.
    centred = s.detach() - s.detach().mean(0)
    expected = 2.0 * 4 * centred @ difference / (4 * 4 * 9)
    assert torch.allclose(s.grad, expected, atol=1e-6)
    with pytest.raises(ValueError, match='at least two samples'):
        MODELS.build(dict(type='CORALLoss'))(s[:1], t)


def test_sinkhorn_divergence_matches_optimal_transport_for_small_blur():
    # Two equally sized batches of points on a line, as uniform empirical
    # distributions: W_2^2 / 2 matches sorted points, |x - y|^2 / 2 each,
    # per feature (distances divided by sqrt(D) = 1 here).
    x = torch.tensor([[0.0], [1.0], [3.0]], requires_grad=True)
    y = torch.tensor([[0.5], [2.0], [4.0]])
    loss = MODELS.build(
        dict(type='SinkhornDivergenceLoss', blur=0.01, scaling=0.9))(x, y)
    expected = sum((a - b)**2 / 2 for a, b in zip([0, 1, 3], [0.5, 2, 4])) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-2)
    loss.backward()
    # The gradient of W_2^2 / 2 moves each point towards its match.
    assert torch.allclose(
        x.grad.squeeze(), torch.tensor([-0.5, -1.0, -1.0]) / 3, atol=1e-2)
    same = MODELS.build(dict(type='SinkhornDivergenceLoss'))(y, y)
    assert same.abs() < 1e-5


def test_divergence_options_are_checked():
    with pytest.raises(ValueError, match='bandwidth_multipliers'):
        MODELS.build(dict(type='GaussianMMDLoss', bandwidth_multipliers=()))
    with pytest.raises(ValueError, match='blur > 0'):
        MODELS.build(dict(type='SinkhornDivergenceLoss', blur=0.0))
    with pytest.raises(ValueError, match='same per-sample shape'):
        MODELS.build(dict(type='GaussianMMDLoss'))(torch.zeros(2, 3),
                                                   torch.zeros(2, 4))
