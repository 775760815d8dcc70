"""Train an adapter from a config.

Example::

    python tools/train.py configs/mcd/mcd_usps-cnn_mnist2usps.py \
        --data-root ../shared/data --work-dir work_dirs/mcd_mnist2usps
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from dfa_lab.utils import (check_model_selection, enable_autocast,
                           init_cpu_process_group, set_data_root,
                           shutdown_process_group)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a dfa_lab adapter')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go; default '
        'work_dirs/<config name>')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='run forward passes under bfloat16 autocast')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets (replaces the config\'s data_root)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. model.num_k=6 '
        'train_cfg.max_iters=100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args) -> Config:
    """Apply the command-line options to ``cfg``."""
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        enable_autocast(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    check_model_selection(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_process_group(args.launcher)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        shutdown_process_group()


if __name__ == '__main__':
    main()
