"""Every Table-8 config builds on the ENT host and trains a step."""
from pathlib import Path

import pytest
import torch
from benchmarking import parse_config_name
from benchmarking.ablation import TABLE8_ROWS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.registry import MODELS

ABLATIONS = Path(__file__).resolve().parents[2] / 'configs' / 'ablations'
CONFIGS = sorted(ABLATIONS.rglob('*.py'))
HOST = {'loss_cls', 'loss_ent'}
TERMS = {
    'ablations/dfa': {'loss_kld', 'loss_dal'},
    'ablations/dfa_untied': {'loss_kld', 'loss_dal'},
    'ablations/kld_target': {'loss_kld', 'loss_kld_target'},
    'ablations/daldir': {'loss_daldir'},
    'ablations/kld': {'loss_kld'},
    'ablations/klldir': {'loss_klldir'},
    'ablations/klldir_recon':
    {'loss_klldir', 'loss_recon_source', 'loss_recon_target'},
}


def test_one_config_per_table8_row():
    names = [parse_config_name(str(path)) for path in CONFIGS]
    assert sorted(n.method for n in names) == sorted(TABLE8_ROWS)
    assert {n.task for n in names} == {'mnist_usps'}
    assert set(TERMS) == set(TABLE8_ROWS)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.parent.name for p in CONFIGS])
def test_config_trains_a_step(path):
    cfg = Config.fromfile(path)
    method = parse_config_name(str(path)).method
    assert cfg.model.type == 'ENT'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if method == 'ablations/dfa_untied':
        assert not model.aligner.decoder.tied
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    batch = dict(
        source=dict(
            img=torch.randn(4, 1, 28, 28), label=torch.tensor([0, 1, 2, 3])),
        target=dict(img=torch.randn(4, 1, 28, 28)))
    log = model.train_step(batch, wrapper)
    assert {k for k in log if 'loss' in k} == {'loss'} | HOST | TERMS[method]
    assert all(torch.isfinite(value) for value in log.values())
    assert any(not torch.equal(a, b)
               for a, b in zip(before, model.backbone.parameters()))
