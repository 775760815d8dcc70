"""tools/speed_benchmark.py and dfa_lab.benchmark.speed on the embedded
task."""
import importlib.util
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from dfa_lab.benchmark.speed import (ComputationCheck, SpeedResult,
                                     check_same_computation,
                                     render_speed_markdown)

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'speed_benchmark', REPO / 'tools' / 'speed_benchmark.py')
speed_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speed_benchmark)

MCD = str(REPO / 'configs/mcd/syndigits_ucidigits.py')
DFA_MCD = str(REPO / 'configs/dfa_mcd/syndigits_ucidigits.py')
# 128 rendered source digits, small batches, two generator updates.
TINY = {
    'train_dataloader.dataset.source.num_samples': 128,
    'train_dataloader.batch_size': 16,
    'model.num_k': 2
}
ROW = re.compile(r'\| (\S+) \| (dfa_lab|plain) \| ([\d.]+) \| ([\d., ]+) '
                 r'\| ([\d.]+) \|')


def run_tool(*args):
    return speed_benchmark.main([
        '--configs', MCD, DFA_MCD, '--threads', '1', *args, '--cfg-options',
        *(f'{key}={value}' for key, value in TINY.items())
    ])


@pytest.mark.parametrize(
    'config', [MCD, DFA_MCD], ids=['mcd', 'dfa_mcd'])
def test_plain_loop_computes_what_train_step_computes(config):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(TINY)
    check = check_same_computation(cfg)
    assert check.dfa_lab[0] == pytest.approx(check.plain[0], rel=1e-5)
    assert check.matches, check


@pytest.mark.slow
def test_tool_writes_both_tables(tmp_path, capsys):
    out = tmp_path / 'speed.md'
    assert run_tool('--iters', '3', '--warmup', '1', '--rounds', '1',
                    '--out', str(out)) == 0
    markdown = out.read_text()
    assert markdown in capsys.readouterr().out
    rows = ROW.findall(markdown)
    assert [(method, variant) for method, variant, *_ in rows] == [
        ('MCD', 'dfa_lab'), ('MCD', 'plain'), ('DFA-MCD', 'dfa_lab'),
        ('DFA-MCD', 'plain')
    ]
    for _, variant, seconds, per_round, overhead in rows:
        assert float(seconds) == float(per_round) > 0
        assert float(overhead) > 0
        if variant == 'plain':
            assert overhead == '1.00'
    ratios = dict(re.findall(r'\| (dfa_lab|plain) \| ([\d.]+) \|', markdown))
    assert set(ratios) == {'dfa_lab', 'plain'}
    assert all(float(ratio) > 0 for ratio in ratios.values())
    assert '| variant | DFA-MCD / MCD |' in markdown
    assert markdown.count('(same)') == 2
    assert 'Threads: 1' in markdown and 'Load average at start' in markdown


def test_tool_fails_when_the_plain_loop_computes_something_else(
        tmp_path, capsys):
    # The plain loop uses the unweighted loss functions, so a weighted
    # classification loss is a different computation.
    out = tmp_path / 'speed.md'
    assert run_tool('--out', str(out), '--cfg-options',
                    'model.loss_cls.type=CrossEntropyLoss',
                    'model.loss_cls.loss_weight=2.0') == 1
    assert 'FAILED' in capsys.readouterr().out
    assert not out.exists()


def test_tool_needs_a_data_root_for_dataset_files(capsys):
    assert speed_benchmark.main([]) == 2
    assert '--data-root' in capsys.readouterr().err


@pytest.mark.parametrize('load, busy', [(0.2, False), (1.5, True)])
def test_report_ratios_and_load_note(load, busy):
    results = [
        SpeedResult(MCD, 'dfa_lab', [0.11, 0.12, 0.50]),
        SpeedResult(MCD, 'plain', [0.10, 0.10, 0.10]),
        SpeedResult(DFA_MCD, 'dfa_lab', [0.18, 0.18, 0.18]),
        SpeedResult(DFA_MCD, 'plain', [0.15, 0.15, 0.15]),
    ]
    check = ComputationCheck((1.0, 2.0, 3.0), (1.0, 2.0, 3.0))
    configs = {path: Config.fromfile(path) for path in (MCD, DFA_MCD)}
    markdown = render_speed_markdown(
        results,
        configs, {MCD: check, DFA_MCD: check},
        command='cmd',
        threads=1,
        machine='machine',
        load_average=(load, 0.1, 0.1),
        warmup=10,
        iters=60)
    # Medians of rounds: 0.12 and 0.18 for dfa_lab, 0.10 and 0.15 plain.
    assert '| MCD | dfa_lab | 0.1200 | 0.1100, 0.1200, 0.5000 | 1.20 |' in (
        markdown)
    assert '| dfa_lab | 1.50 |' in markdown and '| plain | 1.50 |' in markdown
    assert 'iterations 11 to 70' in markdown
    # Both configs share their runtime settings: described once.
    assert markdown.count('LoggerHook (every 50 iterations)') == 1
    assert 'TensorboardVisBackend' in markdown
    assert ('may share the CPU' in markdown) == busy
