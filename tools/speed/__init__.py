"""The speed harness of ``tools/speed_benchmark.py``: a plain PyTorch loop
doing MCD's and DFA-MCD's updates, the timing of it and of dfa_lab's
Runner, and the speed page."""
from .measure import (EAGER, LOSS_RTOL, RUNNER_NAMES, ComputationCheck,
                      SpeedResult, Variant, check_same_computation,
                      measure_speed)
from .plain_loop import PlainMCDLoop, build_model, build_plain_loader
from .report import (SpeedRecord, load_records, render_block, render_record,
                     write_page)

__all__ = [
    'EAGER', 'LOSS_RTOL', 'RUNNER_NAMES', 'ComputationCheck', 'SpeedResult',
    'Variant', 'check_same_computation', 'measure_speed', 'PlainMCDLoop',
    'build_model', 'build_plain_loader', 'SpeedRecord', 'load_records',
    'render_block', 'render_record', 'write_page'
]
