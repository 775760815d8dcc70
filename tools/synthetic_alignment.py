"""The synthetic 2-D alignment study of the paper's Fig. 4.

For each case (two Gaussians with one covariance, two with one mean, the two
moons of ``make_moons`` with noise 0.1, blobs centred at (11, 11) and
(9, 9); 500 points a domain), a fresh MLP encoder and weight-tied decoder
are trained on the target with the distribution alignment loss alone, and
one PNG per case shows the source, the target and the decoded target
``D(G(x_t))`` before and after training. A markdown table of squared energy
distances goes to the terminal.

Example::

    python tools/synthetic_alignment.py --out-dir docs/results/synthetic
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from typing import Dict

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from dfa_lab.synthetic import (  # noqa: E402
    CASES, REFERENCES, AlignmentResult, make_domains, train_alignment)

COLUMNS = ('case', 'source vs target', 'source vs D(G(x_t)) before',
           'source vs D(G(x_t)) after', 'D(z) vs D(G(x_t)) before',
           'D(z) vs D(G(x_t)) after')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Synthetic 2-D alignment with the DAL alone (Fig. 4)')
    parser.add_argument(
        '--out-dir', required=True, help='folder for the PNGs')
    parser.add_argument(
        '--cases', nargs='+', choices=CASES, default=list(CASES),
        help='cases to run (default: all)')
    parser.add_argument(
        '--iters', type=int, default=2000, help='training iterations')
    parser.add_argument('--lr', type=float, default=1e-3,
                        help="Adam's learning rate")
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the data, the networks and the prior')
    parser.add_argument(
        '--num-samples', type=int, default=500, help='points a domain')
    parser.add_argument(
        '--reference', choices=REFERENCES, default='prior',
        help="what D(G(x_t)) is compared with: 'prior' is L_dal, D(z) with "
        "z ~ N(0, I); 'source' puts the source points in D(z)'s place "
        '(default: prior)')
    args = parser.parse_args(argv)
    if args.iters < 0:
        parser.error('--iters must be >= 0')
    return args


def plot_case(case: str, result: AlignmentResult, reference: str,
              path: str) -> None:
    """Two panels, before and after training: source, target and decoded
    target points (and the decoded prior batch for ``reference='prior'``)."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharex=True,
                                sharey=True)
    for axis, when in zip(axes, ('before', 'after')):
        axis.scatter(*result.source.T, s=6, alpha=0.6, label='source $x_s$')
        axis.scatter(*result.target.T, s=6, alpha=0.6, label='target $x_t$')
        axis.scatter(*result.decoded[when].T, s=6, alpha=0.6,
                     label='decoded target $D(G(x_t))$')
        if reference == 'prior':
            axis.scatter(*result.decoded_prior[when].T, s=4, alpha=0.3,
                         color='grey', label='decoded prior $D(z)$')
        distance = result.distances[f'source-decoded/{when}']
        axis.set_title(f'{when} training: energy distance source vs '
                       f'decoded target {distance:.3f}', fontsize=9)
        axis.set_aspect('equal', adjustable='box')
    axes[0].legend(fontsize=7, loc='best')
    figure.suptitle(f'{case}: trained with the DAL alone (reference: '
                    f'{reference})')
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def render_table(results: Dict[str, AlignmentResult]) -> str:
    """One markdown row of energy distances per case."""
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    keys = ('source-target', 'source-decoded/before', 'source-decoded/after',
            'prior-decoded/before', 'prior-decoded/after')
    for case, result in results.items():
        cells = [f'{result.distances[key]:.4f}' for key in keys]
        lines.append('| ' + ' | '.join([case, *cells]) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    results = {}
    for case in args.cases:
        source, target = make_domains(case, args.num_samples, args.seed)
        results[case] = train_alignment(
            source, target, iters=args.iters, lr=args.lr,
            reference=args.reference, seed=args.seed)
        plot_case(case, results[case], args.reference,
                  osp.join(args.out_dir, f'{case}_{args.reference}.png'))
    print(f"Squared energy distances (reference: {args.reference}, "
          f'{args.iters} iterations, seed {args.seed}):\n')
    print(render_table(results))
    print('\nCommand: `' + shlex.join(
        ['python', 'tools/synthetic_alignment.py', *argv]) + '`')
    return 0


if __name__ == '__main__':
    sys.exit(main())
