"""Timing of training iterations under dfa_lab's Runner and under
:class:`~speed.plain_loop.PlainMCDLoop`, eager or compiled, at a given
number of threads.

Every timed run starts a fresh process, so that threads, compiled code and
mmengine's global state (loggers, message hubs) of one run never reach
another.
"""
import copy
import logging
import math
import os.path as osp
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import torch
from benchmarking import parse_config_name
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper

from dfa_lab.registry import MODELS, RUNNERS
from dfa_lab.utils import register_all_modules
from .plain_loop import PlainMCDLoop, build_model, build_plain_loader

#: Largest relative difference between the losses of the two runners that
#: :func:`check_same_computation` accepts.
LOSS_RTOL = 1e-5
#: The two ways of running the iterations.
RUNNER_NAMES = ('dfa_lab', 'plain')
#: ``--compile`` value of a run without ``torch.compile``.
EAGER = 'eager'


class ComputationCheck(NamedTuple):
    """The three step losses of one iteration from the same weights, batch
    and seed, by ``MCD.train_step`` and by :class:`PlainMCDLoop`."""
    dfa_lab: Tuple[float, float, float]
    plain: Tuple[float, float, float]

    @property
    def matches(self) -> bool:
        """Every step's loss agrees within :data:`LOSS_RTOL`."""
        return all(
            math.isclose(a, b, rel_tol=LOSS_RTOL)
            for a, b in zip(self.dfa_lab, self.plain))


def check_same_computation(cfg: Config) -> ComputationCheck:
    """Run one eager iteration of the config both ways from identical
    weights, on the same batch, with the torch generator seeded alike just
    before.

    The step-1 loss shows that both runners compute the same objective
    from the same networks; the losses of steps 2 and 3, computed after the
    earlier steps' updates, show that the updates are the same too.
    """
    model = build_model(cfg)
    plain_model = MODELS.build(cfg.model).to(next(model.parameters()).device)
    plain_model.load_state_dict(model.state_dict())
    plain_model.train()
    batch = next(iter(build_plain_loader(cfg)))

    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    torch.manual_seed(cfg.randomness.seed)
    log_vars = model.train_step(batch, optim_wrapper)
    dfa_lab = tuple(log_vars[f'step{i}/loss'].item() for i in (1, 2, 3))

    loop = PlainMCDLoop(plain_model, cfg.optim_wrapper)
    torch.manual_seed(cfg.randomness.seed)
    plain = tuple(loss.item() for loss in loop.iteration(batch))
    return ComputationCheck(dfa_lab, plain)


def compile_options(compile_mode: str) -> Optional[dict]:
    """The ``torch.compile`` options of a ``--compile`` value, or None for
    :data:`EAGER`."""
    return None if compile_mode == EAGER else dict(mode=compile_mode)


def runner_config(cfg: Config,
                  work_dir: str,
                  max_iters: int,
                  compile_mode: str = EAGER) -> Config:
    """``cfg`` for a timed Runner: ``max_iters`` iterations in
    ``work_dir``, no validation, no checkpoint, logging at WARNING level,
    compiled with ``compile_mode`` unless it is :data:`EAGER`.

    Everything else, hooks included, stays as the config has it. The log
    level only keeps the terminal quiet: the logger hook still gathers and
    formats its lines at its interval.
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    # mmengine keeps its logger, message hub and visualizer by experiment
    # name; a fresh name per run keeps earlier runs' timings out of this one.
    cfg.experiment_name = 'speed_' + osp.basename(work_dir)
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_iters = max_iters
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.compile = compile_options(compile_mode)
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint is not None:
        checkpoint.update(interval=max_iters + 1, save_last=False)
    return cfg


class ProcessTimeHook(Hook):
    """The process's CPU time (user and system, every thread) when
    training starts and at the end of every training iteration."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.stamps: List[float] = []

    def before_train(self, runner) -> None:
        self.stamps.append(time.process_time())

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self.stamps.append(time.process_time())


def time_dfa_lab(cfg: Config,
                 warmup: int,
                 iters: int,
                 compile_mode: str = EAGER,
                 clock: str = 'wall') -> List[float]:
    """Seconds of each of ``iters`` training iterations after ``warmup``.

    ``clock='wall'``: wall-clock seconds as mmengine's ``IterTimerHook``
    records them, from the end of one iteration to the end of the next,
    data loading and every hook included. ``clock='cpu'``: the process's
    CPU seconds over the same span (:class:`ProcessTimeHook`), what an
    iteration costs in processor time; other processes sharing the CPU
    inflate it much less than the wall-clock time.
    """
    if clock not in ('wall', 'cpu'):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    with tempfile.TemporaryDirectory(prefix='dfa_lab_speed_') as work_dir:
        runner = RUNNERS.build(
            runner_config(cfg, work_dir, warmup + iters, compile_mode))
        process_time = ProcessTimeHook()
        runner.register_hook(process_time)
        runner.train()
        if clock == 'wall':
            times = runner.message_hub.get_scalar('train/time').data[0]
        else:
            stamps = process_time.stamps
            times = [b - a for a, b in zip(stamps, stamps[1:])]
        # mmengine keeps the logger after the Runner is gone; close its log
        # file before the work dir goes.
        for handler in list(runner.logger.handlers):
            if isinstance(handler, logging.FileHandler):
                runner.logger.removeHandler(handler)
                handler.close()
    return [float(t) for t in times[warmup:]]


def time_plain(cfg: Config,
               warmup: int,
               iters: int,
               compile_mode: str = EAGER) -> List[float]:
    """Seconds of each of ``iters`` iterations of :class:`PlainMCDLoop`
    after ``warmup``, timed like :func:`time_dfa_lab`: from the end of one
    iteration to the end of the next, data loading included. The adapter's
    networks are compiled as the Runner compiles them."""
    model = build_model(cfg)
    options = compile_options(compile_mode)
    if options is not None:
        model.compile(**options)
    loop = PlainMCDLoop(model, cfg.optim_wrapper)
    batches = iter(build_plain_loader(cfg))
    synchronize = loop.device.type == 'cuda'
    times = []
    last = time.perf_counter()
    for _ in range(warmup + iters):
        loop.iteration(next(batches))
        if synchronize:
            # The Runner waits for the GPU when it logs the losses.
            torch.cuda.synchronize()
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return times[warmup:]


#: How each runner is timed; ``dfa_lab_cpu`` is ``dfa_lab`` timed in
#: process CPU seconds (``tools/host_speed.py``).
TIMERS: Dict[str, Callable[..., List[float]]] = dict(
    dfa_lab=time_dfa_lab,
    plain=time_plain,
    dfa_lab_cpu=partial(time_dfa_lab, clock='cpu'))


@dataclass(frozen=True)
class Variant:
    """One way of running a config's iterations.

    Args:
        runner: ``'dfa_lab'`` or ``'plain'``.
        compile_mode: :data:`EAGER` or a ``torch.compile`` mode.
        threads: Torch threads of the process.
    """
    runner: str
    compile_mode: str
    threads: int


@dataclass
class SpeedResult:
    """The timings of one config under one variant.

    Args:
        config: Config path.
        variant: How it ran.
        round_means: Mean seconds per iteration of each round.
    """
    config: str
    variant: Variant
    round_means: List[float] = field(default_factory=list)

    @property
    def method(self) -> str:
        return parse_config_name(self.config).method

    @property
    def seconds(self) -> float:
        """Median over rounds of the mean seconds per iteration."""
        return statistics.median(self.round_means)


def time_in_process(cfg_dict: dict, variant: Variant, warmup: int,
                    iters: int) -> float:
    """Mean seconds per timed iteration of one run, in this process with
    ``variant.threads`` threads."""
    torch.set_num_threads(variant.threads)
    register_all_modules()
    cfg = Config(cfg_dict)
    times = TIMERS[variant.runner](cfg, warmup, iters, variant.compile_mode)
    return statistics.mean(times)


def time_in_fresh_process(cfg: Config, variant: Variant, warmup: int,
                          iters: int) -> float:
    """:func:`time_in_process` in a new process (spawned, so that it
    inherits no threads or compiled code of this one)."""
    with ProcessPoolExecutor(
            max_workers=1, mp_context=get_context('spawn')) as pool:
        return pool.submit(time_in_process, cfg.to_dict(), variant, warmup,
                           iters).result()


def measure_speed(configs: Dict[str, Config],
                  variants: List[Variant],
                  warmup: int,
                  iters: int,
                  rounds: int,
                  echo: Callable[[str], None] = print) -> List[SpeedResult]:
    """Time every config under every variant, ``rounds`` times, each run in
    a fresh process.

    Each round runs every (config, variant) once, in an order reversed
    every other round, so that a load that changes over time weighs on all
    of them alike.

    Args:
        configs: Loaded configs keyed by their path.
        variants: The variants, in table order.
        warmup: Iterations run before timing starts (compiling included).
        iters: Iterations timed.
        rounds: Rounds.
        echo: Receives one progress line per timed run.

    Returns:
        list[SpeedResult]: Config by config, variant by variant.
    """
    results = {
        (path, variant): SpeedResult(path, variant)
        for path in configs
        for variant in variants
    }
    order = list(results)
    for index in range(rounds):
        for key in (order if index % 2 == 0 else order[::-1]):
            path, variant = key
            mean = time_in_fresh_process(configs[path], variant, warmup, iters)
            results[key].round_means.append(mean)
            echo(f'[round {index + 1}/{rounds}] {results[key].method} '
                 f'{variant.runner} {variant.compile_mode} '
                 f'{variant.threads} thread(s): {mean:.4f} s/iter')
    return list(results.values())
