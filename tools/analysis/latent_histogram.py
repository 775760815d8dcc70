"""Histograms of the latent values of one source and one target image of
the same class against the density of the prior N(0, 1) (the paper's Figs.
7-9).

Example::

    python tools/analysis/latent_histogram.py features/dfa-mcd.pt \
        --class 3 --out latent_dfa_mcd_class3.png
"""
import argparse

from dfa_lab.analysis import load_features, plot_latent_histogram


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Histograms of a source and a target latent vector of '
        'one class against the N(0, 1) prior (PNG)')
    parser.add_argument(
        'features', help='file written by tools/analysis/extract_features.py')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument(
        '--class',
        dest='label',
        type=int,
        metavar='K',
        help='class index (default: the lowest class in both domains)')
    parser.add_argument(
        '--sample',
        type=int,
        default=0,
        help='which image of the class, in file order, per domain '
        '(default: the first)')
    parser.add_argument(
        '--bins', type=int, default=50, help='histogram bins (default: 50)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    label, vectors = plot_latent_histogram(
        load_features(args.features),
        args.out,
        label=args.label,
        sample=args.sample,
        bins=args.bins)
    size = len(vectors['source'])
    print(f'Wrote the histograms of two {size}-value latents of class '
          f'{label} to {args.out}.')


if __name__ == '__main__':
    main()
