"""Whether benchmark runs made by earlier commits train as the current
checkout does, so that they can be paired with runs of the current code.

For each ``result.json`` (or run folder holding one), the run's config,
seed and ``--cfg-options`` train for ``--iters`` iterations twice: in a git
worktree of the commit the run records (``code_version``) and in this
checkout (its working tree, uncommitted changes included). The run counts
as made by the current code when every tensor of the two final state dicts
(weights and BatchNorm statistics) is bit for bit the same. Runs sharing a
commit, config, seed and options are checked once.

Prints a markdown table (and writes it to ``--out``); the exit status is 1
when any run trains differently.

Example::

    python tools/same_training.py \
        docs/results/dfa_study_runs/mcd/usps_mnist/seed_*/result.json \
        --data-root data --iters 20
"""
import argparse
import os.path as osp
import sys
import tempfile

from benchmarking import RunResult, describe_code_version
from benchmarking.code_drift import (checkout_at, compare_state_dicts,
                                     train_briefly)

REPOSITORY = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Whether earlier runs train as the current checkout does')
    parser.add_argument(
        'results',
        nargs='+',
        metavar='RESULT',
        help='result.json files of tools/benchmark.py, or their run folders')
    parser.add_argument(
        '--iters',
        type=int,
        default=20,
        help='iterations each side trains (default: 20)')
    parser.add_argument(
        '--data-root',
        help='data root of the configs (omit for configs on embedded data)')
    parser.add_argument(
        '--code-version',
        metavar='COMMIT',
        help='the commit of results that record none (made before runs '
        'recorded it)')
    parser.add_argument('--out', help='markdown file to write the table to')
    args = parser.parse_args(argv)
    if args.iters < 1:
        parser.error('--iters must be at least 1')
    return args


def load_result(path: str, fallback_version) -> RunResult:
    if osp.isdir(path):
        path = osp.join(path, 'result.json')
    result = RunResult.load(path)
    if result.code_version is None:
        if fallback_version is None:
            raise SystemExit(f'{path} records no code_version: give the '
                             'commit that trained it with --code-version.')
        result.code_version = fallback_version
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    results = {}
    for path in args.results:
        result = load_result(path, args.code_version)
        key = (result.code_version, result.config, result.seed,
               tuple(result.cfg_options))
        results.setdefault(key, []).append(path)
    current_version = describe_code_version(__file__) or 'this checkout'
    current = {}
    rows = [
        f'Training for {args.iters} iterations, by the commit each run '
        f'records and by {current_version}:', '',
        '| runs | config, seed | trained by | tensors equal | '
        'max abs difference | same training |', '|---|---|---|---|---|---|'
    ]
    differs = False
    with tempfile.TemporaryDirectory(prefix='same_training_') as scratch:
        for index, (key, paths) in enumerate(results.items()):
            version, config, seed, options = key
            if (config, seed, options) not in current:
                current[config, seed, options] = train_briefly(
                    REPOSITORY, config, seed, options, args.iters,
                    osp.join(scratch, f'current_{len(current)}'),
                    args.data_root)
            with checkout_at(REPOSITORY, version) as checkout:
                earlier = train_briefly(checkout, config, seed, options,
                                        args.iters,
                                        osp.join(scratch, f'earlier_{index}'),
                                        args.data_root)
            comparison = compare_state_dicts(earlier,
                                             current[config, seed, options])
            differs |= not comparison.identical
            mismatch = (f', {len(comparison.unmatched)} unmatched'
                        if comparison.unmatched else '')
            rows.append(
                f'| {"<br>".join(paths)} | {config}, {seed} | {version[:12]} '
                f'| {comparison.equal}/{comparison.tensors}{mismatch} | '
                f'{comparison.max_abs_difference:.3g} | '
                f'{"yes" if comparison.identical else "**no**"} |')
    table = '\n'.join(rows) + '\n'
    print(table)
    if args.out:
        with open(args.out, 'w') as file:
            file.write(table)
    return 1 if differs else 0


if __name__ == '__main__':
    sys.exit(main())
