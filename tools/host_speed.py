"""Seconds per training iteration of several configs under dfa_lab's
Runner, and each against the first: the cost of one host (or host and
aligner) against another.

Each run starts a fresh process, builds the Runner on the config (its data
loader, hooks and visualizer; no validation, no checkpoint) and times
``--iters`` iterations after ``--warmup`` untimed ones, in wall-clock
seconds as mmengine's ``IterTimerHook`` records them (data loading
included) and, in runs of their own, in the process's CPU seconds: on a
CPU that other processes share, wall-clock time measures the sharing as
much as the work, CPU time mostly the work. Every round runs every config
under each clock once, in an order reversed every other round; a
config's s/iter is the median over rounds of its mean. The table goes to
the terminal and, with ``--out``, to a markdown page with the command,
the machine and its load.

Example::

    OMP_NUM_THREADS=1 python tools/host_speed.py --data-root data \\
        --configs configs/mcd/mnist_usps.py configs/dann/mnist_usps.py \\
        --iters 30 --warmup 5 --rounds 3 --threads 1
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from typing import List, Sequence

from benchmarking import describe_machine, parse_config_name
from benchmarking.config_name import method_label
from mmengine.config import Config, DictAction
from speed import EAGER, SpeedResult, Variant, measure_speed

from dfa_lab.utils import register_all_modules, set_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Each clock's runner of the speed harness and its column heading.
CLOCKS = {'wall': ('dfa_lab', 'wall-clock'), 'cpu': ('dfa_lab_cpu', 'CPU')}
DEFAULT_CONFIGS = [
    'configs/mcd/mnist_usps.py',
    'configs/dann/mnist_usps.py',
    'configs/cdan/mnist_usps.py',
    'configs/dfa_dann/mnist_usps.py',
    'configs/dfa_cdan/mnist_usps.py',
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time training iterations of several configs under '
        "dfa_lab's Runner, each against the first")
    parser.add_argument(
        '--configs',
        nargs='+',
        default=DEFAULT_CONFIGS,
        help='configs relative to the repository, the first being the '
        'baseline of the ratios (default: MCD, DANN, CDAN+E, DFA-DANN, '
        'DFA-CDAN+E on MNIST->USPS)')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets; needed by configs that read '
        'dataset files')
    parser.add_argument(
        '--iters', type=int, default=30, help='timed iterations per run')
    parser.add_argument(
        '--warmup',
        type=int,
        default=5,
        help='untimed iterations at the start of each run')
    parser.add_argument(
        '--rounds', type=int, default=3, help='rounds of every config')
    parser.add_argument(
        '--threads', type=int, default=1, help='torch threads per run')
    parser.add_argument(
        '--clocks',
        nargs='+',
        default=list(CLOCKS),
        choices=list(CLOCKS),
        help='wall-clock and/or process CPU seconds (default: both)')
    parser.add_argument('--out', help='markdown page to write')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of every config')
    args = parser.parse_args(argv)
    for name in ('iters', 'rounds', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1')
    if args.warmup < 0:
        parser.error('--warmup must not be negative')
    return args


def load_config(path: str, args: argparse.Namespace) -> Config:
    """The config at ``path`` with the data root and overrides applied."""
    cfg = Config.fromfile(osp.join(REPO, path))
    if 'data_root' in cfg:
        if args.data_root is None:
            raise ValueError(f'{path} reads dataset files: give --data-root.')
        set_data_root(cfg, args.data_root)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def render(results: Sequence[SpeedResult], configs: dict, command: str,
           machine: str, load_before: Sequence[float],
           load_after: Sequence[float], args: argparse.Namespace) -> str:
    """The markdown page of one measurement: one row per config, two
    columns per clock (s/iter and the ratio to the first config)."""
    by_key = {(r.config, r.variant.runner): r for r in results}
    paths = list(configs)
    baseline = method_label(parse_config_name(paths[0]).method)
    header = '| config | method | batch (source + target) |'
    rule = '|---|---|---|'
    for clock in args.clocks:
        name = CLOCKS[clock][1]
        header += f' {name} s/iter | per round | / {baseline} |'
        rule += '---|---|---|'
    lines = [header, rule]
    for path in paths:
        batch = configs[path].train_dataloader.batch_size
        method = method_label(parse_config_name(path).method)
        row = f'| `{path}` | {method} | {batch} + {batch} |'
        for clock in args.clocks:
            runner = CLOCKS[clock][0]
            result, first = by_key[path, runner], by_key[paths[0], runner]
            rounds = ', '.join(f'{mean:.4f}' for mean in result.round_means)
            row += (f' {result.seconds:.4f} | {rounds} | '
                    f'{result.seconds / first.seconds:.2f} |')
        lines.append(row)
    load = ', '.join(f'{value:.2f}' for value in load_before)
    load_end = ', '.join(f'{value:.2f}' for value in load_after)
    return '\n'.join([
        *lines,
        '',
        's/iter: seconds per training iteration under the Runner (data '
        'loading, the adapter\'s train_step and the config\'s hooks; no '
        'validation, no checkpoint), mean over iterations '
        f'{args.warmup + 1} to {args.warmup + args.iters} of a run in a '
        'fresh process; the median over rounds, each round running every '
        'config once under each clock. Wall-clock: as mmengine\'s '
        'IterTimerHook records it. CPU: the process\'s CPU time (user and '
        'system), a separate run; on a shared CPU the other processes '
        'inflate it less than the wall-clock time, though not to nothing '
        '(they also slow the process\'s own instructions).',
        '',
        f'Command: `{command}`',
        '',
        f'Threads: {args.threads}',
        '',
        f'Machine: {machine}',
        '',
        f'Load average (1, 5, 15 min) at start: {load}; at the end: '
        f'{load_end} - measured while other processes may share the CPU.',
    ]) + '\n'


def main(argv: List[str] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    register_all_modules()
    try:
        configs = {path: load_config(path, args) for path in args.configs}
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    for path in configs:
        parse_config_name(path)  # a method label for every row
    load_before = os.getloadavg()
    variants = [
        Variant(CLOCKS[clock][0], EAGER, args.threads) for clock in args.clocks
    ]
    results = measure_speed(configs, variants, args.warmup, args.iters,
                            args.rounds)
    page = render(results, configs,
                  shlex.join(['python', 'tools/host_speed.py', *argv]),
                  describe_machine(), load_before, os.getloadavg(), args)
    print(page)
    if args.out is not None:
        with open(args.out, 'w') as file:
            file.write('# Seconds per iteration of the hosts\n\n' + page)
    return 0


if __name__ == '__main__':
    sys.exit(main())
