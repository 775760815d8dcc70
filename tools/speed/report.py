"""The speed page: records of measurements (one JSON file per machine) and
the markdown block rendered from them."""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Sequence, Tuple

from benchmarking import parse_config_name
from mmengine.config import Config

from .measure import EAGER, ComputationCheck, SpeedResult, Variant

#: One DFA-MCD epoch over one MCD epoch in the paper (SVHN->MNIST, RTX 2070).
PAPER_DFA_MCD_RATIO = 1.21
#: One-minute load average above which a record says the CPU was shared.
BUSY_LOAD = 0.5
#: The lines between which :func:`write_page` puts the rendered records.
BEGIN = '<!-- tools/speed_benchmark.py: measurements begin -->'
END = '<!-- tools/speed_benchmark.py: measurements end -->'


@dataclass
class SpeedRecord:
    """One measurement: every config and variant on one machine.

    Args:
        label: Name of the record (its file name), e.g. ``'cpu'``.
        command: The command line that measured it.
        machine: Description of the machine.
        load_average: ``os.getloadavg()`` when the measurement started.
        warmup: Untimed iterations of each run.
        iters: Timed iterations of each run.
        runner: The hooks and visualizer backends of the timed Runner.
        results: ``(config, runner, compile mode, threads, round means)``
            of every timed row.
        checks: ``{config: (dfa_lab losses, plain losses)}`` of the
            computation check.
    """
    label: str
    command: str
    machine: str
    load_average: Tuple[float, float, float]
    warmup: int
    iters: int
    runner: str
    results: List[Tuple[str, str, str, int,
                        List[float]]] = field(default_factory=list)
    checks: Dict[str, Tuple[List[float],
                            List[float]]] = field(default_factory=dict)

    @classmethod
    def create(cls, label: str, command: str, machine: str,
               load_average: Sequence[float], warmup: int, iters: int,
               configs: Dict[str, Config], results: Sequence[SpeedResult],
               checks: Dict[str, ComputationCheck]) -> 'SpeedRecord':
        runner = ' | '.join(
            dict.fromkeys(describe_runner(cfg) for cfg in configs.values()))
        return cls(
            label=label,
            command=command,
            machine=machine,
            load_average=tuple(load_average),
            warmup=warmup,
            iters=iters,
            runner=runner,
            results=[(r.config, r.variant.runner, r.variant.compile_mode,
                      r.variant.threads, list(r.round_means))
                     for r in results],
            checks={
                config: (list(check.dfa_lab), list(check.plain))
                for config, check in checks.items()
            })

    def speed_results(self) -> List[SpeedResult]:
        return [
            SpeedResult(config, Variant(runner, compile_mode, threads),
                        round_means) for config, runner, compile_mode, threads,
            round_means in self.results
        ]

    def dump(self, path: str) -> None:
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        with open(path, 'w') as f:
            json.dump(asdict(self), f, indent=2)
            f.write('\n')

    @classmethod
    def load(cls, path: str) -> 'SpeedRecord':
        with open(path) as f:
            fields = json.load(f)
        fields['load_average'] = tuple(fields['load_average'])
        fields['results'] = [tuple(row) for row in fields['results']]
        fields['checks'] = {
            config: tuple(losses)
            for config, losses in fields['checks'].items()
        }
        return cls(**fields)


def describe_runner(cfg: Config) -> str:
    """The hooks and visualizer backends that a timed Runner keeps from
    ``cfg`` (see :func:`~speed.measure.runner_config`), in one line."""
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


def _method(config: str) -> str:
    return parse_config_name(config).method


def _compiled(compile_mode: str) -> str:
    if compile_mode == EAGER:
        return EAGER
    return f'compiled ({compile_mode})'


def render_record(record: SpeedRecord) -> str:
    """One record as markdown: seconds per iteration of every config and
    variant with the framework's overhead (``/ plain``) and the compiler's
    effect (``/ eager``), the ratio of the last config to the first
    (DFA-MCD / MCD) per variant, the computation checks, and how it was
    measured."""
    results = record.speed_results()
    seconds = {(r.config, r.variant): r.seconds for r in results}
    configs = list(dict.fromkeys(r.config for r in results))
    variants = list(dict.fromkeys(r.variant for r in results))
    load = ', '.join(f'{value:.2f}' for value in record.load_average)
    shared = record.load_average[0] > BUSY_LOAD
    lines = [
        f'### {record.label}: {record.machine}', '',
        f'Load average at start (1, 5, 15 min): {load}' +
        (' - **measured under load**: other processes shared the CPU, so '
         'these times are longer and noisier than on an idle machine'
         if shared else ''), '',
        '| method | runner | compile | threads | s/iter (median of rounds) '
        '| per round | / plain | / eager |',
        '|---|---|---|---|---|---|---|---|'
    ]
    for result in results:
        variant = result.variant
        per_round = ', '.join(f'{s:.4f}' for s in result.round_means)
        plain = seconds.get((result.config,
                             Variant('plain', variant.compile_mode,
                                     variant.threads)))
        eager = seconds.get(
            (result.config, Variant(variant.runner, EAGER, variant.threads)))
        lines.append(
            f'| {result.method} | {variant.runner} | '
            f'{_compiled(variant.compile_mode)} | {variant.threads} | '
            f'{result.seconds:.4f} | {per_round} | '
            f'{_ratio(result.seconds, plain)} | '
            f'{_ratio(result.seconds, eager)} |')
    base, other = configs[0], configs[-1]
    lines += [
        '', f'| runner | compile | threads | {_method(other)} / '
        f'{_method(base)} |', '|---|---|---|---|'
    ]
    for variant in variants:
        lines.append(
            f'| {variant.runner} | {_compiled(variant.compile_mode)} | '
            f'{variant.threads} | '
            f'{_ratio(seconds[(other, variant)], seconds[(base, variant)])} |')
    lines.append(f'| paper (epoch, SVHN->MNIST, RTX 2070) | | | '
                 f'{PAPER_DFA_MCD_RATIO:.2f} |')
    lines += [
        '', 's/iter: mean over iterations '
        f'{record.warmup + 1} to {record.warmup + record.iters} of a run '
        '(the first ones compile), median over rounds.', '',
        'Same computation (one eager iteration from the same weights, batch '
        'and seed; total loss of steps 1, 2 and 3, dfa_lab / plain):', ''
    ]
    for config, (dfa_lab, plain) in record.checks.items():
        check = ComputationCheck(tuple(dfa_lab), tuple(plain))
        steps = ', '.join(f'{a:.6g} / {b:.6g}'
                          for a, b in zip(check.dfa_lab, check.plain))
        verdict = 'same' if check.matches else 'DIFFERENT'
        lines.append(f'- {_method(config)}: {steps} ({verdict})')
    lines += [
        '', f'Timed Runner: {record.runner}.', '',
        f'Command: `{record.command}`'
    ]
    return '\n'.join(lines) + '\n'


def _ratio(numerator: float, denominator) -> str:
    return '' if denominator is None else f'{numerator / denominator:.2f}'


def render_block(records: Sequence[SpeedRecord]) -> str:
    """Every record, between the :data:`BEGIN` and :data:`END` lines."""
    return '\n'.join([BEGIN, ''] + [render_record(r)
                                    for r in records] + [END]) + '\n'


def load_records(record_dir: str) -> List[SpeedRecord]:
    """Every record in ``record_dir``, by label."""
    records = [
        SpeedRecord.load(osp.join(record_dir, name))
        for name in sorted(os.listdir(record_dir)) if name.endswith('.json')
    ]
    return sorted(records, key=lambda record: record.label)


def write_page(page: str, records: Sequence[SpeedRecord]) -> str:
    """Put the rendered ``records`` into ``page``: between its
    :data:`BEGIN` and :data:`END` lines, keeping the text around them, or,
    for a page that does not exist yet, as the whole page.

    Raises:
        ValueError: ``page`` exists without the two lines.

    Returns:
        str: The page's new text.
    """
    block = render_block(records)
    if osp.isfile(page):
        with open(page) as f:
            text = f.read()
        if BEGIN not in text or END not in text:
            raise ValueError(
                f'{page} has no "{BEGIN}" and "{END}" lines to put the '
                'measurements between; add them, or give another --out.')
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip('\n')
        text = head + block + ('\n' + tail if tail else '')
    else:
        os.makedirs(osp.dirname(page) or '.', exist_ok=True)
        text = '# Training speed\n\n' + block
    with open(page, 'w') as f:
        f.write(text)
    return text
