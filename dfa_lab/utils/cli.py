"""Command-line options shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from dfa_lab.registry import RUNNERS
from .config import (check_config_syntax, check_option_keys, config_name,
                     set_data_root, set_domains)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the config, work dir, data root, config overrides and launcher
    options."""
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go; default work_dirs/<method>/'
        '<task> for configs/<method>/<task>.py (work_dirs/<file name> for a '
        'config outside a configs folder)')
    parser.add_argument(
        '--data-root',
        help='folder holding every dataset, set as the data_root of each '
        'dataset of the config (default: the config\'s data_root, data)')
    parser.add_argument(
        '--domains',
        nargs=2,
        metavar=('SOURCE', 'TARGET'),
        help='the task of an image-list config, e.g. amazon webcam')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. model.num_k=6 '
        'train_cfg.max_iters=100')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a checkpoint (load_from, or the checkpoint to test) even '
        'if its tensors do not match the model: the matching ones are '
        'loaded and the others listed. Resuming is always strict')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_arguments(parser: argparse.ArgumentParser,
                    argv=None) -> argparse.Namespace:
    """Parse ``argv``; export the local rank for launchers that pass it as
    an argument rather than in the environment."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the common options applied."""
    check_config_syntax(args.config)
    cfg = Config.fromfile(args.config)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.domains is not None:
        set_domains(cfg, *args.domains)
    if args.cfg_options is not None:
        check_option_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.non_strict:
        cfg.load_strict = False
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', config_name(args.config))
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The Runner of ``cfg``: its ``runner_type`` (dfa_lab's configs choose
    :class:`~dfa_lab.engine.AdapterRunner`), or mmengine's Runner."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
