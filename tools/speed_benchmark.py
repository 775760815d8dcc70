"""Seconds per training iteration of DFA-MCD against MCD, under dfa_lab's
Runner and under a plain PyTorch loop doing the same updates, eager and
compiled, at one or several thread counts.

Before timing, one eager iteration of each config runs both ways from the
same weights, batch and seed; the tool stops with exit status 1 unless
their losses agree. Every timed run then starts a fresh process. The
measurement is saved as a record, ``<record dir>/<label>.json`` (one per
machine: ``cpu``, ``h200``, ...), and ``--out`` renders every record of
that folder into the speed page, between its two marker lines.

Example::

    python tools/speed_benchmark.py --data-root data --threads 1 2 \
        --compile eager default --label cpu --out docs/results/speed.md
"""
import argparse
import os
import os.path as osp
import shlex
import sys

import torch
from benchmarking import describe_machine
from mmengine.config import Config, DictAction
from speed import (EAGER, LOSS_RTOL, RUNNER_NAMES, SpeedRecord, Variant,
                   check_same_computation, load_records, measure_speed,
                   render_record, write_page)

from dfa_lab.utils import register_all_modules, set_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIGS = [
    'configs/mcd/mnist_usps.py', 'configs/dfa_mcd/mnist_usps.py'
]
COMPILE_MODES = (EAGER, 'default', 'reduce-overhead', 'max-autotune')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time training iterations of an MCD config and its '
        'DFA-MCD config, with dfa_lab and with a plain PyTorch loop')
    parser.add_argument(
        '--configs',
        nargs=2,
        default=DEFAULT_CONFIGS,
        metavar=('MCD_CONFIG', 'DFA_MCD_CONFIG'),
        help='the host config and its DFA config, relative to the '
        'repository (default: MNIST->USPS)')
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
        help='untimed iterations at the start of each run (they include '
        'compiling)')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='rounds; each times every config and variant once')
    parser.add_argument(
        '--threads',
        type=int,
        nargs='+',
        default=[1],
        help='torch threads of the timed processes, one set of rows each')
    parser.add_argument(
        '--compile',
        nargs='+',
        default=[EAGER],
        choices=COMPILE_MODES,
        help=f'{EAGER} (no torch.compile) and/or torch.compile modes, one '
        'set of rows each')
    parser.add_argument(
        '--runners',
        nargs='+',
        default=list(RUNNER_NAMES),
        choices=RUNNER_NAMES,
        help='dfa_lab (the Runner) and/or plain (a plain PyTorch loop)')
    parser.add_argument(
        '--label',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='name of this measurement\'s record, e.g. cpu or h200 '
        '(default: cuda or cpu)')
    parser.add_argument(
        '--record-dir',
        default=osp.join('docs', 'results', 'speed_records'),
        help='folder of the records (default: docs/results/speed_records)')
    parser.add_argument(
        '--out', help='speed page to render every record of --record-dir into')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of both configs, e.g. model.num_k=2')
    args = parser.parse_args(argv)
    for name in ('iters', 'rounds'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1')
    if min(args.threads) < 1:
        parser.error('--threads must be at least 1')
    if args.warmup < 0:
        parser.error('--warmup must not be negative')
    return args


def load_config(path: str, args) -> Config:
    """The config at ``path`` (relative to the repository) with the command
    line's data root and overrides applied.

    Raises:
        ValueError: The config reads dataset files and no data root is
            given.
    """
    cfg = Config.fromfile(osp.join(REPO, path))
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

    variants = [
        Variant(runner, compile_mode, threads) for threads in args.threads
        for compile_mode in args.compile for runner in args.runners
    ]
    results = measure_speed(configs, variants, args.warmup, args.iters,
                            args.rounds)
    record = SpeedRecord.create(
        label=args.label,
        command=shlex.join(['python', 'tools/speed_benchmark.py', *argv]),
        machine=describe_machine(),
        load_average=load_average,
        warmup=args.warmup,
        iters=args.iters,
        configs=configs,
        results=results,
        checks=checks)
    print(render_record(record))
    record.dump(osp.join(args.record_dir, f'{args.label}.json'))
    if args.out is not None:
        write_page(args.out, load_records(args.record_dir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
