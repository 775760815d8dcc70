"""Train configs over several seeds and tabulate their target accuracy.

Every config ``configs/<method>/<task>.py`` x seed trains in its own
``tools/train.py`` process under ``<work-dir>/<method>/<task>/seed_<seed>``,
its output in ``train.log`` there. Finished runs are not trained again.
The table (one section per task) goes to ``--out`` and to the terminal, the
same results as JSON next to it.

Example::

    python tools/benchmark.py configs/mcd/mnist_usps.py \
        configs/source_only/mnist_usps.py \
        --seeds 1 2 3 --data-root data \
        --work-dir work_dirs/benchmark --out docs/results/digits.md
"""
import argparse
import os
import os.path as osp
import shlex
import sys
import time

from benchmarking import (describe_machine, plan_runs, run_benchmark,
                          summarize, write_report)
from benchmarking.runs import load_finished

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark dfa_lab configs over several seeds')
    parser.add_argument(
        'configs',
        nargs='+',
        metavar='CONFIG',
        help='config files at configs/<method>/<task>.py')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[1, 2, 3],
        help='values of randomness.seed, one run each (default: 1 2 3)')
    parser.add_argument(
        '--data-root',
        help='folder holding the datasets, passed to tools/train.py; leave '
        'it out for configs on embedded data')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmark',
        help='runs go to <work-dir>/<method>/<task>/seed_<seed>')
    parser.add_argument(
        '--out',
        help='markdown file for the table, <work-dir>/benchmark.md by '
        'default; the JSON goes next to it')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='config overrides passed to every run, e.g. '
        'train_cfg.max_iters=100')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='how many training processes run at once; on one GPU, several '
        'runs share it')
    parser.add_argument(
        '--threads-per-run',
        type=int,
        default=1,
        help='CPU threads of each training process (OMP_NUM_THREADS); '
        'jobs x threads should not exceed the CPU cores')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume interrupted runs from their latest checkpoint instead '
        'of starting them over')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='train nothing: tabulate the runs that have finished and list '
        'the others as not run')
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.threads_per_run < 1:
        parser.error('--jobs and --threads-per-run must be at least 1')
    if args.out is None:
        args.out = osp.join(args.work_dir, 'benchmark.md')
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    specs = plan_runs(args.configs, args.seeds, args.cfg_options,
                      args.work_dir)
    if args.report_only:
        results = {spec: load_finished(spec) for spec in specs}
        results = {spec: res for spec, res in results.items() if res}
        failures = {}
    else:
        # Every training process inherits it (tools/train.py's torch reads
        # it at start).
        os.environ['OMP_NUM_THREADS'] = str(args.threads_per_run)
        start = time.perf_counter()
        results, failures = run_benchmark(
            specs,
            TRAIN_SCRIPT,
            data_root=args.data_root,
            resume=args.resume,
            jobs=args.jobs)
        minutes = (time.perf_counter() - start) / 60
    command = shlex.join(['python', sys.argv[0], *argv])
    markdown = write_report(
        summarize(specs, results, failures), args.out, command)
    notes = []
    not_run = [
        str(spec) for spec in specs
        if spec not in results and spec not in failures
    ]
    if not_run:
        notes.append('Not run yet (not in the table): ' + ', '.join(not_run) +
                     '.')
    if not args.report_only:
        notes.append(
            f'Wall time of this command: {minutes:.1f} min, '
            f'{args.jobs} run(s) at a time with {args.threads_per_run} '
            f'thread(s) each, on {describe_machine()}.')
    if notes:
        note = ''.join(f'\n{line}\n' for line in notes)
        with open(args.out, 'a') as f:
            f.write(note)
        markdown += note
    print(markdown)
    if failures:
        print(f'{len(failures)} of {len(specs)} runs FAILED; see the logs '
              'named above.')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
