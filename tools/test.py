"""Evaluate a checkpoint on the target test set of a config.

Example::

    python tools/test.py configs/mcd/mcd_usps-cnn_mnist2usps.py \
        work_dirs/mcd_mnist2usps/iter_3000.pth --data-root ../shared/data
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from dfa_lab.utils import (init_cpu_process_group, set_data_root,
                           shutdown_process_group)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test a dfa_lab checkpoint on the target test set')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='where logs go; default work_dirs/<config name>')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets (replaces the config\'s data_root)')
    parser.add_argument(
        '--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
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


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint {args.checkpoint} not found.')
    cfg = Config.fromfile(args.config)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    init_cpu_process_group(args.launcher)
    try:
        runner = Runner.from_cfg(cfg)
        metrics = runner.test()
        if args.out and runner.rank == 0:
            with open(args.out, 'w') as f:
                json.dump(metrics, f, indent=2)
    finally:
        shutdown_process_group()


if __name__ == '__main__':
    main()
