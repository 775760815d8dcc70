"""Per-class mean L2 distance between the source and target feature spaces
(the paper's Table 7), one column per features file, as a markdown table.

For each class c: the mean, over every pair (source image of class c,
target image of class c), of the Euclidean distance between their flattened
latent features; the last row is the unweighted mean over classes. The
paper uses 100 images a class (``extract_features.py --per-class 100``).

Example::

    python tools/analysis/feature_distance.py features/mcd.pt \
        features/dfa-mcd.pt --labels MCD DFA-MCD --out table7.md
"""
import argparse
import os
import os.path as osp

from dfa_lab.analysis import (DOMAINS, class_feature_distances, load_features,
                              render_distance_table)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Per-class mean L2 distance between source and target '
        'features (markdown table)')
    parser.add_argument(
        'features',
        nargs='+',
        metavar='FEATURES',
        help='files written by tools/analysis/extract_features.py')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='column label of each file, in order (default: the file names)')
    parser.add_argument('--out', help='also write the table to this file')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.features):
        parser.error(f'{len(args.features)} files but {len(args.labels)} '
                     'labels')
    return args


def describe(label: str, path: str, features: dict) -> str:
    """A note line saying which images a column measures."""
    counts = []
    for domain in DOMAINS:
        per_class = features[domain]['labels'].bincount()
        per_class = per_class[per_class > 0]
        low, high = int(per_class.min()), int(per_class.max())
        span = str(low) if low == high else f'{low}-{high}'
        counts.append(f'{span} {domain}')
    return (f'{label}: {path}, {features["split"]} split, '
            f'{" and ".join(counts)} images a class.')


def main(argv=None):
    args = parse_args(argv)
    labels = args.labels or [
        osp.splitext(osp.basename(path))[0] for path in args.features
    ]
    columns, notes, class_names = {}, [], None
    for label, path in zip(labels, args.features):
        features = load_features(path)
        distances = class_feature_distances(features['source']['features'],
                                            features['source']['labels'],
                                            features['target']['features'],
                                            features['target']['labels'])
        if not distances:
            raise ValueError(f'{path}: no class has images in both domains.')
        columns[label] = distances
        notes.append(describe(label, path, features))
        class_names = class_names or features.get('classes')
    table = render_distance_table(columns, class_names, notes)
    print(table, end='')
    if args.out:
        os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(table)


if __name__ == '__main__':
    main()
