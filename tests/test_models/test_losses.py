import math

import pytest
import torch

from dfa_lab.registry import MODELS


def test_cross_entropy_value_and_gradient():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]],
                          requires_grad=True)
    labels = torch.tensor([0, 1])
    loss = MODELS.build(dict(type='CrossEntropyLoss', loss_weight=2.0))(
        logits, labels)
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
