"""Paired gains of candidate methods over a baseline, seed by seed.

Runs with the same seed share their data order and initialisation only
partly (the candidate draws its own random numbers), but the seed-to-seed
spread of a host is often as large as the gains in question; comparing
each candidate run with the baseline run of the same seed and averaging
the differences removes the part of that spread the two share. A candidate
beats the baseline when its mean paired gain exceeds twice its standard
error.
"""
import glob
import math
import os.path as osp
import re
import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from dfa_lab.analysis.scalars import ACCURACY_KEY, pick_validation
from .report import mean_std
from .runs import RunResult

#: How a run's accuracy is read: after its last iteration, or at the
#: validation a criterion picks (``oracle``: the best accuracy, which reads
#: the target labels; a label-free criterion such as ``label_free/snd``).
LAST = 'last'
ORACLE = 'oracle'


def run_accuracy(result: RunResult, pick: str = LAST) -> Optional[float]:
    """The target accuracy of one run under ``pick``, or None where the run
    did not log the criterion."""
    if pick == LAST:
        return result.final_metrics[ACCURACY_KEY]
    if pick == ORACLE:
        return max(metrics[ACCURACY_KEY] for _, metrics in result.validations)
    chosen = pick_validation(result.validations, pick)
    return None if chosen is None else chosen[1][ACCURACY_KEY]


def load_seed_results(folder: str) -> Dict[int, RunResult]:
    """The finished runs of one method on one task: ``folder`` is the
    benchmark's ``<work-dir>/<method>/<task>``, holding
    ``seed_<seed>/result.json``."""
    results = {}
    for path in sorted(glob.glob(osp.join(folder, 'seed_*', 'result.json'))):
        seed = int(
            re.fullmatch(r'seed_(\d+)',
                         osp.basename(osp.dirname(path))).group(1))
        results[seed] = RunResult.load(path)
    if not results:
        raise FileNotFoundError(
            f'{folder} holds no finished run (seed_<seed>/result.json); '
            'name a <work-dir>/<method>/<task> folder of tools/benchmark.py.')
    return results


@dataclass
class PairedGain:
    """A candidate against the baseline over the seeds both have.

    Args:
        seeds: The seeds both finished.
        baseline: The baseline's accuracy on each of them.
        candidate: The candidate's accuracy on each of them.
    """
    seeds: List[int]
    baseline: List[float]
    candidate: List[float]

    @property
    def gains(self) -> List[float]:
        return [c - b for c, b in zip(self.candidate, self.baseline)]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.gains)

    @property
    def standard_error(self) -> Optional[float]:
        """The sample standard deviation of the gains over ``sqrt(n)``;
        None for a single seed."""
        if len(self.gains) < 2:
            return None
        return statistics.stdev(self.gains) / math.sqrt(len(self.gains))

    @property
    def beats_baseline(self) -> Optional[bool]:
        """Whether the mean gain exceeds twice its standard error; None
        for a single seed."""
        se = self.standard_error
        return None if se is None else self.mean > 2 * se


def paired_gain(baseline: Dict[int, RunResult],
                candidate: Dict[int, RunResult],
                pick: str = LAST) -> Optional[PairedGain]:
    """The candidate's gain over the baseline on every seed both finished
    and both have an accuracy for under ``pick``; None without such a
    seed."""
    seeds, base, cand = [], [], []
    for seed in sorted(set(baseline) & set(candidate)):
        b = run_accuracy(baseline[seed], pick)
        c = run_accuracy(candidate[seed], pick)
        if b is not None and c is not None:
            seeds.append(seed)
            base.append(b)
            cand.append(c)
    return PairedGain(seeds, base, cand) if seeds else None


def format_gain(gain: Optional[PairedGain]) -> str:
    if gain is None:
        return 'no common seed'
    se = gain.standard_error
    if se is None:
        return f'{gain.mean:+.2f} (one seed)'
    return f'{gain.mean:+.2f} ± {se:.2f}'


def render_paired_table(baseline_label: str,
                        baseline: Dict[int, RunResult],
                        candidates: Sequence[tuple],
                        pick: str = LAST) -> str:
    """A markdown table: one row per ``(label, seed results)`` candidate,
    with its seeds, mean accuracies and paired gain over the baseline."""
    lines = [
        f'| method | seeds | {baseline_label} (mean) | method (mean) | '
        'paired gain (mean ± SE) | beats it (gain > 2 SE) |',
        '|---|---|---|---|---|---|',
    ]
    for label, results in candidates:
        gain = paired_gain(baseline, results, pick)
        if gain is None:
            lines.append(f'| {label} | none in common | | | | |')
            continue
        verdict = {None: 'n/a', True: 'yes', False: 'no'}[gain.beats_baseline]
        lines.append(f'| {label} | {", ".join(map(str, gain.seeds))} | '
                     f'{statistics.fmean(gain.baseline):.2f} | '
                     f'{statistics.fmean(gain.candidate):.2f} | '
                     f'{format_gain(gain)} | {verdict} |')
    return '\n'.join(lines) + '\n'


def render_seed_table(rows: Sequence[tuple], pick: str = LAST) -> str:
    """A markdown table of each ``(label, seed results)`` row's accuracy
    under ``pick`` on every seed any row finished (blank where it has no
    run or no accuracy), with its mean and sample standard deviation; the
    paired gains come from these values."""
    seeds = sorted(set().union(*(results for _, results in rows)))
    lines = [
        '| method | ' + ' | '.join(f'seed {seed}' for seed in seeds) +
        ' | mean ± std |',
        '|---|' + '---|' * (len(seeds) + 1),
    ]
    for label, results in rows:
        accuracy = {
            seed: run_accuracy(result, pick)
            for seed, result in results.items()
        }
        cells = [
            '' if accuracy.get(seed) is None else f'{accuracy[seed]:.2f}'
            for seed in seeds
        ]
        values = [value for value in accuracy.values() if value is not None]
        summary = ''
        if values:
            mean, std = mean_std(values)
            summary = f'{mean:.2f}' + ('' if std is None else f' ± {std:.2f}')
        lines.append(f'| {label} | ' + ' | '.join(cells) + f' | {summary} |')
    return '\n'.join(lines) + '\n'
