"""Each loss term's share of the encoder's gradient, per training step, at
one or more checkpoints of a run.

For every checkpoint (its iteration is read from the checkpoint's
``meta``), the same ``--batches`` training batches (the config's training
loader, sampler seeded with ``--seed``) go through the adapter in training
mode; each loss term of each step that updates the encoder is
differentiated on its own with respect to the backbone's parameters, and
compared with the step's total gradient (``dfa_lab.analysis.
gradient_shares``; the definitions are ``SHARE_DEFINITION`` there):

- gradient norm ``|g_i|``;
- share ``<g_i, g> / |g|^2`` (sums to 1 over a step's terms; negative:
  against the total);
- norm share ``|g_i| / sum_j |g_j|``;
- cosine with the step's total gradient ``g``, and with each other term's
  gradient.

MCD's steps 1 and 3 update the encoder and are reported; step 2 holds the
encoder fixed (no encoder gradient) and is left out. An adapter with one
joint update per iteration (SourceOnly, ENT, SAFN) has one step, step 1.
Every step is evaluated at the checkpoint's weights. The model and the
global random state are left untouched.

Writes the markdown table to ``--out`` and the rows, with what was measured,
to the same path with ``.json``.

Example::

    python tools/analysis/gradient_share.py configs/dfa_mcd/mnist_usps.py \
        work_dirs/dfa_mcd/mnist_usps/iter_1000.pth \
        work_dirs/dfa_mcd/mnist_usps/iter_2000.pth \
        --data-root data --batches 8 --out gradient_share/dfa_mcd.md
"""
import argparse
import json
import math
import os
import os.path as osp

import torch

from dfa_lab.analysis import (SHARE_DEFINITION, fixed_training_batches,
                              gradient_shares, load_adapter_checkpoint,
                              render_gradient_share_table)
from dfa_lab.utils import (add_common_arguments, load_config, parse_arguments,
                           register_all_modules)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Each loss term\'s share of the encoder gradient, per '
        'training step, at checkpoints of a run')
    add_common_arguments(parser)
    parser.add_argument(
        'checkpoints',
        nargs='+',
        metavar='CHECKPOINT',
        help='checkpoints of one run (each one iteration of it)')
    parser.add_argument(
        '--out',
        required=True,
        help='markdown file to write; the JSON '
        'goes next to it (same name, .json)')
    parser.add_argument(
        '--batches',
        type=int,
        default=8,
        metavar='N',
        help='training batches to average over (default: 8)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the batch draw and of the random draws in the passes '
        '(dropout, prior samples): the same for every checkpoint '
        '(default: 0)')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='where the model runs (default: cuda if available)')
    args = parse_arguments(parser, argv)
    if args.batches < 1:
        parser.error(f'--batches must be >= 1, got {args.batches}')
    return args


def checkpoint_iteration(path: str, checkpoint: dict) -> int:
    """The training iteration a checkpoint was saved at (its
    ``meta.iter``)."""
    meta = checkpoint.get('meta') or {}
    if 'iter' not in meta:
        raise ValueError(
            f'Checkpoint {path} records no iteration (no meta.iter): use a '
            'checkpoint saved by the training Runner.')
    return int(meta['iter'])


def _finite(value):
    """``value`` with every nan (nested in dicts too) as None, for JSON."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value


def main(argv=None):
    args = parse_args(argv)
    for path in args.checkpoints:
        if not osp.isfile(path):
            raise FileNotFoundError(f'Checkpoint {path} not found.')
    register_all_modules()
    cfg = load_config(args)
    batches = fixed_training_batches(cfg, args.batches, seed=args.seed)
    rows, checkpoints, fixed = [], [], set()
    for path in args.checkpoints:
        model, checkpoint = load_adapter_checkpoint(
            cfg, path, args.device, strict=cfg.get('load_strict', True))
        iteration = checkpoint_iteration(path, checkpoint)
        checkpoints.append(dict(path=path, iteration=iteration))
        for row in gradient_shares(model, batches, seed=args.seed):
            rows.append(dict(iteration=iteration, **row))
        fixed |= set(getattr(model, 'step_groups', {})) - set(
            model.encoder_steps)
        print(f'{path}: iteration {iteration}, steps '
              f'{", ".join(map(str, model.encoder_steps))}.')
    steps = sorted({row['step'] for row in rows})
    notes = [
        f'Config: `{args.config}`; {args.batches} training batches of '
        f'{cfg.train_dataloader.batch_size} pairs (sampler seed '
        f'{args.seed}), the same at every checkpoint; steps that update the '
        f'encoder: {", ".join(map(str, steps))}.'
    ]
    if fixed:
        notes.append(
            f'Step {", ".join(map(str, sorted(fixed)))} holds the encoder '
            'fixed (no encoder gradient) and is not reported.')
    table = render_gradient_share_table(rows, notes)
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(table)
    record = dict(
        config=args.config,
        checkpoints=checkpoints,
        batches=args.batches,
        batch_size=cfg.train_dataloader.batch_size,
        seed=args.seed,
        definition=SHARE_DEFINITION,
        rows=[_finite(row) for row in rows])
    json_path = osp.splitext(args.out)[0] + '.json'
    with open(json_path, 'w') as f:
        json.dump(record, f, indent=1)
        f.write('\n')
    print(table, end='')
    print(f'Wrote {args.out} and {json_path}.')


if __name__ == '__main__':
    main()
