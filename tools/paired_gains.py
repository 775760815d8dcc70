"""Paired gains of methods over a baseline, seed by seed, as a markdown
table: for each candidate, the mean over the seeds it shares with the
baseline of (candidate accuracy - baseline accuracy) and its standard
error. A candidate beats the baseline when the mean exceeds twice the
standard error. A second table lists every run's accuracy, seed by seed.

Each folder is a ``<work-dir>/<method>/<task>`` of tools/benchmark.py
(holding ``seed_<seed>/result.json``), so that runs of different benchmark
commands (e.g. other ``--cfg-options`` in another ``--work-dir``) compare.

Example::

    python tools/paired_gains.py \
        --baseline docs/results/dfa_study_runs/mcd/mnist_usps \
        docs/results/dfa_study_runs/dfa_mcd/energy/mnist_usps \
        docs/results/dfa_study_runs/mcd/mmd/mnist_usps \
        --labels "DFA-MCD (energy)" "MCD (mmd)" --out gains.md
"""
import argparse
import os
import os.path as osp
import shlex
import sys

from benchmarking.paired import (LAST, ORACLE, load_seed_results,
                                 render_paired_table, render_seed_table)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Paired gains of methods over a baseline, seed by seed')
    parser.add_argument(
        'folders',
        nargs='+',
        metavar='FOLDER',
        help='<work-dir>/<method>/<task> folders of the candidates')
    parser.add_argument(
        '--baseline',
        required=True,
        metavar='FOLDER',
        help='<work-dir>/<method>/<task> folder of the baseline')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='a label per candidate folder (default: the folders)')
    parser.add_argument(
        '--baseline-label',
        default='baseline',
        help='the baseline\'s label in the table header')
    parser.add_argument(
        '--pick',
        default=LAST,
        help=f'which accuracy of each run: {LAST!r} (after the last '
        f'iteration, the default), {ORACLE!r} (the best validation, read '
        'with the target labels) or a label-free criterion such as '
        'label_free/snd (the validation it picks)')
    parser.add_argument('--out', help='also write the table to this file')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.folders):
        parser.error(f'{len(args.folders)} folders but {len(args.labels)} '
                     'labels')
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    labels = args.labels or args.folders
    try:
        baseline = load_seed_results(args.baseline)
        candidates = [(label, load_seed_results(folder))
                      for label, folder in zip(labels, args.folders)]
    except FileNotFoundError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    table = render_paired_table(args.baseline_label, baseline, candidates,
                                args.pick)
    seed_table = render_seed_table([(args.baseline_label, baseline),
                                    *candidates], args.pick)
    command = shlex.join(['python', 'tools/paired_gains.py', *argv])
    text = (f'{table}\n{seed_table}\nAccuracy: {args.pick} '
            f'(`target/accuracy`, %). Command: `{command}`\n')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
