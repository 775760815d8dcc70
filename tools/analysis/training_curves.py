"""Logged training scalars against iteration for groups of runs, e.g. DFA's
decoder diagnostics ``dfa/zero_fraction`` and ``dfa/dal`` for the paper's
DFA and its variants, averaged over seeds.

A run dir is a training work dir (the benchmark's runs are
``<work-dir>/<method>/<task>/seed_<seed>``). Each ``--group LABEL RUN_DIR
...`` draws one line: the mean over its runs.

Example::

    python tools/analysis/training_curves.py \\
        --group DFA-MCD work_dirs/s/dfa_mcd/mnist_usps/seed_* \\
        --group 'DFA-MCD (energy)' \\
            work_dirs/s/dfa_mcd/energy/mnist_usps/seed_* \\
        --keys dfa/zero_fraction dfa/dal --out collapse.png
"""
import argparse

from dfa_lab.analysis import plot_training_curves


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Logged training scalars against iteration (PNG)')
    parser.add_argument(
        '--group',
        nargs='+',
        action='append',
        required=True,
        metavar=('LABEL', 'RUN_DIR'),
        help='a legend label and the run dirs averaged into its line; '
        'repeat for each line')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=['dfa/zero_fraction', 'dfa/dal'],
        help='logged names (or their last components) to draw, one panel '
        'each (default: dfa/zero_fraction dfa/dal)')
    parser.add_argument('--out', required=True, help='PNG file to write')
    args = parser.parse_args(argv)
    for group in args.group:
        if len(group) < 2:
            parser.error(f'--group {group[0]} names no run dir')
    return args


def main(argv=None):
    args = parse_args(argv)
    groups = {group[0]: group[1:] for group in args.group}
    curves = plot_training_curves(groups, args.keys, args.out)
    for key, lines in curves.items():
        for label, points in lines.items():
            step, value = points[-1]
            print(f'{key} {label}: {value:.4g} at iter {step}')
    print(f'Wrote {args.out}.')


if __name__ == '__main__':
    main()
