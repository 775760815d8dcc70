"""Validation accuracy against training iteration for several runs (the
paper's Fig. 11, DFA-MCD against MCD), read from the runs' logs.

A run dir is a training work dir: mmengine writes its validation metrics to
``<run dir>/<timestamp>/vis_data/scalars.json`` (the benchmark's runs are
``<work-dir>/<method>/<task>/seed_<seed>``).

Example::

    python tools/analysis/accuracy_curves.py \
        work_dirs/mcd/svhn_mnist work_dirs/dfa_mcd/svhn_mnist \
        --labels MCD DFA-MCD --out accuracy_svhn_mnist.png
"""
import argparse

from dfa_lab.analysis import ACCURACY_KEY, plot_accuracy_curves


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Validation accuracy against iteration of several runs '
        '(PNG)')
    parser.add_argument(
        'run_dirs', nargs='+', metavar='RUN_DIR', help='training work dirs')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='legend entry of each run, in order (default: the run dirs)')
    parser.add_argument(
        '--metric',
        default=ACCURACY_KEY,
        help=f'logged metric to draw (default: {ACCURACY_KEY})')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.run_dirs):
        parser.error(f'{len(args.run_dirs)} run dirs but '
                     f'{len(args.labels)} labels')
    return args


def main(argv=None):
    args = parse_args(argv)
    curves = plot_accuracy_curves(
        args.run_dirs, args.out, labels=args.labels, metric=args.metric)
    for label, points in curves.items():
        step, value = points[-1]
        print(f'{label}: {len(points)} validations, {args.metric} '
              f'{value:.2f} at iter {step}')
    print(f'Wrote {args.out}.')


if __name__ == '__main__':
    main()
