"""Summaries of benchmark runs: one markdown table per task, and JSON."""
import json
import os
import os.path as osp
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from dfa_lab.analysis.scalars import (ACCURACY_KEY, label_free_criteria,
                                      pick_validation)
from .ablation import TABLE8_NOTE, TABLE8_ROWS
from .config_name import method_label, parse_config_name
from .paper import PaperAccuracy, paper_accuracy
from .runs import RunResult, RunSpec

# Baselines first, then the DFA variants of the same hosts, then the
# ablations in Table 8's order.
METHOD_ORDER = ('source_only', 'ent', 'mcd', 'safn', 'dann', 'cdan',
                'dfa_ent', 'dfa_mcd', 'dfa_safn', 'dfa_dann', 'dfa_cdan',
                *TABLE8_ROWS)
COLUMNS = ('method', 'last iter (mean ± std)', 'oracle best (mean ± std)',
           'paper', 'seeds', 'iterations', 'minutes / run')
NOTES = (
    f'Accuracy (`{ACCURACY_KEY}`) in % on the target test set, mean ± '
    'sample std over seeds. "last iter" is the accuracy after the final '
    'training iteration. "oracle best" is the highest accuracy of each seed '
    'over all its validations: it selects with the target test labels, so '
    'it is an oracle upper bound, not an unsupervised domain adaptation '
    'result.')
LABEL_FREE_NOTES = (
    '"`<criterion>` pick" is the accuracy at the validation where that '
    'criterion is highest for each seed (the later one on ties): '
    '`label_free/neg_entropy` the negated mean prediction entropy, '
    '`label_free/im` information maximisation, `label_free/snd` soft '
    'neighborhood density, all three read from the target test images '
    'without their labels; `source_val/accuracy` the accuracy on source '
    'data held out from training (`tools/train.py --source-val`). None of '
    'them reads target labels, so they select a checkpoint the way an '
    'unsupervised domain adaptation experiment can. "(n of m seeds)": only '
    'n runs logged the criterion.')


@dataclass
class MethodSummary:
    """The runs of one config (a method on a task) over its seeds.

    Args:
        config: Config path.
        method: Method, from the config path.
        task: Task, from the config path.
        seeds: Seeds of the finished runs.
        last_accuracy: Accuracy at the last validation of each finished run.
        last_iters: Iteration of that validation, for each finished run.
        best_accuracy: Highest accuracy over the validations of each run.
        max_iters: Training iterations of each finished run.
        minutes: Wall-clock minutes of each finished run.
        resumed_seeds: Seeds of the runs that were resumed.
        failures: ``(seed, reason)`` of every failed run.
        machines: The machine that trained each finished run, None where
            its result does not record it.
        label_free_picks: For each criterion without target labels the
            runs logged (see
            :func:`~dfa_lab.analysis.scalars.label_free_criteria`),
            ``(seed, iteration, accuracy)`` of the validation it picks in
            each run that logged it (see
            :func:`~dfa_lab.analysis.scalars.pick_validation`).
    """
    config: str
    method: str
    task: str
    seeds: List[int] = field(default_factory=list)
    last_accuracy: List[float] = field(default_factory=list)
    last_iters: List[int] = field(default_factory=list)
    best_accuracy: List[float] = field(default_factory=list)
    max_iters: List[int] = field(default_factory=list)
    minutes: List[float] = field(default_factory=list)
    resumed_seeds: List[int] = field(default_factory=list)
    failures: List[Tuple[int, str]] = field(default_factory=list)
    machines: List[Optional[str]] = field(default_factory=list)
    label_free_picks: Dict[str,
                           List[Tuple[int, int,
                                      float]]] = field(default_factory=dict)

    @property
    def paper(self) -> Optional[PaperAccuracy]:
        return paper_accuracy(self.method, self.task)

    @property
    def early_ends(self) -> List[Tuple[int, int, int]]:
        """``(seed, last validated iteration, max_iters)`` of the runs whose
        last validation came before the end of training."""
        return [(seed, last, total) for seed, last, total in zip(
            self.seeds, self.last_iters, self.max_iters) if last != total]

    def add(self, result: RunResult) -> None:
        """Count a finished run in."""
        accuracies = [m[ACCURACY_KEY] for _, m in result.validations]
        self.seeds.append(result.seed)
        self.last_accuracy.append(accuracies[-1])
        self.last_iters.append(result.validations[-1][0])
        self.best_accuracy.append(max(accuracies))
        self.max_iters.append(result.max_iters)
        self.minutes.append(result.minutes)
        self.machines.append(result.machine)
        if result.resumed:
            self.resumed_seeds.append(result.seed)
        for criterion in label_free_criteria(result.validations):
            picked = pick_validation(result.validations, criterion)
            if picked is not None:
                step, metrics = picked
                self.label_free_picks.setdefault(criterion, []).append(
                    (result.seed, step, metrics[ACCURACY_KEY]))


def method_rank(method: str) -> Tuple[int, str]:
    """Sort key of a method: :data:`METHOD_ORDER` first, each followed by
    its nested variants (``dfa_mcd/<variant>`` after ``dfa_mcd``)
    alphabetically, then the others alphabetically."""
    if method in METHOD_ORDER:
        return METHOD_ORDER.index(method), ''
    top = method.partition('/')[0]
    if top in METHOD_ORDER:
        return METHOD_ORDER.index(top), method
    return len(METHOD_ORDER), method


def summarize(specs: Sequence[RunSpec], results: Dict[RunSpec, RunResult],
              failures: Dict[RunSpec, str]) -> List[MethodSummary]:
    """Gather the runs config by config.

    Args:
        specs: Every run of the benchmark.
        results: Result of each finished run.
        failures: Reason of each failed run.

    Returns:
        list[MethodSummary]: One per config: tasks in the order they first
        appear in ``specs``, methods within a task in :func:`method_rank`
        order.
    """
    summaries = {}
    for spec in specs:
        if spec.config not in summaries:
            summaries[spec.config] = MethodSummary(
                spec.config, *parse_config_name(spec.config))
        summary = summaries[spec.config]
        if spec in results:
            summary.add(results[spec])
        elif spec in failures:
            summary.failures.append((spec.seed, failures[spec]))
    tasks = list(dict.fromkeys(s.task for s in summaries.values()))
    return sorted(
        summaries.values(),
        key=lambda s: (tasks.index(s.task), method_rank(s.method)))


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (ddof=1; None for one value)."""
    std = statistics.stdev(values) if len(values) > 1 else None
    return statistics.mean(values), std


def format_mean_std(values: Sequence[float]) -> str:
    """``'mean ± std'`` with one decimal; ``'-'`` stands for a missing std
    (one value) or for no values at all."""
    if not values:
        return '-'
    mean, std = mean_std(values)
    return f'{mean:.1f} ± ' + ('-' if std is None else f'{std:.1f}')


def format_paper(paper: Optional[PaperAccuracy]) -> str:
    """The paper's accuracy as reported: with its std where it has one."""
    if paper is None:
        return '-'
    if paper.std is None:
        return f'{paper.mean:.1f}'
    return f'{paper.mean:.1f} ± {paper.std:.1f}'


def table_columns(criteria: Sequence[str]) -> Tuple[str, ...]:
    """:data:`COLUMNS` with one column per label-free criterion after the
    oracle column."""
    picks = tuple(f'`{c}` pick (mean ± std)' for c in criteria)
    return COLUMNS[:3] + picks + COLUMNS[3:]


def pick_cell(summary: MethodSummary, criterion: str) -> str:
    """Mean ± std of the accuracies a criterion picks, and how many seeds
    they cover where some runs did not log it."""
    accuracies = [
        accuracy
        for _, _, accuracy in summary.label_free_picks.get(criterion, [])
    ]
    cell = format_mean_std(accuracies)
    if accuracies and len(accuracies) < len(summary.seeds):
        cell += f' ({len(accuracies)} of {len(summary.seeds)} seeds)'
    return cell


def table_row(summary: MethodSummary, label: str,
              criteria: Sequence[str] = ()) -> List[str]:
    """The cells of a summary's table row, in :func:`table_columns` order.

    Args:
        summary: The config's runs.
        label: The row's label.
        criteria: The label-free criteria that have a column.
    """
    if summary.early_ends:
        # The accuracy of an earlier validation would pass for the final
        # one; name the problem instead.
        last = 'not validated at the end: ' + ', '.join(
            f'seed {seed} last at iter {last} of {total}'
            for seed, last, total in summary.early_ends)
    else:
        last = format_mean_std(summary.last_accuracy)
    seeds = str(len(summary.seeds))
    if summary.failures:
        seeds += f' ({len(summary.failures)} failed)'
    minutes = (f'{statistics.mean(summary.minutes):.1f}'
               if summary.minutes else '-')
    iterations = ', '.join(str(i) for i in sorted(set(summary.max_iters)))
    return [
        label, last,
        format_mean_std(summary.best_accuracy),
        *(pick_cell(summary, criterion) for criterion in criteria),
        format_paper(summary.paper), seeds, iterations or '-', minutes
    ]


def describe_training_machines(summaries: Iterable[MethodSummary]) -> str:
    """The machines that trained the summarised runs, each with its number
    of runs, most runs first; ``'-'`` when no run finished."""
    counts = Counter(machine for summary in summaries
                     for machine in summary.machines)
    if not counts:
        return '-'
    return '; '.join(f'{machine or "not recorded"} ({count} '
                     f'run{"s" if count > 1 else ""})'
                     for machine, count in counts.most_common())


def render_markdown(summaries: Sequence[MethodSummary], command: str) -> str:
    """One markdown section per task: its table, then notes, the command
    line that produced it and the machines its runs were trained on.

    A row is labelled with its method (:func:`method_label`; a Table-8
    ablation also with its latent alignment). Where runs of the task logged
    label-free criteria or ``source_val/accuracy``, each gets a column of
    the accuracy it selects.
    """
    lines = ['# Benchmark results']
    tasks = list(dict.fromkeys(s.task for s in summaries))
    for task in tasks:
        rows = [s for s in summaries if s.task == task]
        criteria = sorted({c for s in rows for c in s.label_free_picks})
        columns = table_columns(criteria)
        lines += [
            '', f'## {task}', '', '| ' + ' | '.join(columns) + ' |',
            '|' + '---|' * len(columns)
        ]
        for summary in rows:
            cells = table_row(summary, method_label(summary.method), criteria)
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines += ['', NOTES]
        if criteria:
            lines += ['', LABEL_FREE_NOTES]
        if any(s.method in TABLE8_ROWS for s in rows):
            lines += ['', TABLE8_NOTE]
        if any(s.resumed_seeds for s in rows):
            lines += [
                '', 'Minutes of a resumed run count only the process that '
                'finished it.'
            ]
        for summary in rows:
            for seed, reason in summary.failures:
                lines += [
                    '', f'FAILED: {summary.config} seed {seed} '
                    f'({reason}).'
                ]
        lines += [
            '', f'Command: `{command}`', '',
            f'Trained on: {describe_training_machines(rows)}'
        ]
    return '\n'.join(lines) + '\n'


def summary_to_dict(summary: MethodSummary) -> dict:
    """A summary with its aggregates, for the JSON output."""

    def aggregate(values: Sequence[float]) -> dict:
        mean, std = mean_std(values) if values else (None, None)
        return dict(per_seed=list(values), mean=mean, std=std)

    paper = summary.paper
    return dict(
        config=summary.config,
        method=summary.method,
        task=summary.task,
        seeds=summary.seeds,
        last_iter=aggregate(summary.last_accuracy),
        last_validated_iter=summary.last_iters,
        oracle_best=aggregate(summary.best_accuracy),
        label_free_picks={
            criterion:
            dict(
                aggregate([accuracy for _, _, accuracy in picks]),
                seeds=[seed for seed, _, _ in picks],
                iterations=[step for _, step, _ in picks])
            for criterion, picks in summary.label_free_picks.items()
        },
        paper=None if paper is None else paper._asdict(),
        max_iters=summary.max_iters,
        minutes=aggregate(summary.minutes),
        resumed_seeds=summary.resumed_seeds,
        machines=summary.machines,
        failures=[
            dict(seed=seed, reason=reason) for seed, reason in summary.failures
        ])


def write_report(summaries: Sequence[MethodSummary], out: str,
                 command: str) -> str:
    """Write the markdown to ``out`` and the same results as JSON next to
    it (``out`` with a ``.json`` suffix).

    Returns:
        str: The markdown.
    """
    markdown = render_markdown(summaries, command)
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    with open(out, 'w') as f:
        f.write(markdown)
    with open(osp.splitext(out)[0] + '.json', 'w') as f:
        json.dump(
            dict(
                command=command,
                metric=ACCURACY_KEY,
                results=[summary_to_dict(s) for s in summaries]),
            f,
            indent=2)
    return markdown
