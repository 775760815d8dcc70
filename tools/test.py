"""Evaluate a checkpoint on the target test set of a config.

Example::

    python tools/test.py configs/mcd/mnist_usps.py \
        work_dirs/mcd/mnist_usps/iter_3000.pth --data-root data
"""
import argparse
import json
import os
import os.path as osp

from dfa_lab.utils import (add_common_arguments, build_runner,
                           init_cpu_process_group, load_config,
                           parse_arguments, shutdown_process_group)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test a dfa_lab checkpoint on the target test set')
    add_common_arguments(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    return parse_arguments(parser, argv)


#: The config entries that only training reads. Testing drops them, so its
#: Runner is no training run: it does not take the work dir's lock, and may
#: test a checkpoint of a training that is still running there.
TRAINING_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper',
                 'param_scheduler')


def evaluate(cfg, out=None) -> dict:
    """Test the checkpoint ``cfg.load_from``; write the metrics to ``out``
    (JSON) on rank 0, creating its folder first."""
    for key in TRAINING_KEYS:
        cfg[key] = None
    runner = build_runner(cfg)
    if out and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    metrics = runner.test()
    if out and runner.rank == 0:
        with open(out, 'w') as f:
            json.dump(metrics, f, indent=2)
    return metrics


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint {args.checkpoint} not found.')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    init_cpu_process_group(args.launcher)
    try:
        evaluate(cfg, args.out)
    finally:
        shutdown_process_group()


if __name__ == '__main__':
    main()
