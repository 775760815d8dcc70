"""The README's extension example works as written."""
import re
import sys
import textwrap
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from dfa_lab.registry import MODELS

README = Path(__file__).resolve().parents[1] / 'README.md'


def readme_blocks():
    text = README.read_text()
    blocks = re.findall(r'```python\n(.*?)```', text, flags=re.S)
    module = next(b for b in blocks if b.startswith('# my_project/my_aligner'))
    config = next(b for b in blocks if b.startswith('# my_config.py'))
    return module, config


def test_custom_aligner_from_readme(tmp_path, monkeypatch):
    module, config = readme_blocks()
    package = tmp_path / 'my_project'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'my_aligner.py').write_text(module)
    repo = README.parent
    config = config.replace("'configs/", f"'{repo}/configs/")
    (tmp_path / 'my_config.py').write_text(textwrap.dedent(config))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        run_custom_config(tmp_path / 'my_config.py')
    finally:
        # Leave the registries and module cache as the other tests expect.
        MODELS.module_dict.pop('MyAligner', None)
        sys.modules.pop('my_project.my_aligner', None)
        sys.modules.pop('my_project', None)


def run_custom_config(path):
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    assert type(model.aligner).__name__ == 'MyAligner'
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = dict(source=dict(img=torch.randn(4, 1, 28, 28),
                             label=torch.tensor([0, 1, 2, 3])),
                 target=dict(img=torch.randn(4, 1, 28, 28)))
    log = model.train_step(batch, wrapper)
    assert 'step1/loss_my_source' in log
