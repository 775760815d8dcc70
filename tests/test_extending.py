"""docs/design.md's extension examples work as written: its aligner and its
host are registered from their own modules through ``custom_imports``,
built from their configs and trained for an iteration."""
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / 'docs' / 'design.md'


def design_files():
    """``{path: source}`` of every python block of design.md that starts
    with a ``# my_project/<file>.py`` line."""
    blocks = re.findall(r'```python\n(.*?)```', DESIGN.read_text(), re.S)
    files = {}
    for block in blocks:
        first, _, body = block.partition('\n')
        if first.startswith('# my_project/'):
            files[first[2:]] = block
    return files


@pytest.fixture
def my_project(tmp_path, monkeypatch):
    files = design_files()
    assert set(files) == {
        'my_project/moment_aligner.py', 'my_project/ent_moments_mnist_usps.py',
        'my_project/pseudo_label.py',
        'my_project/dfa_pseudo_label_mnist_usps.py'
    }
    (tmp_path / 'my_project').mkdir()
    (tmp_path / 'my_project' / '__init__.py').write_text('')
    for path, source in files.items():
        # The configs sit in my_project/ next to the repository's configs/.
        source = source.replace("'../configs/", f"'{REPO}/configs/")
        (tmp_path / path).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / 'my_project'
    # Leave the registries and the module cache as the other tests expect.
    for name in ('MomentAligner', 'PseudoLabel'):
        MODELS.module_dict.pop(name, None)
    for module in ('my_project.moment_aligner', 'my_project.pseudo_label',
                   'my_project'):
        sys.modules.pop(module, None)


def train_one_iteration(config):
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    labels = torch.arange(8) % 10
    batch = dict(
        source=dict(img=torch.randn(8, 1, 28, 28), label=labels),
        target=dict(img=torch.randn(8, 1, 28, 28)))
    return model, model.train_step(batch, wrapper)


def test_the_aligner_of_design_md(my_project):
    model, log = train_one_iteration(my_project / 'ent_moments_mnist_usps.py')
    assert type(model).__name__ == 'ENT'
    assert type(model.aligner).__name__ == 'MomentAligner'
    assert {'loss_moments', 'moments/mean_gap', 'loss_ent'} <= set(log)
    # It needs the source pass: MCD, whose generator step has none of its
    # own, makes one for it.
    cfg = Config.fromfile(REPO / 'configs/mcd/mnist_usps.py')
    cfg.model.aligner = dict(type='MomentAligner')
    torch.manual_seed(0)
    mcd = MODELS.build(cfg.model)
    log = mcd.train_step(
        dict(
            source=dict(
                img=torch.randn(8, 1, 28, 28), label=torch.arange(8) % 10),
            target=dict(img=torch.randn(8, 1, 28, 28))),
        build_optim_wrapper(mcd, cfg.optim_wrapper))
    assert {'step3/loss_moments', 'step3/moments/mean_gap'} <= set(log)


def test_the_host_of_design_md(my_project):
    model, log = train_one_iteration(my_project /
                                     'dfa_pseudo_label_mnist_usps.py')
    assert type(model).__name__ == 'PseudoLabel'
    assert type(model.aligner).__name__ == 'DFA'
    assert {
        'loss_cls', 'loss_pseudo', 'loss_kld', 'loss_dal', 'dfa/zero_fraction'
    } <= set(log)
    assert torch.isfinite(log['loss'])
