"""Extract the latent features and predictions of a checkpoint on the source
and target domains of its config, into one file for the other analysis
tools (t-SNE, latent histograms, feature-space distances).

The file (``torch.save``) holds, for ``source`` and ``target``: ``latent``
(the backbone's ``EncoderOutput.latent``), ``features`` (the latent
flattened), ``labels``, ``indices`` (dataset indices), and ``logits`` and
``pred_labels`` of the adapter's final prediction (``'prediction'``) and of
each classifier head; plus ``config``, ``checkpoint``, ``split``,
``per_class``, ``seed``, ``datasets`` and ``classes``
(see ``dfa_lab.analysis.extract_domain_features``).

``--split test`` (the default) reads the target test set and the source
dataset's test split where it has one; ``--split train`` the two training
sets. Both use the test set's transform where there is one (object
benchmarks), so the features do not depend on random crops.

Example (Table 7 uses 100 images a class)::

    python tools/analysis/extract_features.py \
        configs/dfa_mcd/svhn_mnist.py \
        work_dirs/dfa_mcd/svhn_mnist/iter_20000.pth \
        --data-root data --per-class 100 --out features/dfa-mcd.pt
"""
import argparse
import os
import os.path as osp

import torch

from dfa_lab.analysis import DOMAINS, SPLITS, extract_domain_features
from dfa_lab.utils import (add_common_arguments, load_config, parse_arguments,
                           register_all_modules)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract source and target latent features and '
        'predictions of a checkpoint')
    add_common_arguments(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='file to write (.pt)')
    parser.add_argument(
        '--split',
        choices=SPLITS,
        default='test',
        help='test: the target test set and the source test split; train: '
        'the training sets (default: test)')
    parser.add_argument(
        '--per-class',
        type=int,
        metavar='N',
        help='use N random images of each class per domain (default: all)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the per-class draw')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='images per forward pass (default: the test loader\'s)')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='where the model runs (default: cuda if available)')
    return parse_arguments(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint {args.checkpoint} not found.')
    register_all_modules()
    cfg = load_config(args)
    loader = cfg.test_dataloader
    features = extract_domain_features(
        cfg,
        args.checkpoint,
        split=args.split,
        per_class=args.per_class,
        seed=args.seed,
        batch_size=args.batch_size or loader.batch_size,
        num_workers=loader.get('num_workers', 0),
        device=args.device)
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    torch.save(features, args.out)
    counts = ', '.join(f'{len(features[domain]["labels"])} {domain}'
                       for domain in DOMAINS)
    print(f'Wrote the features of {counts} images to {args.out}.')


if __name__ == '__main__':
    main()
