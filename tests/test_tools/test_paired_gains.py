"""tools/paired_gains.py: paired gains over a baseline, seed by seed."""
import math
import subprocess
import sys

import pytest
from benchmarking import RunResult
from benchmarking.paired import (load_seed_results, paired_gain,
                                 render_paired_table, render_seed_table)

from .helpers import REPO


def write_runs(folder, accuracies, snd=None):
    """``seed_<s>/result.json`` with validations at 500 and 1000: the
    accuracy at 1000 is the given one, at 500 one point lower (or, with
    ``snd``, the label-free criterion preferring iteration 500)."""
    for seed, accuracy in accuracies.items():
        run = folder / f'seed_{seed}'
        run.mkdir(parents=True)
        early = {'target/accuracy': accuracy - 1.0}
        late = {'target/accuracy': accuracy}
        if snd:
            early['label_free/snd'], late['label_free/snd'] = 2.0, 1.0
        RunResult(
            config='configs/mcd/mnist_usps.py',
            seed=seed,
            cfg_options=[],
            max_iters=1000,
            minutes=1.0,
            resumed=False,
            validations=[(500, early), (1000, late)],
            final_metrics=late).dump(str(run / 'result.json'))
    return folder


def test_paired_gain_mean_standard_error_and_verdict(tmp_path):
    baseline = load_seed_results(
        write_runs(tmp_path / 'base', {
            1: 90.0,
            2: 92.0,
            3: 91.0,
            4: 95.0
        }))
    small = load_seed_results(
        write_runs(tmp_path / 'small', {
            1: 91.0,
            2: 94.0,
            3: 91.0
        }))
    gain = paired_gain(baseline, small)
    # Seed 4 has no candidate run and is left out.
    assert gain.seeds == [1, 2, 3]
    assert gain.gains == [1.0, 2.0, 0.0]
    assert gain.mean == pytest.approx(1.0)
    assert gain.standard_error == pytest.approx(1.0 / math.sqrt(3))
    assert gain.beats_baseline is False  # 1.0 < 2 * 0.577
    steady = load_seed_results(
        write_runs(tmp_path / 'steady', {
            1: 91.0,
            2: 93.1,
            3: 91.9
        }))
    assert paired_gain(baseline, steady).beats_baseline is True
    one = load_seed_results(write_runs(tmp_path / 'one', {2: 93.0}))
    assert paired_gain(baseline, one).standard_error is None
    table = render_paired_table('MCD', baseline, [('small', small),
                                                  ('one', one)])
    assert '| small | 1, 2, 3 | 91.00 | 92.00 | +1.00 ± 0.58 | no |' in table
    assert '| one | 2 | 92.00 | 93.00 | +1.00 (one seed) | n/a |' in table


def test_paired_gain_under_a_pick(tmp_path):
    baseline = load_seed_results(write_runs(tmp_path / 'b', {1: 90.0}))
    picked = load_seed_results(write_runs(tmp_path / 'c', {1: 93.0}, snd=True))
    assert paired_gain(baseline, picked, 'oracle').gains == [3.0]
    # The baseline logged no label-free criterion: no pair.
    assert paired_gain(baseline, picked, 'label_free/snd') is None
    assert paired_gain(picked, picked, 'label_free/snd').candidate == [92.0]


def test_seed_table_lists_every_run_with_mean_and_std(tmp_path):
    baseline = load_seed_results(
        write_runs(tmp_path / 'base', {
            1: 90.0,
            2: 92.0,
            4: 95.0
        }))
    one = load_seed_results(write_runs(tmp_path / 'one', {3: 93.0}))
    table = render_seed_table([('MCD', baseline), ('one', one)])
    lines = table.splitlines()
    assert lines[0] == ('| method | seed 1 | seed 2 | seed 3 | seed 4 | '
                        'mean ± std |')
    assert lines[1] == '|---|---|---|---|---|---|'
    # std of 90, 92, 95: mean 92.333, squared deviations 5.444, 0.111,
    # 7.111 over n - 1 = 2: sqrt(6.333) = 2.517.
    assert lines[2] == '| MCD | 90.00 | 92.00 |  | 95.00 | 92.33 ± 2.52 |'
    assert lines[3] == '| one |  |  | 93.00 |  | 93.00 |'
    # Under a pick the baseline did not log, its cells are blank.
    picked = load_seed_results(write_runs(tmp_path / 'c', {1: 93.0}, snd=True))
    table = render_seed_table([('MCD', baseline), ('snd', picked)],
                              'label_free/snd')
    assert '| MCD |  |  |  |  |\n' in table
    assert '| snd | 92.00 |  |  | 92.00 |' in table


@pytest.mark.slow
def test_cli_end_to_end(tmp_path):
    write_runs(tmp_path / 'mcd' / 'mnist_usps', {1: 90.0, 2: 91.0})
    write_runs(tmp_path / 'mmd' / 'mnist_usps', {1: 90.5, 2: 92.0})
    out = tmp_path / 'gains' / 'table.md'
    result = subprocess.run([
        sys.executable, 'tools/paired_gains.py', '--baseline',
        str(tmp_path / 'mcd' / 'mnist_usps'),
        str(tmp_path / 'mmd' / 'mnist_usps'), '--labels', 'MCD (mmd)',
        '--baseline-label', 'MCD', '--out',
        str(out)
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert '| MCD (mmd) | 1, 2 | 90.50 | 91.25 | +0.75 ± 0.25 | yes |' in text
    assert '| MCD | 90.00 | 91.00 | 90.50 ± 0.71 |' in text
    assert '| MCD (mmd) | 90.50 | 92.00 | 91.25 ± 1.06 |' in text
    missing = subprocess.run([
        sys.executable, 'tools/paired_gains.py', '--baseline',
        str(tmp_path / 'nothing'),
        str(tmp_path / 'mmd' / 'mnist_usps')
    ],
                             cwd=REPO,
                             capture_output=True,
                             text=True,
                             timeout=120)
    assert missing.returncode == 1
    assert 'holds no finished run' in missing.stderr
