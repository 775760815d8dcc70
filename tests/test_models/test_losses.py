import math

import pytest
import torch

from dfa_lab.registry import MODELS


def test_cross_entropy_value_and_gradient():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]],
                          requires_grad=True)
    labels = torch.tensor([0, 1])
    loss = MODELS.build(dict(type='CrossEntropyLoss', loss_weight=2.0))(logits,
                                                                        labels)
    # -log softmax written out per row.
    row0 = -(2.0 - math.log(math.exp(2) + math.exp(0) + math.exp(-1)))
    row1 = -(0.5 - math.log(2 * math.exp(0.5) + math.exp(3)))
    assert loss.item() == pytest.approx(2.0 * (row0 + row1) / 2, rel=1e-6)
    loss.backward()
    # d/dz of mean CE = (softmax - onehot) / B, times the weight.
    p = torch.softmax(logits.detach(), 1)
    onehot = torch.nn.functional.one_hot(labels, 3).float()
    assert torch.allclose(logits.grad, 2.0 * (p - onehot) / 2, atol=1e-6)


def test_entropy_value_and_gradient():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]],
                          requires_grad=True)
    loss = MODELS.build(dict(type='EntropyLoss'))(logits)
    # Row 0: p=(1/2,1/2): H=log 2. Row 1: p=(3/4,1/4).
    h1 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert loss.item() == pytest.approx((math.log(2) + h1) / 2, rel=1e-6)
    loss.backward()
    # dH/dz_k = -p_k (log p_k + H) per row; mean over 2 rows.
    p = torch.softmax(logits.detach(), 1)
    h = -(p * p.log()).sum(1, keepdim=True)
    expected = -p * (p.log() + h) / 2
    assert torch.allclose(logits.grad, expected, atol=1e-6)


def test_entropy_finite_for_saturated_logits():
    logits = torch.tensor([[1000.0, -1000.0]], requires_grad=True)
    loss = MODELS.build(dict(type='EntropyLoss'))(logits)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_classifier_discrepancy_value_and_gradient():
    a = torch.tensor([[0.0, 0.0]], requires_grad=True)
    b = torch.tensor([[math.log(3.0), 0.0]], requires_grad=True)
    loss = MODELS.build(dict(type='ClassifierDiscrepancyLoss'))(a, b)
    # softmax(a)=(.5,.5), softmax(b)=(.75,.25): mean |diff| = .25.
    assert loss.item() == pytest.approx(0.25, rel=1e-6)
    loss.backward()
    # sign(pa - pb) = (-1, +1); d mean|.|/d pa = sign/2; chain through
    # softmax Jacobian J = diag(p) - p p^T.
    pa = torch.tensor([0.5, 0.5])
    sign = torch.tensor([-1.0, 1.0]) / 2
    jac = torch.diag(pa) - torch.outer(pa, pa)
    assert torch.allclose(a.grad[0], jac @ sign, atol=1e-6)
    assert torch.allclose(a.grad.sum(), torch.tensor(0.0), atol=1e-7)
    assert b.grad.abs().sum() > 0


def test_energy_distance_value_and_gradient():
    a = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    b = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], requires_grad=True)
    loss = MODELS.build(dict(type='EnergyDistanceLoss', loss_weight=2.0))(a, b)

    def dist(u, v):
        return math.dist(u.tolist(), v.tolist())

    # Means over every pair (a sample with itself included), Euclidean
    # distances divided by sqrt(2) elements.
    cross = sum(dist(x, y) for x in a for y in b) / 6
    within_a = sum(dist(x, y) for x in a for y in a) / 4
    within_b = sum(dist(x, y) for x in b for y in b) / 9
    value = (cross - within_a / 2 - within_b / 2) / math.sqrt(2)
    # geomloss floors each distance at 1e-4 (per element), which moves the
    # within-batch means, where a sample meets itself, by 1e-4 / batch.
    assert loss.item() == pytest.approx(2.0 * value, abs=1e-4)
    loss.backward()

    def unit(v):
        n = v.norm()
        return v / n if n > 0 else torch.zeros_like(v)

    # d/da_i: the cross term over b, minus the within-a term, in which a_i
    # appears in the pairs (i, k) and (k, i).
    x, y = a.detach(), b.detach()
    for i in range(2):
        expected = 2.0 / math.sqrt(2) * (
            sum(unit(x[i] - y[j]) for j in range(3)) / 6 -
            sum(unit(x[i] - x[k]) for k in range(2)) / 4)
        assert torch.allclose(a.grad[i], expected, atol=1e-5)


def test_energy_distance_is_zero_only_for_equal_distributions():
    torch.manual_seed(0)
    a = torch.randn(16, 10)
    energy = MODELS.build(dict(type='EnergyDistanceLoss'))
    assert energy(a, a[torch.randperm(16)]).abs() < 1e-6
    assert energy(a, a + 0.5) > 0.05
    # Unlike the unpaired L1, one constant image for both batches is not
    # a minimum when the batches' distributions differ.
    constant = torch.zeros(16, 10)
    assert energy(a, constant) > energy(a, a[torch.randperm(16)])
    l1 = MODELS.build(dict(type='EnergyDistanceLoss', metric='l1'))
    value = sum(
        (a[:, None, d] - (a[None, :, d] + 0.5)).abs().mean() -
        (a[:, None, d] - a[None, :, d]).abs().mean() / 2 -
        ((a[:, None, d] + 0.5) - (a[None, :, d] + 0.5)).abs().mean() / 2
        for d in range(10)) / 10
    assert torch.allclose(l1(a, a + 0.5), value, atol=1e-6)
    with pytest.raises(ValueError, match='metric'):
        MODELS.build(dict(type='EnergyDistanceLoss', metric='cosine'))


def test_sliced_wasserstein_value_and_invariance():
    torch.manual_seed(0)
    a = torch.randn(8, 6, requires_grad=True)
    b = torch.randn(8, 6)
    swd = MODELS.build(
        dict(type='SlicedWassersteinLoss', num_projections=5, loss_weight=2.0))
    torch.manual_seed(3)
    loss = swd(a, b)
    torch.manual_seed(3)
    directions = torch.randn(6, 5)
    directions = directions / directions.norm(dim=0, keepdim=True)
    pa = (a.detach() @ directions).sort(0).values
    pb = (b @ directions).sort(0).values
    assert loss.item() == pytest.approx(
        2.0 * (pa - pb).abs().mean().item() / math.sqrt(6), rel=1e-5)
    loss.backward()
    # d/da_i: over each direction d_p, the sign of a_i's projection minus
    # the b projection of the same rank, times d_p; mean over the 8 ranks
    # and 5 directions.
    projected = a.detach() @ directions
    expected = torch.zeros(8, 6)
    for p in range(5):
        ranks = projected[:, p].argsort().argsort()
        for i in range(8):
            sign = torch.sign(projected[i, p] - pb[ranks[i], p])
            expected[i] += sign * directions[:, p]
    expected *= 2.0 / (8 * 5 * math.sqrt(6))
    assert torch.allclose(a.grad, expected, atol=1e-6)
    # Matching sorted projections ignores the order of the samples.
    torch.manual_seed(3)
    assert swd(a, a[torch.randperm(8)].detach()).abs() < 1e-6
    with pytest.raises(ValueError, match='equally sized'):
        swd(a, b[:4])
