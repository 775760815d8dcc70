"""Sensitivity of a config's target accuracy to ``alpha`` or ``beta``
(the paper's Fig. 10).

Each value of ``--values`` trains the config with
``model.aligner.<param>=<value>`` over ``--seeds``, through the benchmark's
run machinery: each run in
``<work-dir>/<param>_<value>/<method>/<task>/seed_<seed>``, its output in
``train.log`` there; finished runs are not trained again. A markdown table
of the accuracy after the last iteration (mean ± std over seeds) goes to
``--out`` and to the terminal, and its plot against the value (log axis)
to ``--out`` with a ``.png`` suffix.

Example::

    python tools/sensitivity.py \
        configs/dfa_ent/mnist_usps.py \
        --param alpha --values 0.001 0.01 0.1 1 10 100 --seeds 1 2 3 \
        --data-root data --work-dir work_dirs/sensitivity \
        --out docs/results/sensitivity_alpha.md
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from typing import Dict, List, Sequence

from benchmarking import (ACCURACY_KEY, MethodSummary, RunSpec,
                          describe_training_machines, format_mean_std,
                          plan_runs, run_benchmark, summarize)
from benchmarking.report import mean_std
from benchmarking.runs import parse_cfg_options
from matplotlib.figure import Figure
from mmengine.config import Config

from dfa_lab.utils.config import config_name

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')
PARAMS = ('alpha', 'beta')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Accuracy of a config against its aligner\'s alpha or '
        'beta, over several seeds')
    parser.add_argument('config', help='config file with an aligner')
    parser.add_argument(
        '--param',
        required=True,
        choices=PARAMS,
        help='the aligner weight to vary (model.aligner.<param>)')
    parser.add_argument(
        '--values',
        nargs='+',
        required=True,
        metavar='VALUE',
        help='positive values of the weight, e.g. 0.001 0.01 0.1 1 10 100')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[1, 2, 3],
        help='values of randomness.seed, one run each (default: 1 2 3)')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets, passed to tools/train.py; leave '
        'it out for configs on embedded data')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/sensitivity',
        help='runs go to <work-dir>/<param>_<value>/<method>/<task>/'
        'seed_<seed>')
    parser.add_argument(
        '--out',
        help='markdown file for the table, <work-dir>/sensitivity_<param>.md '
        'by default; the plot goes next to it as .png')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='config overrides passed to every run')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='how many training processes run at once')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume interrupted runs from their latest checkpoint')
    args = parser.parse_args(argv)
    for value in args.values:
        try:
            positive = float(value) > 0
        except ValueError:
            positive = False
        if not positive:
            parser.error(f'--values must be positive numbers (the plot has '
                         f'a log axis), got {value!r}')
    if len(set(args.values)) != len(args.values):
        parser.error('--values must not repeat')
    if args.jobs < 1:
        parser.error('--jobs must be at least 1')
    if args.out is None:
        args.out = osp.join(args.work_dir, f'sensitivity_{args.param}.md')
    return args


def plan_sweep(config: str, param: str, values: Sequence[str],
               seeds: Sequence[int], cfg_options: Sequence[str],
               work_dir: str) -> Dict[str, List[RunSpec]]:
    """The runs of every value, each value in a work dir of its own.

    Raises:
        ValueError: The config (with ``cfg_options``) has no aligner
            setting ``param``, or ``cfg_options`` sets it already.
    """
    key = f'model.aligner.{param}'
    options = parse_cfg_options(cfg_options)
    if key in options:
        raise ValueError(f'--cfg-options sets {key}; give its values with '
                         '--values.')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    aligner = cfg.model.get('aligner')
    if not aligner or param not in aligner:
        raise ValueError(
            f'{config} has no {key} to vary: its aligner is {aligner!r}.')
    return {
        value:
        plan_runs([config], seeds, [*cfg_options, f'{key}={value}'],
                  osp.join(work_dir, f'{param}_{value}'))
        for value in values
    }


def render_markdown(param: str, summaries: Dict[str, MethodSummary],
                    plot_file: str, command: str) -> str:
    """The table (one row per value), notes, failures, the plot, the
    command and the machines that trained the runs."""
    config = next(iter(summaries.values())).config
    lines = [
        f'# Sensitivity to {param}: {config_name(config)}', '',
        f'| {param} | last iter (mean ± std) | oracle best (mean ± std) '
        '| seeds | iterations |', '|---|---|---|---|---|'
    ]
    for value, summary in summaries.items():
        if summary.early_ends:
            last = 'not validated at the end'
        else:
            last = format_mean_std(summary.last_accuracy)
        seeds = str(len(summary.seeds))
        if summary.failures:
            seeds += f' ({len(summary.failures)} failed)'
        iterations = ', '.join(str(i) for i in sorted(set(summary.max_iters)))
        lines.append(f'| {value} | {last} | '
                     f'{format_mean_std(summary.best_accuracy)} | {seeds} | '
                     f'{iterations or "-"} |')
    lines += [
        '', f'Accuracy (`{ACCURACY_KEY}`) in % on the target test set with '
        f'`model.aligner.{param}` set to each value, mean ± sample std over '
        'seeds. "last iter" is the accuracy after the final training '
        'iteration; "oracle best", the highest of each seed\'s validations, '
        'selects with the target test labels.'
    ]
    for value, summary in summaries.items():
        for seed, reason in summary.failures:
            lines += ['', f'FAILED: {param}={value} seed {seed} ({reason}).']
    lines += [
        '', f'![accuracy against {param}]({osp.basename(plot_file)})', '',
        f'Command: `{command}`', '',
        f'Trained on: {describe_training_machines(summaries.values())}'
    ]
    return '\n'.join(lines) + '\n'


def plot_sweep(param: str, summaries: Dict[str, MethodSummary],
               path: str) -> None:
    """Last-iteration accuracy, mean ± std over seeds, against the value on
    a log axis; values without a finished run are left out."""
    points = [(float(value), *mean_std(summary.last_accuracy))
              for value, summary in summaries.items()
              if summary.last_accuracy and not summary.early_ends]
    points.sort()
    figure = Figure(figsize=(5, 3.5))
    axis = figure.subplots()
    if points:
        values, means, stds = zip(*points)
        axis.errorbar(
            values,
            means,
            yerr=[0.0 if std is None else std for std in stds],
            marker='o',
            capsize=3)
    axis.set_xscale('log')
    axis.set_xlabel(param)
    axis.set_ylabel('target accuracy (%)')
    axis.set_title(
        config_name(next(iter(summaries.values())).config), fontsize=8)
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    sweep = plan_sweep(args.config, args.param, args.values, args.seeds,
                       args.cfg_options, args.work_dir)
    specs = [spec for value_specs in sweep.values() for spec in value_specs]
    # Progress lines name the config and seed only: say which runs hold
    # which value.
    first = 1
    for value, value_specs in sweep.items():
        last = first + len(value_specs) - 1
        print(f'runs {first}-{last}: {args.param}={value}')
        first = last + 1
    results, failures = run_benchmark(
        specs,
        TRAIN_SCRIPT,
        data_root=args.data_root,
        resume=args.resume,
        jobs=args.jobs)
    # One summary per value: summarize() gathers runs by config, and every
    # value trains the same config.
    summaries = {
        value: summarize(value_specs, results, failures)[0]
        for value, value_specs in sweep.items()
    }
    plot_file = osp.splitext(args.out)[0] + '.png'
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    plot_sweep(args.param, summaries, plot_file)
    markdown = render_markdown(args.param, summaries, plot_file,
                               shlex.join(['python', sys.argv[0], *argv]))
    with open(args.out, 'w') as f:
        f.write(markdown)
    print(markdown)
    if failures:
        print(f'{len(failures)} of {len(specs)} runs FAILED; see the logs '
              'named above.')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
