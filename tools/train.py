"""Train an adapter from a config.

Example::

    python tools/train.py configs/mcd/mnist_usps.py --data-root data
"""
import argparse

from mmengine.config import Config

from dfa_lab.utils import (add_common_arguments, build_runner,
                           check_model_selection, enable_autocast,
                           enable_source_validation, init_cpu_process_group,
                           load_config, parse_arguments,
                           shutdown_process_group)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a dfa_lab adapter')
    add_common_arguments(parser)
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the newest intact '
        'one in the work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='run forward passes under bfloat16 autocast')
    parser.add_argument(
        '--compile',
        nargs='?',
        const='default',
        choices=['default', 'reduce-overhead', 'max-autotune'],
        metavar='MODE',
        help='compile the networks with torch.compile (mode default, or '
        'MODE: reduce-overhead uses CUDA graphs, max-autotune also tunes '
        'kernels); the multi-optimizer train_step stays eager')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--source-val',
        type=float,
        metavar='FRACTION',
        help='hold out this fraction of the source training data (per '
        'class) and validate on it too, logging source_val/accuracy: a '
        'checkpoint-selection criterion that reads no target labels')
    return parse_arguments(parser, argv)


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the training-only options to ``cfg``."""
    if args.amp:
        enable_autocast(cfg)
    if args.compile is not None:
        options = cfg.get('compile')
        options = dict(options) if isinstance(options, dict) else {}
        cfg.compile = dict(options, mode=args.compile)
    if args.resume is not None:
        cfg.resume = True
        cfg.load_from = None if args.resume == 'auto' else args.resume
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.source_val is not None:
        enable_source_validation(cfg, holdout=args.source_val)
    check_model_selection(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_train_args(load_config(args), args)
    init_cpu_process_group(args.launcher)
    try:
        build_runner(cfg).train()
    finally:
        shutdown_process_group()


if __name__ == '__main__':
    main()
