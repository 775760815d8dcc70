"""tools/benchmark.py --report-only tabulates finished runs, trains none."""
import importlib.util
from pathlib import Path

from benchmarking.runs import RunResult, RunSpec

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ['configs/source_only/mnist_usps.py', 'configs/mcd/mnist_usps.py']


def benchmark_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', REPO / 'tools' / 'benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_only_tabulates_finished_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    options = ('train_cfg.max_iters=10', )
    finished = RunSpec(CONFIGS[1], 1, options, str(tmp_path))
    Path(finished.run_dir).mkdir(parents=True)
    validations = [(5, {
        'target/accuracy': 90.0
    }), (10, {
        'target/accuracy': 92.5
    })]
    RunResult(finished.config, 1, list(options), 10, 1.5, False, validations,
              validations[-1][1]).dump(finished.result_file)
    out = tmp_path / 'table.md'
    status = benchmark_tool().main([
        *CONFIGS, '--seeds', '1', '2', '--work-dir',
        str(tmp_path), '--out',
        str(out), '--report-only', '--cfg-options', *options
    ])
    assert status == 0
    table = out.read_text()
    assert '| MCD | 92.5 ± - | 92.5 ± - | 94.2 ± 0.7 | 1 | 10 | 1.5 |' in table
    assert ('Not run yet (not in the table): source_only/mnist_usps seed 1, '
            'source_only/mnist_usps seed 2, mcd/mnist_usps seed 2.') in table
    # Nothing trained: only the finished run's folder exists.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'mcd', 'table.json', 'table.md'
    ]
    assert [p.name for p in (tmp_path / 'mcd').iterdir()] == ['mnist_usps']
