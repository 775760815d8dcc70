"""SAFN's feature-norm loss, its head and the SAFN adapter (Algorithm 2)."""
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.models.losses import adaptive_feature_norm
from dfa_lab.registry import MODELS

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = {
    method: CONFIG_ROOT / method / 'office31.py'
    for method in ('safn', 'dfa_safn', 'dfa_ent', 'dfa_mcd')
}


def test_feature_norm_loss_matches_formula():
    h = torch.tensor([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]], requires_grad=True)
    loss = MODELS.build(
        dict(type='AdaptiveFeatureNormLoss', delta_r=0.5, loss_weight=2.0))(
            h)
    # (||h|| - (sg(||h||) + delta))^2 = delta^2 for every sample.
    assert loss.item() == pytest.approx(2.0 * 0.5**2)
    loss.backward()
    # d/dh of the mean over B=3: 2 (||h|| - sg - delta) h / ||h|| / B.
    norms = torch.tensor([[5.0], [2.0], [1.0]])
    expected = 2.0 * 2 * (-0.5) * h.detach() / norms / 3
    assert torch.allclose(h.grad, expected)
    assert adaptive_feature_norm(torch.ones(4, 3)).item() == pytest.approx(1)


def test_safn_head_returns_embedding_and_logits():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='SAFNHead', in_channels=6, embed_channels=5, num_classes=3))
    x = torch.randn(4, 6)
    head.eval()
    embedding, logits = head(x, return_embedding=True)
    assert embedding.shape == (4, 5) and (embedding >= 0).all()
    assert torch.allclose(logits, head.fc(embedding))
    assert torch.equal(head(x), logits)
    # rescale_dropout: kept units are scaled by 2 * sqrt(0.5) = sqrt(2)
    # instead of dropout's 2.
    rescaled = MODELS.build(
        dict(
            type='SAFNHead',
            in_channels=6,
            embed_channels=5,
            num_classes=3,
            rescale_dropout=True)).train()
    embedding, _ = rescaled(x, return_embedding=True)
    before_dropout = rescaled.bottleneck[:3](x)
    kept = embedding != 0
    assert kept.any()
    assert torch.allclose(embedding[kept] / before_dropout[kept],
                          torch.full_like(embedding[kept], math.sqrt(2)))


def build(config):
    cfg = Config.fromfile(config)
    cfg.model.backbone.pretrained = False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def tiny_batch():
    g = torch.Generator().manual_seed(0)
    return dict(
        source=dict(
            img=torch.randn(2, 3, 64, 64, generator=g),
            label=torch.tensor([0, 1])),
        target=dict(img=torch.randn(2, 3, 64, 64, generator=g)))


@pytest.mark.parametrize('method', ['safn', 'dfa_safn'])
def test_safn_step_runs_one_encoder_pass_per_domain(method):
    model, wrapper = build(CONFIGS[method])
    passes = []
    model.backbone.register_forward_hook(lambda *args: passes.append(1))
    head_before = model.classifiers['F'].fc.weight.clone()
    log = model.train_step(tiny_batch(), wrapper)
    assert len(passes) == 2
    keys = {
        'loss', 'loss_cls', 'loss_ent', 'loss_feature_norm_source',
        'loss_feature_norm_target'
    }
    if method == 'dfa_safn':
        keys |= {'loss_kld', 'loss_dal'}
    assert {k for k in log if 'loss' in k} == keys
    # kappa * delta_r^2, whatever the embeddings.
    assert log['loss_feature_norm_source'].item() == pytest.approx(0.05)
    assert log['loss'].item() == pytest.approx(
        sum(v.item() for k, v in log.items() if k in keys - {'loss'}),
        rel=1e-5)
    assert not torch.equal(head_before, model.classifiers['F'].fc.weight)


@pytest.mark.parametrize('method', ['dfa_ent', 'dfa_mcd'])
def test_other_object_hosts_train_with_dfa(method):
    model, wrapper = build(CONFIGS[method])
    model.num_k = 1
    bn_before = model.aligner.decoder.stem_transposed.bn.weight.clone()
    log = model.train_step(tiny_batch(), wrapper)
    assert any(key.endswith('loss_dal') for key in log)
    assert all(torch.isfinite(v) for v in log.values())
    assert not torch.equal(bn_before,
                           model.aligner.decoder.stem_transposed.bn.weight)


def test_safn_needs_a_head_with_embedding():
    with pytest.raises(TypeError, match='SAFNHead'):
        MODELS.build(
            dict(
                type='SAFN',
                backbone=dict(type='DigitCNN'),
                classifier=dict(
                    type='MLPHead',
                    in_channels=768,
                    hidden_channels=(8, ),
                    num_classes=3)))
