"""Seconds per training iteration and peak memory of SAFN and DFA-SAFN on
ResNet-50, and their ratio.

Each config runs in a fresh process: it builds the model from the config
(random weights, nothing downloaded), then times ``train_step`` on one
fixed in-memory batch of source and target images (data loading is not
part of the time) after untimed warm-up iterations. Peak memory is that
process's maximum resident set size (``ru_maxrss``), which covers
everything torch allocated. The table goes to the terminal.

Example::

    OMP_NUM_THREADS=1 python tools/analysis/object_speed.py \
        --batch-size 32 --image-size 224 --iters 3 --warmup 1
"""
import argparse
import json
import os
import os.path as osp
import resource
import shlex
import subprocess
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIGS = [
    osp.join(REPO, 'configs/safn/office31.py'),
    osp.join(REPO, 'configs/dfa_safn/office31.py'),
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time SAFN and DFA-SAFN training iterations on ResNet-50')
    parser.add_argument(
        '--configs',
        nargs='+',
        default=DEFAULT_CONFIGS,
        help='configs to time, the first being the baseline of the ratio')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=32,
        help='images per domain: each iteration reads this many source '
        'and as many target images')
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument(
        '--iters', type=int, default=3, help='timed iterations')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed iterations first')
    parser.add_argument('--threads', type=int, default=1, help='torch threads')
    parser.add_argument(
        '--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ('batch_size', 'image_size', 'iters', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')
    if args.warmup < 0:
        parser.error('--warmup must not be negative')
    if args.worker and len(args.configs) != 1:
        parser.error('a worker times one config')
    return args


def time_config(args: argparse.Namespace) -> Dict:
    """Time one config in this process; the worker's job."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from dfa_lab.registry import MODELS
    from dfa_lab.utils import register_all_modules

    register_all_modules()
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.configs[0])
    cfg.model.backbone.pretrained = False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    shape = (args.batch_size, 3, args.image_size, args.image_size)
    batch = dict(
        source=dict(
            img=torch.randn(shape),
            label=torch.randint(cfg.model.classifier.num_classes,
                                (args.batch_size, ))),
        target=dict(img=torch.randn(shape)))
    seconds = []
    for step in range(args.warmup + args.iters):
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        if step >= args.warmup:
            seconds.append(time.perf_counter() - start)
    # Linux reports ru_maxrss in KiB.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return dict(seconds=seconds, peak_gib=peak_kib / 2**20)


def run_worker(config: str, args: argparse.Namespace) -> Dict:
    """Time ``config`` in a fresh process and return its measurements."""
    command = [
        sys.executable,
        osp.abspath(__file__), '--worker', '--configs', config, '--batch-size',
        str(args.batch_size), '--image-size',
        str(args.image_size), '--iters',
        str(args.iters), '--warmup',
        str(args.warmup), '--threads',
        str(args.threads)
    ]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONPATH=REPO)
    load_before = os.getloadavg()[0]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f'Timing {config} failed:\n{result.stderr[-3000:]}')
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    measured['load'] = (load_before, os.getloadavg()[0])
    return measured


def render(results: List[Dict], configs: List[str],
           args: argparse.Namespace) -> str:
    from dfa_lab.utils.config import config_name

    baseline = sum(results[0]['seconds']) / len(results[0]['seconds'])
    lines = [
        f'Batch {args.batch_size} source + {args.batch_size} target at '
        f'{args.image_size}x{args.image_size}, {args.threads} torch '
        f'thread(s), {args.warmup} warm-up + {args.iters} timed '
        'iterations, one fresh process per config.', '',
        '| config | s/iter (mean) | s/iter (min-max) | ratio | peak RSS '
        '(GiB) | load avg (1 min) before-after |', '|---|---|---|---|---|---|'
    ]
    for config, result in zip(configs, results):
        seconds = result['seconds']
        mean = sum(seconds) / len(seconds)
        lines.append(
            f'| {config_name(config)} | {mean:.2f} | {min(seconds):.2f}-'
            f'{max(seconds):.2f} | {mean / baseline:.2f} | '
            f'{result["peak_gib"]:.2f} | {result["load"][0]:.2f}-'
            f'{result["load"][1]:.2f} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(time_config(args)))
        return
    results = [run_worker(config, args) for config in args.configs]
    print('Command: ' +
          shlex.join(['python', 'tools/analysis/object_speed.py'] +
                     (argv if argv is not None else sys.argv[1:])))
    print(render(results, args.configs, args))


if __name__ == '__main__':
    main()
