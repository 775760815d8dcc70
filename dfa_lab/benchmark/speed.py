"""Training speed of MCD-hosted configs (``tools/speed_benchmark.py``).

Two ways of running the same training iterations are timed:

- ``dfa_lab``: mmengine's Runner on the config, as ``tools/train.py`` runs
  it (data loader, data preprocessor, the adapter's ``train_step`` on its
  optimizer wrappers, hooks, logging), with validation and checkpoints off;
- ``plain``: a plain PyTorch loop (:class:`PlainMCDLoop`) doing the same
  updates with the same networks, losses and data.

Their ratio is the framework's overhead; the ratio of a DFA-MCD config to
its MCD config is DFA's cost over its host.
"""
import copy
import logging
import math
import os.path as osp
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, NamedTuple, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.optim import build_optim_wrapper
from mmengine.runner import set_random_seed
from torch import Tensor
from torch.utils.data import DataLoader, default_collate

from dfa_lab.models.adapters import MCD
from dfa_lab.models.losses import classifier_discrepancy, cross_entropy
from dfa_lab.registry import DATA_SAMPLERS, DATASETS, MODELS
from dfa_lab.structures import EncoderOutput
from dfa_lab.utils import build_runner
from .config_name import method_label, parse_config_name

#: One DFA-MCD epoch over one MCD epoch in the paper (SVHN->MNIST, RTX 2070).
PAPER_DFA_MCD_RATIO = 1.21
#: Largest relative difference between the losses of the two variants that
#: :func:`check_same_computation` accepts.
LOSS_RTOL = 1e-5
#: One-minute load average above which the report says the CPU was shared.
BUSY_LOAD = 0.5


class PlainMCDLoop:
    """MCD's Algorithm 1, and DFA-MCD's with a DFA aligner, as a plain
    PyTorch loop over the networks of an :class:`~dfa_lab.models.MCD`.

    It does what ``MCD.train_step`` does, in the same order (so that dropout
    masks and prior samples are drawn alike), with ``torch.optim``
    optimizers and the loss functions of :mod:`dfa_lab.models.losses`
    instead of optimizer wrappers and loss modules.

    Args:
        model: The adapter whose networks are trained: its ``backbone``,
            ``classifiers['F1']``, ``classifiers['F2']`` and ``aligner``
            (or None).
        optim_wrapper: The config's ``optim_wrapper``: the ``optimizer`` of
            its ``generator`` group updates the backbone and the aligner,
            that of its ``classifiers`` group both classifiers.
    """

    def __init__(self, model: MCD, optim_wrapper: dict):
        if not isinstance(model, MCD):
            raise TypeError('The plain loop reproduces MCD (and DFA-MCD); '
                            f'got {type(model).__name__}.')
        self.backbone = model.backbone
        self.f1 = model.classifiers['F1']
        self.f2 = model.classifiers['F2']
        self.aligner = model.aligner
        self.num_k = model.num_k
        generator = list(self.backbone.parameters())
        if self.aligner is not None:
            generator += list(self.aligner.parameters())
        self.generator = _plain_optimizer(optim_wrapper, 'generator',
                                          generator)
        self.classifiers = _plain_optimizer(
            optim_wrapper, 'classifiers',
            list(self.f1.parameters()) + list(self.f2.parameters()))
        self.device = next(self.backbone.parameters()).device

    def _aligner_terms(self, loss: Tensor, encoded: EncoderOutput,
                       domain: str) -> Tensor:
        # Added one by one, as mmengine's parse_losses sums, so that both
        # variants round alike; logged diagnostics are not losses.
        if self.aligner is not None:
            for key, value in self.aligner(encoded, domain).items():
                if 'loss' in key:
                    loss = loss + value
        return loss

    def _source_loss(self, source: EncoderOutput, labels: Tensor) -> Tensor:
        flat = source.flat
        loss = cross_entropy(self.f1(flat), labels) + cross_entropy(
            self.f2(flat), labels)
        return self._aligner_terms(loss, source, 'source')

    def _discrepancy(self, target: EncoderOutput) -> Tensor:
        flat = target.flat
        return classifier_discrepancy(self.f1(flat), self.f2(flat))

    def _update(self, loss: Tensor,
                step: Sequence[torch.optim.Optimizer]) -> None:
        loss.backward()
        for optimizer in step:
            optimizer.step()
        # Both, as the adapter does, so that no gradient reaches a later step.
        self.generator.zero_grad()
        self.classifiers.zero_grad()

    def iteration(self, batch: dict) -> Tuple[Tensor, Tensor, Tensor]:
        """One training iteration on a batch of ``UDAPairDataset`` pairs.

        Returns:
            tuple[Tensor, Tensor, Tensor]: The total loss of step 1, of
            step 2, and of step 3 averaged over its ``num_k`` updates (what
            ``MCD.train_step`` logs as ``step1/loss``, ``step2/loss``,
            ``step3/loss``), detached.
        """
        x_s = batch['source']['img'].to(self.device)
        y_s = batch['source']['label'].to(self.device)
        x_t = batch['target']['img'].to(self.device)

        # Step 1: G, F1, F2 on the source.
        loss_1 = self._source_loss(self.backbone(x_s), y_s)
        self._update(loss_1, step=(self.generator, self.classifiers))

        # Step 2: G fixed; F1, F2 accurate on the source, discrepant on the
        # target.
        with torch.no_grad():
            source = self.backbone(x_s)
            target = self.backbone(x_t)
        loss_2 = self._source_loss(source, y_s) - self._discrepancy(target)
        self._update(loss_2, step=(self.classifiers, ))

        # Step 3: F1, F2 fixed; num_k generator updates on the target.
        loss_3 = 0
        for _ in range(self.num_k):
            target = self.backbone(x_t)
            loss = self._aligner_terms(
                self._discrepancy(target), target, 'target')
            self._update(loss, step=(self.generator, ))
            loss_3 = loss_3 + loss.detach()
        return loss_1.detach(), loss_2.detach(), loss_3 / self.num_k


def _plain_optimizer(optim_wrapper: dict, group: str,
                     params: List[Tensor]) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer of one group of the config's
    ``MultiOptimWrapperConstructor`` optimizers."""
    group_cfg = dict(optim_wrapper.get(group) or {})
    extra = set(group_cfg) - {'type', 'modules', 'optimizer'}
    if 'optimizer' not in group_cfg or extra or group_cfg.get(
            'type', 'OptimWrapper') != 'OptimWrapper':
        raise ValueError(
            f'The plain loop reproduces an optimizer group {group!r} made of '
            "a plain OptimWrapper and its 'optimizer'; got "
            f'{optim_wrapper.get(group)!r}.')
    optimizer_cfg = dict(group_cfg['optimizer'])
    optimizer_type = getattr(torch.optim, optimizer_cfg.pop('type'))
    return optimizer_type(params, **optimizer_cfg)


def build_plain_loader(cfg: Config) -> DataLoader:
    """A ``torch.utils.data.DataLoader`` reading what the config's
    ``train_dataloader`` reads, in the same order: its dataset, its sampler
    seeded with ``randomness.seed`` as the Runner seeds it, its batch size
    and loader options, with torch's ``default_collate``."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    dataset = DATASETS.build(loader_cfg.pop('dataset'))
    sampler = DATA_SAMPLERS.build(
        loader_cfg.pop('sampler'),
        default_args=dict(dataset=dataset, seed=cfg.randomness.seed))
    loader_cfg.pop('collate_fn', None)
    return DataLoader(
        dataset, sampler=sampler, collate_fn=default_collate, **loader_cfg)


def build_model(cfg: Config) -> MCD:
    """Seed as the Runner does, then build the config's adapter on the
    Runner's device, in train mode."""
    set_random_seed(**cfg.randomness)
    model = MODELS.build(cfg.model).to(get_device())
    model.train()
    return model


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
    """Run one iteration of the config both ways from identical weights, on
    the same batch, with the torch generator seeded alike just before.

    The step-1 loss shows that both variants compute the same objective
    from the same networks; the losses of steps 2 and 3, computed after the
    earlier steps' updates, show that the updates are the same too.
    """
    model = build_model(cfg)
    plain_model = MODELS.build(cfg.model).to(get_device())
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


def runner_config(cfg: Config, work_dir: str, max_iters: int) -> Config:
    """``cfg`` for a timed Runner: ``max_iters`` iterations in
    ``work_dir``, no validation, no checkpoint, logging at WARNING level.

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
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint is not None:
        checkpoint.update(interval=max_iters + 1, save_last=False)
    return cfg


def time_dfa_lab(cfg: Config, warmup: int, iters: int) -> List[float]:
    """Seconds of each of ``iters`` training iterations after ``warmup``,
    as mmengine's ``IterTimerHook`` records them: from the end of one
    iteration to the end of the next, data loading and every hook
    included."""
    with tempfile.TemporaryDirectory(prefix='dfa_lab_speed_') as work_dir:
        runner = build_runner(runner_config(cfg, work_dir, warmup + iters))
        runner.train()
        times = runner.message_hub.get_scalar('train/time').data[0]
        # mmengine keeps the logger after the Runner is gone; close its log
        # file before the work dir goes.
        for handler in list(runner.logger.handlers):
            if isinstance(handler, logging.FileHandler):
                runner.logger.removeHandler(handler)
                handler.close()
    return [float(t) for t in times[warmup:]]


def time_plain(cfg: Config, warmup: int, iters: int) -> List[float]:
    """Seconds of each of ``iters`` iterations of :class:`PlainMCDLoop`
    after ``warmup``, timed like :func:`time_dfa_lab`: from the end of one
    iteration to the end of the next, data loading included."""
    loop = PlainMCDLoop(build_model(cfg), cfg.optim_wrapper)
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


#: How each variant is timed, in table order.
TIMERS: Dict[str, Callable[[Config, int, int], List[float]]] = dict(
    dfa_lab=time_dfa_lab, plain=time_plain)
VARIANTS = tuple(TIMERS)


@dataclass
class SpeedResult:
    """The timings of one config under one variant.

    Args:
        config: Config path.
        variant: ``'dfa_lab'`` or ``'plain'``.
        round_means: Mean seconds per iteration of each round.
    """
    config: str
    variant: str
    round_means: List[float] = field(default_factory=list)

    @property
    def method(self) -> str:
        return parse_config_name(self.config).method

    @property
    def seconds(self) -> float:
        """Median over rounds of the mean seconds per iteration."""
        return statistics.median(self.round_means)


def measure_speed(
        configs: Dict[str, Config],
        warmup: int,
        iters: int,
        rounds: int,
        echo: Callable[[str], None] = print) -> List[SpeedResult]:
    """Time every config under every variant, ``rounds`` times.

    Each round runs every (config, variant) once, in an order reversed
    every other round, so that a load that changes over time weighs on all
    of them alike.

    Args:
        configs: Loaded configs keyed by their path.
        warmup: Iterations run before timing starts.
        iters: Iterations timed.
        rounds: Rounds.
        echo: Receives one progress line per timed run.

    Returns:
        list[SpeedResult]: Config by config, ``dfa_lab`` before ``plain``.
    """
    results = {(path, variant): SpeedResult(path, variant)
               for path in configs for variant in VARIANTS}
    order = list(results)
    for index in range(rounds):
        for key in (order if index % 2 == 0 else order[::-1]):
            path, variant = key
            mean = statistics.mean(TIMERS[variant](configs[path], warmup,
                                                   iters))
            results[key].round_means.append(mean)
            echo(f'[round {index + 1}/{rounds}] {results[key].method} '
                 f'{variant}: {mean:.4f} s/iter')
    return list(results.values())


def describe_runner(cfg: Config) -> str:
    """The hooks and visualizer backends that a timed Runner keeps from
    ``cfg`` (see :func:`runner_config`), in one line."""
    hooks = []
    for name, hook in cfg.get('default_hooks', {}).items():
        if hook is None:
            continue
        if name == 'logger':
            hooks.append(f"{hook['type']} (every {hook.get('interval', 10)} "
                         'iterations)')
        elif name == 'checkpoint':
            hooks.append(f"{hook['type']} (saving nothing)")
        else:
            hooks.append(hook['type'])
    hooks += [hook['type'] for hook in cfg.get('custom_hooks', [])]
    backends = [
        backend['type']
        for backend in cfg.get('visualizer', {}).get('vis_backends', [])
    ]
    return (f"hooks {', '.join(hooks) or 'none'}; visualizer backends "
            f"{', '.join(backends) or 'none'}")


def render_speed_markdown(results: Sequence[SpeedResult],
                          configs: Dict[str, Config],
                          checks: Dict[str, ComputationCheck], command: str,
                          threads: int, machine: str,
                          load_average: Tuple[float, float, float],
                          warmup: int, iters: int) -> str:
    """The report: seconds per iteration of every config and variant, the
    ratio of the last config to the first (DFA-MCD / MCD) per variant, the
    computation checks, and how it was measured.

    Args:
        results: From :func:`measure_speed`.
        configs: The configs measured, by path.
        checks: :func:`check_same_computation` of each config, by path.
        command: The command line that produced the results.
        threads: Torch threads of the process.
        machine: Description of the machine.
        load_average: ``os.getloadavg()`` when the measurement started.
        warmup: Untimed iterations of each run.
        iters: Timed iterations of each run.
    """
    seconds = {(r.config, r.variant): r.seconds for r in results}
    paths = list(configs)
    lines = [
        '# Training speed', '',
        '| method | variant | s/iter (median of rounds) | per round '
        '| / plain |', '|---|---|---|---|---|'
    ]
    for result in results:
        per_round = ', '.join(f'{s:.4f}' for s in result.round_means)
        overhead = result.seconds / seconds[(result.config, 'plain')]
        lines.append(f'| {method_label(result.method)} | '
                     f'{result.variant} | {result.seconds:.4f} | '
                     f'{per_round} | {overhead:.2f} |')
    base, other = paths[0], paths[-1]
    ratio_name = (f'{method_label(parse_config_name(other).method)} / '
                  f'{method_label(parse_config_name(base).method)}')
    lines += ['', f'| variant | {ratio_name} |', '|---|---|']
    for variant in VARIANTS:
        ratio = seconds[(other, variant)] / seconds[(base, variant)]
        lines.append(f'| {variant} | {ratio:.2f} |')
    lines.append(f'| paper (epoch, SVHN->MNIST, RTX 2070) | '
                 f'{PAPER_DFA_MCD_RATIO:.2f} |')
    lines += [
        '',
        's/iter: wall-clock seconds per training iteration, data loading '
        f'included, mean over iterations {warmup + 1} to {warmup + iters} '
        'of a run; the median over rounds, each round running every row '
        'once. '
        'Both methods make the same number of iterations per epoch, so '
        'their ratio is also the ratio of epoch times. "/ plain" is the '
        'framework\'s overhead.',
        '',
        'dfa_lab: mmengine\'s Runner on the config: data loader, data '
        'preprocessor, the adapter\'s train_step and the config\'s hooks '
        'and visualizer, with no validation, no checkpoint and log level '
        'WARNING (' + ' | '.join(
            dict.fromkeys(describe_runner(cfg)
                          for cfg in configs.values())) + ').',
        '',
        'plain: a PyTorch loop doing the same updates on the same networks '
        'and data (dfa_lab.benchmark.speed.PlainMCDLoop).',
        '',
        'Same computation (one iteration from the same weights, batch and '
        'seed; total loss of steps 1, 2 and 3, dfa_lab / plain):',
        ''
    ]
    for config in paths:
        check = checks[config]
        steps = ', '.join(f'{a:.6g} / {b:.6g}'
                          for a, b in zip(check.dfa_lab, check.plain))
        verdict = 'same' if check.matches else 'DIFFERENT'
        label = method_label(parse_config_name(config).method)
        lines.append(f'- {label}: {steps} ({verdict})')
    load = ', '.join(f'{value:.2f}' for value in load_average)
    busy = (' - measured while other processes may share the CPU'
            if load_average[0] > BUSY_LOAD else '')
    lines += [
        '', f'Command: `{command}`', '', f'Threads: {threads}', '',
        f'Machine: {machine}', '',
        f'Load average at start (1, 5, 15 min): {load}{busy}'
    ]
    return '\n'.join(lines) + '\n'
