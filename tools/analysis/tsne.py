"""t-SNE of the source and target latent features of a checkpoint (the
paper's Fig. 5): one panel coloured by domain, one by class.

Example::

    python tools/analysis/tsne.py features/dfa-mcd.pt --out tsne_dfa-mcd.png
"""
import argparse

from dfa_lab.analysis import load_features, plot_tsne


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='t-SNE of source and target features (PNG)')
    parser.add_argument(
        'features', help='file written by tools/analysis/extract_features.py')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument(
        '--max-per-domain',
        type=int,
        default=1000,
        help='embed at most this many random samples of each domain '
        '(default: 1000)')
    parser.add_argument(
        '--perplexity', type=float, default=30.0, help='t-SNE perplexity')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of subsampling and t-SNE')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    embedding = plot_tsne(
        load_features(args.features),
        args.out,
        max_per_domain=args.max_per_domain,
        perplexity=args.perplexity,
        seed=args.seed)
    print(f'Wrote the t-SNE of {len(embedding)} samples to {args.out}.')


if __name__ == '__main__':
    main()
