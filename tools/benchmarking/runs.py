"""Plan, run and record the training runs of a benchmark.

Every (config, seed) pair trains in its own ``tools/train.py`` process under
``<work_dir>/<method>/<task>/seed_<seed>`` for ``configs/<method>/<task>.py``.
A finished run leaves ``result.json`` there, so running the benchmark again
only trains what is missing.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import find_latest_checkpoint

from dfa_lab.analysis.scalars import (ACCURACY_KEY, ValidationRecord,
                                      load_validation_records)
from dfa_lab.utils.config import config_name
from .config_name import parse_config_name

SEED_KEY = 'randomness.seed'
_UNSET = object()


def describe_machine() -> str:
    """Processor, core count, torch version and CUDA device, in one line."""
    processor = platform.processor() or platform.machine()
    device = (
        torch.cuda.get_device_name()
        if torch.cuda.is_available() else 'no CUDA device')
    return (f'{processor}, {os.cpu_count()} CPUs, torch {torch.__version__}, '
            f'{device}')


def describe_code_version(script: str) -> Optional[str]:
    """The git commit of the checkout holding ``script``, with ``-dirty``
    when tracked files differ from it, or None outside a git checkout: a
    result then says which code trained it."""
    folder = osp.dirname(osp.abspath(script))

    def git(*args):
        return subprocess.run(['git', '-C', folder, *args],
                              capture_output=True,
                              text=True)

    try:
        head = git('rev-parse', 'HEAD')
        if head.returncode != 0:
            return None
        dirty = git('status', '--porcelain', '--untracked-files=no').stdout
    except OSError:
        return None
    return head.stdout.strip() + ('-dirty' if dirty.strip() else '')


def parse_cfg_options(options: Sequence[str]) -> dict:
    """Parse ``key=value`` overrides the way ``--cfg-options`` of
    ``tools/train.py`` does, so that two spellings of the same overrides
    (order, ``[1,2]`` vs ``1,2``) compare by meaning."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    if not options:
        return {}
    return parser.parse_args(['--cfg-options', *options]).cfg_options


@dataclass(frozen=True)
class RunSpec:
    """One run of the benchmark: a config trained with one seed.

    Args:
        config: Config path as given on the command line.
        seed: Value of ``randomness.seed``.
        cfg_options: Further ``key=value`` config overrides, as given.
        work_dir: Root folder of the benchmark's runs.
    """
    config: str
    seed: int
    cfg_options: Tuple[str, ...] = ()
    work_dir: str = 'work_dirs/benchmark'

    @property
    def name(self) -> str:
        """``<method>/<task>`` of the config (see
        :func:`~dfa_lab.utils.config.config_name`)."""
        return config_name(self.config)

    @property
    def run_dir(self) -> str:
        return osp.join(self.work_dir, self.name, f'seed_{self.seed}')

    @property
    def log_file(self) -> str:
        return osp.join(self.run_dir, 'train.log')

    @property
    def result_file(self) -> str:
        return osp.join(self.run_dir, 'result.json')

    def __str__(self) -> str:
        return f'{self.name} seed {self.seed}'


@dataclass
class RunResult:
    """What a finished run leaves in its ``result.json``.

    Args:
        config: Config path the run trained.
        seed: Its ``randomness.seed``.
        cfg_options: Its further config overrides.
        max_iters: Its number of training iterations.
        minutes: Wall-clock minutes of the training process. For a resumed
            run, only the process that finished it.
        resumed: Whether the run was resumed from an interrupted one.
        validations: ``(iteration, metrics)`` of every validation.
        final_metrics: Metrics of the last validation.
        machine: The machine that trained the run
            (:func:`describe_machine`), so that a report rendered elsewhere
            still names it; None where the result file does not record it.
        code_version: The git commit of the code that trained it
            (:func:`describe_code_version`), read as training starts (for
            a resumed run, as its last process starts); None where it is
            unknown or the result file does not record it.
    """
    config: str
    seed: int
    cfg_options: List[str]
    max_iters: int
    minutes: float
    resumed: bool
    validations: List[ValidationRecord]
    final_metrics: Dict[str, float]
    machine: Optional[str] = None
    code_version: Optional[str] = None

    def dump(self, path: str) -> None:
        """Write to ``path``, atomically: an interrupted write must not leave
        a file that marks the run as finished."""
        partial = path + '.partial'
        with open(partial, 'w') as f:
            json.dump(asdict(self), f, indent=2)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: str) -> 'RunResult':
        with open(path) as f:
            fields = json.load(f)
        fields['validations'] = [(int(step), metrics)
                                 for step, metrics in fields['validations']]
        return cls(**fields)


class RunFailedError(RuntimeError):
    """A training run did not produce results."""


def plan_runs(configs: Sequence[str], seeds: Sequence[int],
              cfg_options: Sequence[str], work_dir: str) -> List[RunSpec]:
    """Check the benchmark's arguments and list its runs, config by config.

    Raises:
        FileNotFoundError: A config does not exist.
        ValueError: A config is not at ``configs/<method>/<task>.py``, two
            runs would share a run folder (configs with the same method and
            task, or a repeated seed), or
            ``cfg_options`` sets the seed (the benchmark sets it from
            ``seeds``).
    """
    for config in configs:
        if not osp.isfile(config):
            raise FileNotFoundError(f'Config {config} not found.')
        parse_config_name(config)
    if SEED_KEY in parse_cfg_options(cfg_options):
        raise ValueError(
            f'--cfg-options sets {SEED_KEY}; give the seeds with --seeds.')
    specs = [
        RunSpec(config, seed, tuple(cfg_options), work_dir)
        for config in configs for seed in seeds
    ]
    by_run_dir = {}
    for spec in specs:
        other = by_run_dir.setdefault(spec.run_dir, spec)
        if other is not spec:
            raise ValueError(
                f'{other.config} seed {other.seed} and {spec.config} seed '
                f'{spec.seed} would both run in {spec.run_dir}: configs need '
                'distinct <method>/<task> paths, and seeds must not repeat.')
    return specs


def load_finished(spec: RunSpec) -> Optional[RunResult]:
    """The result of ``spec`` if an earlier benchmark finished it.

    Returns:
        RunResult or None: The recorded result, or None when the run folder
        holds no ``result.json``.

    Raises:
        ValueError: ``result.json`` records another config, seed or set of
            config overrides: reusing it would mix experiments.
    """
    if not osp.isfile(spec.result_file):
        return None
    result = RunResult.load(spec.result_file)
    recorded = {
        'config': osp.realpath(result.config),
        SEED_KEY: result.seed,
        **parse_cfg_options(result.cfg_options)
    }
    requested = {
        'config': osp.realpath(spec.config),
        SEED_KEY: spec.seed,
        **parse_cfg_options(spec.cfg_options)
    }
    differing = [
        key for key in dict.fromkeys([*recorded, *requested])
        if recorded.get(key, _UNSET) != requested.get(key, _UNSET)
    ]
    if differing:
        raise ValueError(
            f'{spec.result_file} belongs to another run: it records '
            f'{_describe(recorded, differing)}; this benchmark asks for '
            f'{_describe(requested, differing)}. Choose another --work-dir or '
            f'delete {spec.run_dir}.')
    return result


def _describe(settings: dict, keys: Sequence[str]) -> str:
    """``key=value`` for each of ``keys``, or ``key unset``."""
    return ', '.join(
        f'{key}={settings[key]!r}' if key in settings else f'{key} unset'
        for key in keys)


def read_max_iters(spec: RunSpec) -> int:
    """``train_cfg.max_iters`` of the config with the run's overrides."""
    cfg = Config.fromfile(spec.config)
    cfg.merge_from_dict(parse_cfg_options(spec.cfg_options))
    return cfg.train_cfg.max_iters


def prepare_run_dir(spec: RunSpec, resume: bool) -> Optional[str]:
    """Get the run folder ready for training.

    Args:
        spec: The run.
        resume: Continue an interrupted run from its latest checkpoint
            instead of starting over.

    Returns:
        str or None: The checkpoint to resume from, or None when the run
        starts from scratch in an emptied folder.
    """
    if resume and osp.isdir(spec.run_dir):
        checkpoint = find_latest_checkpoint(spec.run_dir)
        if checkpoint is not None and osp.isfile(checkpoint):
            return checkpoint
    # Leftovers of an interrupted run (logs, scalars, checkpoints) would mix
    # with the new run's.
    shutil.rmtree(spec.run_dir, ignore_errors=True)
    os.makedirs(spec.run_dir)
    return None


def train_command(spec: RunSpec,
                  train_script: str,
                  data_root: Optional[str] = None,
                  checkpoint: Optional[str] = None) -> List[str]:
    """The ``tools/train.py`` command line of a run.

    ``--data-root`` is passed only when given: configs on embedded data
    declare no data root and ``tools/train.py`` refuses one for them.
    """
    command = [
        sys.executable, train_script, spec.config, '--work-dir', spec.run_dir
    ]
    if data_root is not None:
        command += ['--data-root', data_root]
    if checkpoint is not None:
        command += ['--resume', checkpoint]
    command += ['--cfg-options', f'{SEED_KEY}={spec.seed}', *spec.cfg_options]
    return command


def execute_run(spec: RunSpec,
                train_script: str,
                data_root: Optional[str] = None,
                checkpoint: Optional[str] = None) -> RunResult:
    """Train one run, its output going to its ``train.log``, and record its
    result in ``result.json``.

    Raises:
        RunFailedError: Training exited with an error or logged no
            validation.
    """
    env = dict(os.environ)
    # Runs share the machine's cores; extra intra-op threads only contend.
    env.setdefault('OMP_NUM_THREADS', '1')
    # Read before training: the checkout may move on while a run trains.
    code_version = describe_code_version(train_script)
    start = time.perf_counter()
    with open(spec.log_file, 'a') as log:
        process = subprocess.run(
            train_command(spec, train_script, data_root, checkpoint),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env)
    minutes = (time.perf_counter() - start) / 60
    if process.returncode != 0:
        raise RunFailedError(f'exit code {process.returncode}')
    validations = load_validation_records(spec.run_dir)
    if not validations or any(ACCURACY_KEY not in metrics
                              for _, metrics in validations):
        raise RunFailedError(f'no {ACCURACY_KEY} logged in scalars.json')
    result = RunResult(
        config=spec.config,
        seed=spec.seed,
        cfg_options=list(spec.cfg_options),
        max_iters=read_max_iters(spec),
        minutes=minutes,
        resumed=checkpoint is not None,
        validations=validations,
        final_metrics=validations[-1][1],
        machine=describe_machine(),
        code_version=code_version)
    result.dump(spec.result_file)
    return result


def run_benchmark(
    specs: Sequence[RunSpec],
    train_script: str,
    data_root: Optional[str] = None,
    resume: bool = False,
    jobs: int = 1,
    echo: Callable[[str], None] = print
) -> Tuple[Dict[RunSpec, RunResult], Dict[RunSpec, str]]:
    """Run every spec that has no result yet, ``jobs`` at a time.

    Finished runs are checked before anything trains, so a work dir that
    holds other experiments stops the benchmark at once. A failing run does
    not stop the others.

    Args:
        specs: The runs.
        train_script: Path of ``tools/train.py``.
        data_root: Passed to ``tools/train.py --data-root`` if given.
        resume: Resume interrupted runs from their latest checkpoint
            instead of starting them over.
        jobs: How many training processes run at once.
        echo: Receives one progress line per event.

    Returns:
        tuple[dict, dict]: The result of every finished run, and the reason
        of every failed one (with its log path), both keyed by spec.
    """
    results = {spec: load_finished(spec) for spec in specs}
    failures = {}
    lock = threading.Lock()
    width = len(str(len(specs)))

    def report(index: int, spec: RunSpec, message: str) -> None:
        with lock:
            echo(f'[{index + 1:>{width}}/{len(specs)}] {spec}: {message}')

    def train(index: int, spec: RunSpec) -> None:
        try:
            checkpoint = prepare_run_dir(spec, resume)
            report(
                index, spec, 'started' if checkpoint is None else
                f'started, resuming from {checkpoint}')
            result = execute_run(spec, train_script, data_root, checkpoint)
        except Exception as error:
            failures[spec] = f'{error}, see {spec.log_file}'
            report(index, spec, f'FAILED ({failures[spec]})')
            return
        results[spec] = result
        last_iter, last_metrics = result.validations[-1]
        report(
            index, spec, f'finished, {ACCURACY_KEY} '
            f'{last_metrics[ACCURACY_KEY]:.1f}% at iter {last_iter}, '
            f'{result.minutes:.1f} min')

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        for index, spec in enumerate(specs):
            if results[spec] is None:
                pool.submit(train, index, spec)
            else:
                report(index, spec, f'skipped, finished in {spec.run_dir}')
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        # Ctrl-C also stops the running training processes; without
        # cancelling, the queued runs would start one after another.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finished = {spec: r for spec, r in results.items() if r is not None}
    return finished, failures
