"""Multi-seed benchmarks: train configs over several seeds and tabulate
their target accuracy against the paper's (``tools/benchmark.py``,
``tools/sensitivity.py``). Experiment tooling, not part of the installed
package: the scripts in ``tools/`` import it from their own folder."""
from dfa_lab.analysis.scalars import ACCURACY_KEY, load_validation_records
from .config_name import ConfigName, parse_config_name
from .paper import PAPER_ACCURACY, PaperAccuracy, paper_accuracy
from .report import (MethodSummary, describe_training_machines,
                     format_mean_std, render_markdown, summarize, write_report)
from .runs import (RunFailedError, RunResult, RunSpec, describe_code_version,
                   describe_machine, execute_run, load_finished, plan_runs,
                   run_benchmark)

__all__ = [
    'ACCURACY_KEY', 'ConfigName', 'MethodSummary', 'PAPER_ACCURACY',
    'PaperAccuracy', 'RunFailedError', 'RunResult', 'RunSpec',
    'describe_code_version', 'describe_machine', 'describe_training_machines',
    'execute_run', 'format_mean_std', 'load_finished',
    'load_validation_records', 'paper_accuracy', 'parse_config_name',
    'plan_runs', 'render_markdown', 'run_benchmark', 'summarize',
    'write_report'
]
