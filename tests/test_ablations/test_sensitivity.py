"""tools/sensitivity.py end to end on the embedded DFA-ENT task."""
from pathlib import Path

import pytest
from PIL import Image

from .helpers import REPO, load_tool

CONFIG = str(REPO / 'configs/dfa_ent/syndigits_ucidigits.py')
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
    'train_dataloader.batch_size=16',
    'train_dataloader.dataset.source.num_samples=128',
    'val_dataloader.batch_size=300', 'default_hooks.checkpoint.interval=4'
]


@pytest.mark.slow
def test_sensitivity_end_to_end(tmp_path, capsys):
    tool = load_tool('sensitivity')
    out = tmp_path / 'beta.md'
    argv = [
        CONFIG, '--param', 'beta', '--values', '0.1', '10', '--seeds', '1',
        '--work-dir',
        str(tmp_path / 'runs'), '--out',
        str(out), '--jobs', '2', '--cfg-options', *TINY
    ]
    assert tool.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.count(': finished, target/accuracy') == 2
    assert 'runs 1-1: beta=0.1' in printed and 'runs 2-2: beta=10' in printed
    markdown = out.read_text()
    rows = [
        line for line in markdown.splitlines()
        if line.startswith(('| 0.1 |', '| 10 |'))
    ]
    assert len(rows) == 2
    for row in rows:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        assert cells[1].endswith('± -') and cells[3:] == ['1', '4']
    assert '![accuracy against beta](beta.png)' in markdown
    with Image.open(tmp_path / 'beta.png') as image:
        assert image.format == 'PNG'
    for value in ('0.1', '10'):
        run_dir = Path(tmp_path, 'runs', f'beta_{value}', 'dfa_ent',
                       'syndigits_ucidigits', 'seed_1')
        assert (run_dir / 'result.json').is_file()
        assert f'model.aligner.beta={value}' in (run_dir /
                                                 'result.json').read_text()

    # Finished runs are skipped.
    assert tool.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.count(': skipped') == 2 and 'started' not in printed
    assert out.read_text() == markdown


def test_sweep_needs_an_aligner_weight(tmp_path):
    tool = load_tool('sensitivity')
    ent = str(REPO / 'configs/ent/syndigits_ucidigits.py')
    with pytest.raises(ValueError, match='no model.aligner.alpha'):
        tool.plan_sweep(ent, 'alpha', ['1'], [1], [], str(tmp_path))
    with pytest.raises(ValueError, match='--values'):
        tool.plan_sweep(CONFIG, 'alpha', ['1'], [1], ['model.aligner.alpha=2'],
                        str(tmp_path))
    specs = tool.plan_sweep(CONFIG, 'alpha', ['0.01', '1'], [1, 2], [],
                            str(tmp_path))
    assert [s.run_dir for s in specs['1']] == [
        str(tmp_path / 'alpha_1' / 'dfa_ent' / 'syndigits_ucidigits' /
            f'seed_{seed}') for seed in (1, 2)
    ]
    with pytest.raises(SystemExit):
        tool.parse_args([CONFIG, '--param', 'alpha', '--values', '0'])
