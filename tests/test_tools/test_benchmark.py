"""tools/benchmark.py and the benchmarking package beside it."""
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from benchmarking import (ACCURACY_KEY, ConfigName, PaperAccuracy, RunResult,
                          RunSpec, describe_code_version, describe_machine,
                          format_mean_std, load_finished,
                          load_validation_records, paper_accuracy,
                          parse_config_name, plan_runs, render_markdown,
                          run_benchmark, summarize, write_report)
from benchmarking.config_name import method_label
from benchmarking.report import (LABEL_FREE_NOTES, NOTES, method_rank,
                                 summary_to_dict)
from benchmarking.runs import execute_run, prepare_run_dir

from dfa_lab.analysis.scalars import label_free_criteria, pick_validation

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = 'configs/source_only/syndigits_ucidigits.py'
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
    'train_dataloader.batch_size=16',
    'train_dataloader.dataset.source.num_samples=128',
    'val_dataloader.batch_size=300', 'default_hooks.checkpoint.interval=4'
]


@pytest.mark.parametrize('path, expected', [
    ('configs/dfa_mcd/mnist_usps.py', ('dfa_mcd', 'mnist_usps')),
    (str(REPO / 'configs/source_only/mnist_usps_full.py'),
     ('source_only', 'mnist_usps_full')),
    ('configs/ablations/kld/mnist_usps.py', ('ablations/kld', 'mnist_usps')),
    ('/x/configs/y/configs/dfa_ent/energy/office31.py',
     ('dfa_ent/energy', 'office31')),
])
def test_parse_config_name(path, expected):
    assert parse_config_name(path) == ConfigName(*expected)


@pytest.mark.parametrize('path', [
    'mnist_usps.py', 'configs/mnist_usps.py', 'mcd/mnist_usps.py',
    'configs/mcd/mnist_usps.txt', 'configs/_base_/datasets/mnist_usps.py'
])
def test_parse_config_name_rejects_other_paths(path):
    with pytest.raises(ValueError, match='configs/<method>/<task>.py'):
        parse_config_name(path)


@pytest.mark.parametrize('method, label', [
    ('source_only', 'Source only'),
    ('dfa_mcd', 'DFA-MCD'),
    ('dann', 'DANN'),
    ('dfa_dann', 'DFA-DANN'),
    ('cdan', 'CDAN+E'),
    ('dfa_cdan', 'DFA-CDAN+E'),
    ('dfa_mcd/energy', 'DFA-MCD (energy)'),
    ('dfa_ent/energy/large', 'DFA-ENT (energy/large)'),
    ('ablations/kld', 'Table 8 (kld): L_kld alone'),
    ('my_method', 'my_method'),
])
def test_method_label(method, label):
    assert method_label(method) == label


def write_scalars(run_dir, timestamp, lines):
    folder = run_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    text = ''.join(json.dumps(line) + '\n' for line in lines)
    (folder / 'scalars.json').write_text(text)


def test_load_validation_records_merges_resumed_runs(tmp_path):
    train = {'lr': 2e-4, 'step1/loss_cls_F1': 2.3, 'time': 0.1, 'step': 50}
    write_scalars(tmp_path, '20240101_120000', [
        train,
        {
            'target/accuracy': 50.0,
            'time': 0.2,
            'data_time': 0.1,
            'step': 50
        },
        dict(train, step=100),
        {
            'target/accuracy': 60.0,
            'step': 100
        },
    ])
    # Resumed from the checkpoint at 50: validates 100 again, then 150.
    write_scalars(tmp_path, '20240101_130000', [
        dict(train, step=100),
        {
            'target/accuracy': 61.0,
            'target/F1_accuracy': 59.0,
            'step': 100
        },
        {
            'target/accuracy': 70.0,
            'step': 150
        },
    ])
    assert load_validation_records(str(tmp_path)) == [
        (50, {
            'target/accuracy': 50.0
        }),
        (100, {
            'target/accuracy': 61.0,
            'target/F1_accuracy': 59.0
        }),
        (150, {
            'target/accuracy': 70.0
        }),
    ]


def test_format_mean_std():
    # Sample std (ddof=1): 1.0 here, where the population std is 0.8.
    assert format_mean_std([1.0, 2.0, 3.0]) == '2.0 ± 1.0'
    assert format_mean_std([96.61]) == '96.6 ± -'
    assert format_mean_std([]) == '-'


def test_paper_accuracy():
    assert paper_accuracy('dfa_mcd', 'mnist_usps') == PaperAccuracy(97.3, 0.1)
    assert paper_accuracy('mcd', 'mnist_usps_full') == PaperAccuracy(96.5, 0.3)
    assert paper_accuracy('source_only', 'usps_mnist') == PaperAccuracy(63.4)
    assert paper_accuracy('dfa_ent', 'synsigns_gtsrb').mean == 96.8
    assert paper_accuracy('ent', 'mnist_usps') is None
    assert paper_accuracy('dfa_mcd', 'syndigits_ucidigits') is None
    assert paper_accuracy('dfa_mcd/energy', 'mnist_usps') is None


def test_method_rank_puts_known_methods_first():
    methods = [
        'zeta', 'dfa_mcd/b', 'dfa_cdan', 'dfa_mcd', 'alpha', 'cdan', 'mcd',
        'dfa_mcd/a', 'dfa_dann', 'source_only', 'dann', 'ent'
    ]
    expected = [
        'source_only', 'ent', 'mcd', 'dann', 'cdan', 'dfa_mcd', 'dfa_mcd/a',
        'dfa_mcd/b', 'dfa_dann', 'dfa_cdan', 'alpha', 'zeta'
    ]
    assert sorted(methods, key=method_rank) == expected


def fake_result(spec,
                accuracies,
                max_iters=1000,
                minutes=1.0,
                resumed=False,
                machine='cpu box'):
    """A result validated every ``max_iters / len(accuracies)`` iterations,
    or at the given ``{iteration: accuracy}``."""
    if not isinstance(accuracies, dict):
        step = max_iters // len(accuracies)
        accuracies = {step * (i + 1): a for i, a in enumerate(accuracies)}
    validations = [(step, {
        ACCURACY_KEY: accuracy
    }) for step, accuracy in accuracies.items()]
    return RunResult(spec.config, spec.seed, list(spec.cfg_options), max_iters,
                     minutes, resumed, validations, validations[-1][1],
                     machine)


EXPECTED_TABLE = '''\
# Benchmark results

## mnist_usps

| method | last iter (mean ± std) | oracle best (mean ± std) | paper | seeds | iterations | minutes / run |
|---|---|---|---|---|---|---|
| Source only | 76.5 ± 0.7 | 77.0 ± 1.4 | 76.7 | 2 | 1000 | 2.5 |
| DFA-MCD | 97.5 ± 0.7 | 97.5 ± 0.7 | 97.3 ± 0.1 | 2 | 1000 | 4.5 |
| DFA-MCD (energy) | 96.0 ± - | 96.0 ± - | - | 1 | 1000 | 1.0 |

{notes}

Minutes of a resumed run count only the process that finished it.

Command: `python tools/benchmark.py a b`

Trained on: cpu box (4 runs); gpu box (1 run)

## syndigits_ucidigits

| method | last iter (mean ± std) | oracle best (mean ± std) | paper | seeds | iterations | minutes / run |
|---|---|---|---|---|---|---|
| ENT | not validated at the end: seed 1 last at iter 500 of 1000 | 62.0 ± - | - | 1 (1 failed) | 1000 | 1.0 |

{notes}

FAILED: configs/ent/syndigits_ucidigits.py seed 2 (exit code 1, see x/train.log).

Command: `python tools/benchmark.py a b`

Trained on: not recorded (1 run)
'''  # noqa: E501


def fake_benchmark():
    configs = [
        'configs/dfa_mcd/energy/mnist_usps.py',
        'configs/dfa_mcd/mnist_usps.py',
        'configs/ent/syndigits_ucidigits.py',
        'configs/source_only/mnist_usps.py',
    ]
    specs = [RunSpec(config, seed) for config in configs for seed in (1, 2)]
    energy1, energy2, dfa1, dfa2, ent1, ent2, src1, src2 = specs
    specs.remove(energy2)
    results = {
        energy1:
        fake_result(energy1, [94.0, 96.0]),
        dfa1:
        fake_result(dfa1, [95.0, 97.0], minutes=4.0),
        dfa2:
        fake_result(
            dfa2, [96.0, 98.0], minutes=5.0, resumed=True, machine='gpu box'),
        ent1:
        fake_result(ent1, {
            250: 60.0,
            500: 62.0
        }, machine=None),
        src1:
        fake_result(src1, [70.0, 76.0], minutes=2.0),
        src2:
        fake_result(src2, [78.0, 77.0], minutes=3.0),
    }
    failures = {ent2: 'exit code 1, see x/train.log'}
    return specs, results, failures


def test_render_markdown():
    summaries = summarize(*fake_benchmark())
    markdown = render_markdown(summaries, 'python tools/benchmark.py a b')
    assert markdown == EXPECTED_TABLE.format(notes=NOTES)
    assert 'oracle' in NOTES and 'target test labels' in NOTES


def test_write_report_writes_json_next_to_markdown(tmp_path):
    out = tmp_path / 'results' / 'digits.md'
    summaries = summarize(*fake_benchmark())
    markdown = write_report(summaries, str(out), 'cmd')
    assert out.read_text() == markdown
    report = json.loads((tmp_path / 'results' / 'digits.json').read_text())
    assert report['command'] == 'cmd'
    source_only, dfa_mcd, energy, ent = report['results']
    assert dfa_mcd['method'] == 'dfa_mcd' and dfa_mcd['task'] == 'mnist_usps'
    assert energy['method'] == 'dfa_mcd/energy' and energy['paper'] is None
    assert dfa_mcd['last_iter']['per_seed'] == [97.0, 98.0]
    assert dfa_mcd['paper'] == {'mean': 97.3, 'std': 0.1}
    assert dfa_mcd['machines'] == ['cpu box', 'gpu box']
    assert source_only['oracle_best']['mean'] == 77.0
    failure = dict(seed=2, reason='exit code 1, see x/train.log')
    assert ent['failures'] == [failure]


def test_load_finished_checks_the_recorded_run(tmp_path):
    options = ('train_cfg.max_iters=4', 'model.milestones=[1,2]')
    spec = RunSpec(str(REPO / EMBEDDED), 1, options, str(tmp_path))
    assert load_finished(spec) is None
    os.makedirs(spec.run_dir)
    fake_result(spec, [50.0], max_iters=4).dump(spec.result_file)

    # The same overrides in another order and spelling are the same run.
    same_options = ('model.milestones=1,2', 'train_cfg.max_iters=4')
    same = RunSpec(spec.config, 1, same_options, str(tmp_path))
    assert load_finished(same).validations == [(4, {ACCURACY_KEY: 50.0})]

    other = RunSpec(spec.config, 1, ('train_cfg.max_iters=8', ), str(tmp_path))
    with pytest.raises(ValueError, match='another --work-dir') as error:
        load_finished(other)
    message = str(error.value)
    assert 'records train_cfg.max_iters=4, model.milestones=[1, 2];' in message
    assert 'asks for train_cfg.max_iters=8, model.milestones unset' in message


def test_plan_runs_rejects_ambiguous_benchmarks(tmp_path):
    config = str(REPO / EMBEDDED)
    specs = plan_runs([config], [1, 2], ['a=1'], 'wd')
    run_dirs = [
        f'wd/source_only/syndigits_ucidigits/seed_{seed}' for seed in (1, 2)
    ]
    assert [spec.run_dir for spec in specs] == run_dirs
    assert [spec.cfg_options for spec in specs] == [('a=1', )] * 2
    with pytest.raises(ValueError, match='--seeds'):
        plan_runs([config], [1], ['randomness.seed=3'], 'wd')
    with pytest.raises(ValueError, match='would both run in'):
        copy = tmp_path / 'configs' / 'source_only' / Path(config).name
        copy.parent.mkdir(parents=True)
        copy.write_text('')
        plan_runs([config, str(copy)], [1], [], 'wd')
    with pytest.raises(ValueError, match='configs/<method>/<task>.py'):
        outside = tmp_path / 'my_config.py'
        outside.write_text('')
        plan_runs([str(outside)], [1], [], 'wd')
    with pytest.raises(ValueError, match='would both run in'):
        plan_runs([config], [1, 1], [], 'wd')
    with pytest.raises(FileNotFoundError):
        plan_runs([str(tmp_path / 'configs' / 'mcd' / 'missing.py')], [1], [],
                  'wd')


def test_prepare_run_dir_resumes_or_starts_over(tmp_path):
    spec = RunSpec(EMBEDDED, 1, (), str(tmp_path))
    os.makedirs(spec.run_dir)
    checkpoint = os.path.join(spec.run_dir, 'iter_2.pth')
    Path(checkpoint).touch()
    Path(spec.run_dir, 'last_checkpoint').write_text(checkpoint)
    assert prepare_run_dir(spec, resume=True) == checkpoint
    assert prepare_run_dir(spec, resume=False) is None
    assert os.listdir(spec.run_dir) == []


# Stands in for tools/train.py: records how it was called, validates once at
# the iteration given by --cfg-options, or fails when asked to.
FAKE_TRAIN = textwrap.dedent('''\
    import json, os, sys
    args = sys.argv[1:]
    work_dir = args[args.index('--work-dir') + 1]
    print('fake training log')
    if 'fail=1' in args:
        sys.exit(3)
    with open(os.path.join(work_dir, 'call.json'), 'w') as f:
        json.dump(dict(args=args, omp=os.environ.get('OMP_NUM_THREADS')), f)
    iters = [a for a in args if a.startswith('train_cfg.max_iters=')]
    vis = os.path.join(work_dir, '20240101_000000', 'vis_data')
    os.makedirs(vis)
    with open(os.path.join(vis, 'scalars.json'), 'w') as f:
        step = int(iters[-1].split('=')[1])
        f.write(json.dumps({'target/accuracy': 42.0, 'step': step}) + '\\n')
''')


def test_run_benchmark_records_results_and_failures(tmp_path, monkeypatch):
    script = tmp_path / 'train.py'
    script.write_text(FAKE_TRAIN)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    config = str(REPO / EMBEDDED)
    good = RunSpec(config, 2, ('train_cfg.max_iters=6', ), str(tmp_path))
    bad = RunSpec(config, 3, ('fail=1', ), str(tmp_path))
    lines = []
    results, failures = run_benchmark([good, bad],
                                      str(script),
                                      jobs=2,
                                      echo=lines.append)

    call = json.loads(Path(good.run_dir, 'call.json').read_text())
    assert call['omp'] == '1'
    assert '--data-root' not in call['args']
    assert call['args'][-2:] == ['randomness.seed=2', 'train_cfg.max_iters=6']
    assert results[good].max_iters == 6
    assert results[good].validations == [(6, {'target/accuracy': 42.0})]
    assert RunResult.load(good.result_file) == results[good]
    assert 'fake training log' in Path(good.log_file).read_text()

    assert list(failures) == [bad]
    assert 'exit code 3' in failures[bad] and bad.log_file in failures[bad]
    assert not os.path.exists(bad.result_file)
    assert sum(line.endswith(': started') for line in lines) == 2
    assert f'[2/2] {bad}: FAILED ({failures[bad]})' in lines


def run_tool(tmp_path):
    command = [
        sys.executable, 'tools/benchmark.py', EMBEDDED, '--seeds', '1', '2',
        '--work-dir',
        str(tmp_path / 'runs'), '--out',
        str(tmp_path / 'digits.md'), '--jobs', '2', '--threads-per-run', '1',
        '--cfg-options', *TINY
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


@pytest.mark.slow
def test_benchmark_end_to_end(tmp_path):
    first = run_tool(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert first.stdout.count(': finished, target/accuracy') == 2
    markdown = (tmp_path / 'digits.md').read_text()
    assert '## syndigits_ucidigits' in markdown
    lines = markdown.splitlines()
    row = next(line for line in lines if line.startswith('| Source only |'))
    header = next(line for line in lines if line.startswith('| method |'))

    def cells(line):
        return [cell.strip() for cell in line.strip('|').split('|')]

    by_column = dict(zip(cells(header), cells(row)))
    assert by_column['seeds'] == '2' and by_column['iterations'] == '4'
    # The configs log the label-free criteria, so each gets a column.
    assert {
        f'`label_free/{name}` pick (mean ± std)'
        for name in ('snd', 'im', 'neg_entropy')
    } <= set(by_column)
    assert f'Command: `python tools/benchmark.py {EMBEDDED}' in markdown
    # Each result records the machine that trained it, so that a report
    # rendered elsewhere (--report-only) still names it.
    assert f'Trained on: {describe_machine()} (2 runs)' in markdown
    report = json.loads((tmp_path / 'digits.json').read_text())
    assert report['results'][0]['seeds'] == [1, 2]
    # ... and the commit of the code that trained it.
    result = json.loads(
        next(tmp_path.glob('runs/**/seed_1/result.json')).read_text())
    assert result['code_version'] == describe_code_version(
        str(REPO / 'tools' / 'train.py'))

    wall_time = re.compile(
        r'\nWall time of this command: [\d.]+ min, 2 run\(s\) at a time '
        r'with 1 thread\(s\) each, on .+\.\n')
    assert len(wall_time.findall(markdown)) == 1

    second = run_tool(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert second.stdout.count(': skipped') == 2
    assert 'started' not in second.stdout
    assert wall_time.sub('', (tmp_path / 'digits.md').read_text()) == (
        wall_time.sub('', markdown))


def test_result_without_machine_loads_as_not_recorded(tmp_path):
    spec = RunSpec('configs/ent/mnist_usps.py', 1, (), str(tmp_path))
    fields = fake_result(spec, [50.0]).__dict__
    del fields['machine']
    os.makedirs(spec.run_dir)
    Path(spec.result_file).write_text(json.dumps(fields))
    result = load_finished(spec)
    assert result.machine is None
    markdown = render_markdown(summarize([spec], {spec: result}, {}), 'cmd')
    assert 'Trained on: not recorded (1 run)' in markdown


def test_load_validation_records_keeps_label_free_criteria(tmp_path):
    write_scalars(tmp_path, '20240101_120000', [
        {
            'lr': 2e-4,
            'loss': 1.0,
            'step': 10
        },
        {
            'target/accuracy': 50.0,
            'label_free/snd': 2.5,
            'label_free/neg_entropy': -0.3,
            'time': 0.2,
            'step': 10
        },
    ])
    assert load_validation_records(str(tmp_path)) == [(10, {
        'target/accuracy':
        50.0,
        'label_free/snd':
        2.5,
        'label_free/neg_entropy':
        -0.3
    })]


def test_pick_validation_takes_the_highest_and_later_on_ties():
    records = [(1, {
        'label_free/im': 0.5
    }), (2, {
        'label_free/im': 0.9
    }), (3, {
        'label_free/im': 0.9
    }), (4, {
        'label_free/im': 0.1
    }), (5, {
        'label_free/im': float('nan')
    }), (6, {})]
    assert label_free_criteria(records) == ['label_free/im']
    assert pick_validation(records, 'label_free/im') == records[2]
    assert pick_validation(records, 'label_free/snd') is None
    assert pick_validation(records[4:], 'label_free/im') is None


def label_free_result(spec, records):
    """A result validated at the iterations of ``records``, each mapped to
    ``(accuracy, {criterion: value})``; training ends at the last one."""
    validations = [(step, {
        ACCURACY_KEY: accuracy,
        **{
            f'label_free/{name}': value
            for name, value in criteria.items()
        }
    }) for step, (accuracy, criteria) in records.items()]
    return RunResult(spec.config, spec.seed, [], max(records), 1.0, False,
                     validations, validations[-1][1])


def test_report_adds_the_accuracy_each_label_free_criterion_picks():
    specs = [
        RunSpec(f'configs/{method}/mnist_usps.py', seed)
        for method in ('dfa_mcd', 'mcd') for seed in (1, 2)
    ]
    dfa1, dfa2, mcd1, mcd2 = specs
    results = {
        # snd picks 750 (the later of two 2.0) and neg_entropy 500 (the
        # later of two -0.5): 65 and 70.
        dfa1:
        label_free_result(
            dfa1, {
                250: (60.0, dict(snd=1.0, neg_entropy=-0.5)),
                500: (70.0, dict(snd=2.0, neg_entropy=-0.5)),
                750: (65.0, dict(snd=2.0, neg_entropy=-0.7)),
            }),
        # Both pick 250: 80.
        dfa2:
        label_free_result(
            dfa2, {
                250: (80.0, dict(snd=3.0, neg_entropy=-0.1)),
                500: (90.0, dict(snd=1.0, neg_entropy=-0.2)),
                750: (85.0, dict(snd=2.0, neg_entropy=-0.3)),
            }),
        # snd picks 250 (NaN never wins): 50; neg_entropy was not logged.
        mcd1:
        label_free_result(
            mcd1, {
                250: (50.0, dict(snd=0.5)),
                500: (55.0, dict(snd=0.4)),
                750: (52.0, dict(snd=float('nan'))),
            }),
        # No criterion logged.
        mcd2:
        label_free_result(mcd2, {
            250: (40.0, {}),
            500: (45.0, {}),
            750: (44.0, {}),
        }),
    }
    summaries = summarize(specs, results, {})
    lines = render_markdown(summaries, 'cmd').splitlines()
    header = lines.index('## mnist_usps') + 2
    assert lines[header:header + 4] == [
        '| method | last iter (mean ± std) | oracle best (mean ± std) | '
        '`label_free/neg_entropy` pick (mean ± std) | '
        '`label_free/snd` pick (mean ± std) | paper | seeds | iterations | '
        'minutes / run |',
        '|---|---|---|---|---|---|---|---|---|',
        '| MCD | 48.0 ± 5.7 | 50.0 ± 7.1 | - | 50.0 ± - (1 of 2 seeds) | '
        '94.2 ± 0.7 | 2 | 750 | 1.0 |',
        '| DFA-MCD | 75.0 ± 14.1 | 80.0 ± 14.1 | 75.0 ± 7.1 | 72.5 ± 10.6 | '
        '97.3 ± 0.1 | 2 | 750 | 1.0 |',
    ]
    assert LABEL_FREE_NOTES in lines

    report = summary_to_dict(summaries[1])
    assert report['label_free_picks']['label_free/snd'] == dict(
        per_seed=[65.0, 80.0],
        mean=72.5,
        std=pytest.approx(10.6066, abs=1e-4),
        seeds=[1, 2],
        iterations=[750, 250])


def test_report_adds_the_accuracy_source_validation_picks(tmp_path):
    # tools/train.py --source-val logs source_val/* next to the target
    # metrics; source_val/accuracy picks 30, the later of two 95s: 55.
    write_scalars(
        tmp_path, '20240101_120000',
        [{
            'target/accuracy': target,
            'label_free/snd': snd,
            'source_val/accuracy': source,
            'source_val/mean_class_accuracy': source - 1,
            'step': step
        }
         for step, target, snd, source in [(10, 50.0, 1.0,
                                            90.0), (20, 60.0, 3.0,
                                                    95.0), (30, 55.0, 2.0,
                                                            95.0)]])
    records = load_validation_records(str(tmp_path))
    assert records[0] == (10, {
        'target/accuracy': 50.0,
        'label_free/snd': 1.0,
        'source_val/accuracy': 90.0,
        'source_val/mean_class_accuracy': 89.0
    })
    assert label_free_criteria(records) == [
        'label_free/snd', 'source_val/accuracy'
    ]
    assert pick_validation(records, 'source_val/accuracy') == records[2]

    spec = RunSpec('configs/mcd/mnist_usps.py', 1)
    result = RunResult(spec.config, 1, [], 30, 1.0, False, records,
                       records[-1][1])
    summaries = summarize([spec], {spec: result}, {})
    lines = render_markdown(summaries, 'cmd').splitlines()
    header = lines.index('## mnist_usps') + 2
    assert lines[header] == (
        '| method | last iter (mean ± std) | oracle best (mean ± std) | '
        '`label_free/snd` pick (mean ± std) | '
        '`source_val/accuracy` pick (mean ± std) | paper | seeds | '
        'iterations | minutes / run |')
    assert lines[header + 2] == (
        '| MCD | 55.0 ± - | 60.0 ± - | 60.0 ± - | 55.0 ± - | 94.2 ± 0.7 | 1 '
        '| 30 | 1.0 |')
    assert 'source_val/accuracy' in LABEL_FREE_NOTES
    report = summary_to_dict(summaries[0])
    assert report['label_free_picks']['source_val/accuracy']['iterations'] \
        == [30]


def test_result_records_the_commit_training_started_from(tmp_path):
    """A commit made while a run trains is not the code that trained it."""
    checkout = tmp_path / 'checkout'
    (checkout / 'configs' / 'mcd').mkdir(parents=True)
    config = checkout / 'configs' / 'mcd' / 'mnist_usps.py'
    config.write_text('train_cfg = dict(max_iters=2)\n')
    # Stands in for tools/train.py: logs one validation, then the checkout
    # moves on by one commit before training ends.
    train_script = checkout / 'train.py'
    train_script.write_text(
        textwrap.dedent(f'''\
        import json, os, subprocess, sys
        work_dir = sys.argv[sys.argv.index('--work-dir') + 1]
        os.makedirs(os.path.join(work_dir, 'stamp', 'vis_data'))
        with open(os.path.join(work_dir, 'stamp', 'vis_data',
                               'scalars.json'), 'w') as f:
            f.write(json.dumps({{'{ACCURACY_KEY}': 50.0, 'step': 2}}))
        open({str(checkout / 'later.txt')!r}, 'w').close()
        subprocess.run(['git', 'add', 'later.txt'], check=True,
                       cwd={str(checkout)!r})
        subprocess.run(['git', 'commit', '-qm', 'later'], check=True,
                       cwd={str(checkout)!r})
        '''))

    def git(*args):
        return subprocess.run(['git', *args],
                              cwd=checkout,
                              check=True,
                              capture_output=True,
                              text=True).stdout.strip()

    git('init', '-q')
    git('config', 'user.email', 'a@b.c')
    git('config', 'user.name', 'a')
    git('add', '.')
    git('commit', '-qm', 'first')
    started_from = git('rev-parse', 'HEAD')
    spec = RunSpec(str(config), 1, work_dir=str(tmp_path / 'runs'))
    prepare_run_dir(spec, resume=False)

    result = execute_run(spec, str(train_script))

    assert git('rev-parse', 'HEAD') != started_from
    assert result.code_version == started_from
    assert json.loads(Path(
        spec.result_file).read_text())['code_version'] == started_from
