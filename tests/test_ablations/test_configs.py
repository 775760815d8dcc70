"""Every Table-8 config builds on the ENT host and trains a step."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.benchmark import parse_config_name
from dfa_lab.benchmark.ablation import TABLE8_ROWS
from dfa_lab.registry import MODELS

ABLATIONS = Path(__file__).resolve().parents[2] / 'configs' / 'ablations'
CONFIGS = sorted(ABLATIONS.glob('*.py'))
HOST = {'loss_cls', 'loss_ent'}
TERMS = {
    'abl-dfa': {'loss_kld', 'loss_dal'},
    'abl-untied': {'loss_kld', 'loss_dal'},
    'abl-kl-target': {'loss_kld', 'loss_kld_target'},
    'abl-daldir': {'loss_daldir'},
    'abl-kld': {'loss_kld'},
    'abl-klldir': {'loss_klldir'},
    'abl-klldir-recon': {'loss_klldir', 'loss_recon_source',
                         'loss_recon_target'},
}


def test_one_config_per_table8_row():
    names = [parse_config_name(str(path)) for path in CONFIGS]
    assert sorted(n.method for n in names) == sorted(TABLE8_ROWS)
    assert {(n.network, n.task) for n in names} == {('usps-cnn',
                                                     'mnist2usps')}
    assert set(TERMS) == set(TABLE8_ROWS)


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_trains_a_step(path):
    cfg = Config.fromfile(path)
    method = parse_config_name(str(path)).method
    assert cfg.model.type == 'ENT'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if method == 'abl-untied':
        assert not model.aligner.decoder.tied
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    batch = dict(
        source=dict(img=torch.randn(4, 1, 28, 28),
                    label=torch.tensor([0, 1, 2, 3])),
        target=dict(img=torch.randn(4, 1, 28, 28)))
    log = model.train_step(batch, wrapper)
    assert {k for k in log if 'loss' in k} == {'loss'} | HOST | TERMS[method]
    assert all(torch.isfinite(value) for value in log.values())
    assert any(not torch.equal(a, b)
               for a, b in zip(before, model.backbone.parameters()))
