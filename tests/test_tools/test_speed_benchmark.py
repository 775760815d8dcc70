"""tools/speed_benchmark.py and its harness (tools/speed) on the embedded
task."""
import importlib.util
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from speed import (ComputationCheck, SpeedRecord, SpeedResult, Variant,
                   check_same_computation, render_record, write_page)
from speed.report import BEGIN, END

REPO = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location(
    'speed_benchmark', REPO / 'tools' / 'speed_benchmark.py')
speed_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speed_benchmark)

MCD = 'configs/mcd/syndigits_ucidigits.py'
DFA_MCD = 'configs/dfa_mcd/syndigits_ucidigits.py'
# 128 rendered source digits, small batches, two generator updates.
TINY = {
    'train_dataloader.dataset.source.num_samples': 128,
    'train_dataloader.batch_size': 16,
    'model.num_k': 2
}
ROW = re.compile(r'\| (\S+) \| (dfa_lab|plain) \| (eager|compiled \(\S+\)) '
                 r'\| (\d+) \| ([\d.]+) \| ([\d., ]+) \| ([\d.]+) '
                 r'\| ([\d.]*) \|')


def run_tool(tmp_path, *args):
    return speed_benchmark.main([
        '--configs', MCD, DFA_MCD, '--record-dir',
        str(tmp_path / 'records'), *args, '--cfg-options',
        *(f'{key}={value}' for key, value in TINY.items())
    ])


@pytest.mark.parametrize('config', [MCD, DFA_MCD], ids=['mcd', 'dfa_mcd'])
def test_plain_loop_computes_what_train_step_computes(config):
    cfg = Config.fromfile(REPO / config)
    cfg.merge_from_dict(TINY)
    check = check_same_computation(cfg)
    assert check.dfa_lab[0] == pytest.approx(check.plain[0], rel=1e-5)
    assert check.matches, check


@pytest.mark.slow
def test_tool_times_threads_and_writes_the_page(tmp_path, capsys):
    page = tmp_path / 'speed.md'
    page.write_text(f'# Speed\n\nBefore.\n\n{BEGIN}\nold\n{END}\n\nAfter.\n')
    assert run_tool(tmp_path, '--iters', '2', '--warmup', '1', '--rounds',
                    '1', '--threads', '1', '2', '--label', 'test', '--out',
                    str(page)) == 0
    markdown = page.read_text()
    assert markdown.startswith('# Speed\n\nBefore.\n\n' + BEGIN)
    assert markdown.endswith(END + '\n\nAfter.\n') and 'old' not in markdown
    assert '### test: ' in markdown
    rows = ROW.findall(markdown)
    assert [row[:4] for row in rows] == [(method, runner, 'eager', threads)
                                         for method in ('mcd', 'dfa_mcd')
                                         for threads in ('1', '2')
                                         for runner in ('dfa_lab', 'plain')]
    for _, runner, _, _, seconds, per_round, overhead, eager in rows:
        assert float(seconds) == float(per_round) > 0
        assert float(overhead) > 0 and eager == '1.00'
        if runner == 'plain':
            assert overhead == '1.00'
    assert '| runner | compile | threads | dfa_mcd / mcd |' in markdown
    assert markdown.count('(same)') == 2
    record = SpeedRecord.load(tmp_path / 'records' / 'test.json')
    assert record.command.startswith('python tools/speed_benchmark.py ')
    assert [row[0] for row in record.results] == [MCD] * 4 + [DFA_MCD] * 4
    assert render_record(record) in capsys.readouterr().out


def test_tool_fails_when_the_plain_loop_computes_something_else(
        tmp_path, capsys):
    # The plain loop uses the unweighted loss functions, so a weighted
    # classification loss is a different computation.
    assert run_tool(tmp_path, '--cfg-options',
                    'model.loss_cls.type=CrossEntropyLoss',
                    'model.loss_cls.loss_weight=2.0') == 1
    assert 'FAILED' in capsys.readouterr().out
    assert not (tmp_path / 'records').exists()


def test_tool_needs_a_data_root_for_dataset_files(capsys):
    assert speed_benchmark.main([]) == 2
    assert '--data-root' in capsys.readouterr().err


def record(load, results):
    check = ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    return SpeedRecord.create(
        label='cpu',
        command='cmd',
        machine='machine',
        load_average=(load, 0.1, 0.1),
        warmup=10,
        iters=60,
        configs={
            path: Config.fromfile(REPO / path)
            for path in (MCD, DFA_MCD)
        },
        results=results,
        checks={
            MCD: ComputationCheck(*check),
            DFA_MCD: ComputationCheck(*check)
        })


@pytest.mark.parametrize('load, busy', [(0.2, False), (1.5, True)])
def test_record_ratios_and_load_note(tmp_path, load, busy):
    eager, compiled = (Variant(runner, mode, 1)
                       for runner, mode in [('dfa_lab',
                                             'eager'), ('dfa_lab', 'default')])
    plain = Variant('plain', 'eager', 1)
    results = [
        SpeedResult(MCD, eager, [0.11, 0.12, 0.50]),
        SpeedResult(MCD, plain, [0.10, 0.10, 0.10]),
        SpeedResult(MCD, compiled, [0.06, 0.06, 0.06]),
        SpeedResult(DFA_MCD, eager, [0.18, 0.18, 0.18]),
        SpeedResult(DFA_MCD, plain, [0.15, 0.15, 0.15]),
        SpeedResult(DFA_MCD, compiled, [0.09, 0.09, 0.09]),
    ]
    path = tmp_path / 'cpu.json'
    record(load, results).dump(path)
    markdown = render_record(SpeedRecord.load(path))
    # Medians of rounds: 0.12 and 0.18 for dfa_lab, 0.10 and 0.15 plain;
    # compiled rows have no plain row to compare with.
    assert ('| mcd | dfa_lab | eager | 1 | 0.1200 | 0.1100, 0.1200, 0.5000 '
            '| 1.20 | 1.00 |') in markdown
    assert ('| mcd | dfa_lab | compiled (default) | 1 | 0.0600 | 0.0600, '
            '0.0600, 0.0600 |  | 0.50 |') in markdown
    assert '| dfa_lab | eager | 1 | 1.50 |' in markdown
    assert '| plain | eager | 1 | 1.50 |' in markdown
    assert 'iterations 11 to 70' in markdown
    assert markdown.count('LoggerHook (every 50 iterations)') == 1
    assert 'TensorboardVisBackend' in markdown
    assert ('measured under load' in markdown) == busy


def test_page_needs_its_marker_lines(tmp_path):
    page = tmp_path / 'speed.md'
    page.write_text('# Speed\n')
    with pytest.raises(ValueError, match='measurements begin'):
        write_page(str(page), [])
    new = tmp_path / 'new.md'
    write_page(str(new), [])
    assert new.read_text() == f'# Training speed\n\n{BEGIN}\n\n{END}\n'


_host_spec = importlib.util.spec_from_file_location(
    'host_speed', REPO / 'tools' / 'host_speed.py')
host_speed = importlib.util.module_from_spec(_host_spec)
_host_spec.loader.exec_module(host_speed)


@pytest.mark.slow
def test_host_speed_times_every_config_against_the_first(tmp_path, capsys):
    page = tmp_path / 'hosts.md'
    configs = [MCD, 'configs/dann/syndigits_ucidigits.py']
    assert host_speed.main([
        '--configs', *configs, '--iters', '2', '--warmup', '1', '--rounds',
        '2', '--out',
        str(page), '--cfg-options',
        *(f'{key}={value}'
          for key, value in TINY.items() if key != 'model.num_k')
    ]) == 0
    markdown = page.read_text()
    assert (
        '| config | method | batch (source + target) | wall-clock s/iter '
        '| per round | / MCD | CPU s/iter | per round | / MCD |') in markdown
    rows = re.findall(
        r'\| `(\S+)` \| (\S+) \| 16 \+ 16 \| ([\d.]+) \| ([\d., ]+) \| '
        r'([\d.]+) \| ([\d.]+) \| ([\d., ]+) \| ([\d.]+) \|', markdown)
    assert [row[:2] for row in rows] == [(MCD, 'MCD'), (configs[1], 'DANN')]
    assert rows[0][4] == rows[0][7] == '1.00'
    for row in rows:
        for seconds, per_round in (row[2:4], row[5:7]):
            assert len(per_round.split(', ')) == 2 and float(seconds) > 0
    assert 'Command: `python tools/host_speed.py --configs' in markdown
    assert 'iterations 2 to 3' in markdown
    assert markdown.split('\n\n', 1)[1] in capsys.readouterr().out


def test_host_speed_needs_a_data_root_for_dataset_files(capsys):
    assert host_speed.main([]) == 2
    assert '--data-root' in capsys.readouterr().err
