"""How many weights and optimizer moments of a checkpoint are subnormal
floats, per network and per optimizer state.

x86 CPUs compute with subnormal floats far slower than with normal ones; a
run that slows down late on the CPU while a loss term dies out (the paper's
DFA-MCD once its decoder collapses) has them in bulk. ``env_cfg.
flush_denormal=True`` flushes them to zero (docs/training.md).

Example::

    python tools/analysis/subnormals.py \\
        work_dirs/dfa_mcd/usps_mnist/iter_1000.pth \\
        work_dirs/dfa_mcd/usps_mnist/iter_2000.pth --out subnormals.md
"""
import argparse
import os
import os.path as osp
from typing import Dict, Iterator, List, Tuple

import torch

from dfa_lab.utils import count_subnormals, read_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Subnormal floats in the weights and optimizer states '
        'of checkpoints')
    parser.add_argument('checkpoints', nargs='+', metavar='CHECKPOINT')
    parser.add_argument('--out', help='markdown file to write the table to')
    return parser.parse_args(argv)


def optimizer_states(optimizer: dict) -> Iterator[Tuple[str, dict]]:
    """``(label, state_dict)`` of each optimizer a checkpoint holds: the
    named ones of an ``OptimWrapperDict``, or the single one."""
    if 'state' in optimizer and 'param_groups' in optimizer:
        yield 'optimizer', optimizer
        return
    for name, state in optimizer.items():
        yield f'optimizer {name}', state


def subnormal_counts(checkpoint: dict) -> Dict[str, List[int]]:
    """``group -> [subnormal, elements]`` over the floating-point tensors
    of ``checkpoint``: its state dict grouped by top-level module
    (``weights: backbone``), its optimizer states by optimizer and state
    key (``optimizer generator: exp_avg``)."""
    counts: Dict[str, List[int]] = {}

    def add(group: str, tensor) -> None:
        if torch.is_tensor(tensor) and tensor.is_floating_point():
            total = counts.setdefault(group, [0, 0])
            total[0] += count_subnormals(tensor)
            total[1] += tensor.numel()

    for name, tensor in checkpoint['state_dict'].items():
        add(f'weights: {name.split(".")[0]}', tensor)
    for label, state in optimizer_states(checkpoint.get('optimizer', {})):
        for parameter_state in state['state'].values():
            for key, tensor in parameter_state.items():
                if key != 'step':
                    add(f'{label}: {key}', tensor)
    return counts


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = [
        '| checkpoint | iteration | part | subnormal | of | share |',
        '|---|---|---|---|---|---|'
    ]
    for path in args.checkpoints:
        if not osp.isfile(path):
            raise FileNotFoundError(f'Checkpoint {path} not found.')
        checkpoint = read_checkpoint(path)
        iteration = (checkpoint.get('meta') or {}).get('iter', '')
        for group, (subnormal, elements) in sorted(
                subnormal_counts(checkpoint).items()):
            rows.append(f'| {path} | {iteration} | {group} | {subnormal:,} | '
                        f'{elements:,} | {100 * subnormal / elements:.2f}% |')
    table = '\n'.join(rows) + '\n'
    print(table, end='')
    if args.out:
        os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
        with open(args.out, 'w') as file:
            file.write(table)


if __name__ == '__main__':
    main()
