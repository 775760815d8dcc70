"""Seconds per training iteration of DFA-MCD against MCD, under dfa_lab's
Runner and under a plain PyTorch loop doing the same updates.

Before timing, one iteration of each config runs both ways from the same
weights, batch and seed; the tool stops with exit status 1 unless their
losses agree. The table goes to the terminal and, with ``--out``, to a
markdown file.

Example::

    python tools/speed_benchmark.py --data-root data \
        --out docs/results/speed.md
"""
import argparse
import os
import os.path as osp
import shlex
import sys

import torch
from mmengine.config import Config, DictAction

from dfa_lab.utils import register_all_modules
from dfa_lab.benchmark import describe_machine
from dfa_lab.benchmark.speed import (LOSS_RTOL, check_same_computation,
                                     measure_speed, render_speed_markdown)
from dfa_lab.utils import set_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIGS = [
    osp.join(REPO, 'configs/mcd/mnist_usps.py'),
    osp.join(REPO, 'configs/dfa_mcd/mnist_usps.py')
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time training iterations of an MCD config and its '
        'DFA-MCD config, with dfa_lab and with a plain PyTorch loop')
    parser.add_argument(
        '--configs',
        nargs=2,
        default=DEFAULT_CONFIGS,
        metavar=('MCD_CONFIG', 'DFA_MCD_CONFIG'),
        help='the host config and its DFA config (default: MNIST->USPS)')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets; needed by configs that read '
        'dataset files, ignored by configs on embedded data')
    parser.add_argument(
        '--iters', type=int, default=60, help='timed iterations per run')
    parser.add_argument(
        '--warmup',
        type=int,
        default=10,
        help='untimed iterations at the start of each run')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='rounds; each times every config and variant once')
    parser.add_argument(
        '--threads', type=int, default=1, help='torch threads')
    parser.add_argument('--out', help='markdown file for the report')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of both configs, e.g. model.num_k=2')
    args = parser.parse_args(argv)
    for name in ('iters', 'rounds', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1')
    if args.warmup < 0:
        parser.error('--warmup must not be negative')
    return args


def load_config(path: str, args) -> Config:
    """The config at ``path`` with the command line's data root and
    overrides applied.

    Raises:
        ValueError: The config reads dataset files and no data root is
            given.
    """
    cfg = Config.fromfile(path)
    # Only tasks on dataset files declare a data root.
    if 'data_root' in cfg:
        if args.data_root is None:
            raise ValueError(f'{path} reads dataset files: give --data-root.')
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    load_average = os.getloadavg()
    torch.set_num_threads(args.threads)
    register_all_modules()
    try:
        configs = {path: load_config(path, args) for path in args.configs}
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2

    checks = {}
    for path, cfg in configs.items():
        checks[path] = check = check_same_computation(cfg)
        print(f'{path}: step-1 loss dfa_lab {check.dfa_lab[0]:.8g}, plain '
              f'{check.plain[0]:.8g}; steps 2 and 3 dfa_lab '
              f'{check.dfa_lab[1]:.8g}, {check.dfa_lab[2]:.8g}, plain '
              f'{check.plain[1]:.8g}, {check.plain[2]:.8g}')
        if not check.matches:
            print(f'FAILED: the plain loop does not compute what dfa_lab '
                  f'computes for {path} (losses differ by more than '
                  f'{LOSS_RTOL:g} relative).')
            return 1

    results = measure_speed(configs, args.warmup, args.iters, args.rounds)
    command = shlex.join(['python', sys.argv[0], *argv])
    markdown = render_speed_markdown(
        results,
        configs,
        checks,
        command=command,
        threads=args.threads,
        machine=describe_machine(),
        load_average=load_average,
        warmup=args.warmup,
        iters=args.iters)
    print(markdown)
    if args.out is not None:
        os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(markdown)
    return 0


if __name__ == '__main__':
    sys.exit(main())
