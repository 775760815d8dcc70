"""flush_denormals: subnormal floats flushed to zero on every CPU thread
(the setting is global to a process, so each check runs in its own), and
count_subnormals."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from dfa_lab.utils import count_subnormals

REPO = Path(__file__).resolve().parents[2]

#: The bits of 2 ** -127, half of float32's smallest normal number: a
#: subnormal. Tests write subnormals as bits and count them on bits, since
#: float writes and comparisons on a flushing thread flush them as well.
SUBNORMAL_BITS = 0x00400000

SUBNORMALS = f"""
import torch

def subnormals(count):
    return torch.full((count, ), {SUBNORMAL_BITS},
                      dtype=torch.int32).view(torch.float32)

def surviving(values):
    return values.view(torch.int32).count_nonzero().item()
"""


def run_python(code: str, threads: int = 2) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c',
                           SUBNORMALS + textwrap.dedent(code)],
                          cwd=REPO,
                          env=dict(
                              os.environ,
                              PYTHONPATH=str(REPO),
                              OMP_NUM_THREADS=str(threads),
                              MKL_NUM_THREADS=str(threads)),
                          capture_output=True,
                          text=True,
                          timeout=120)


def test_subnormals_become_zero_on_every_thread():
    process = run_python("""
        from dfa_lab.utils import flush_denormals
        assert torch.get_num_threads() == 2
        # Without the flags a subnormal survives multiplication by one.
        assert surviving(subnormals(1).mul(1.0)) == 1
        flush_denormals()
        # Large enough to be split over both threads.
        assert surviving(subnormals(1 << 20).mul(1.0)) == 0
        # Normal numbers are untouched: the smallest one stays.
        tiny = torch.finfo(torch.float32).tiny
        assert torch.tensor(tiny).mul(1.0).item() == tiny
        print('flushed')
    """)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == 'flushed'


def test_worker_threads_started_before_are_refused():
    process = run_python("""
        from dfa_lab.utils import flush_denormals
        # A multi-threaded operation starts the worker threads unflushed.
        torch.ones(1 << 20).mul(2.0)
        flush_denormals()
    """)
    assert process.returncode == 1
    assert "PyTorch's CPU worker threads were started before subnormals " \
        'were flushed' in process.stderr
    # The calling thread flushes its half of the check; the worker's half
    # survives.
    assert '(65536 of 131072 subnormals survived a multiplication on 2 ' \
        'threads)' in process.stderr


def test_the_runner_flushes_for_env_cfg_flush_denormal(tmp_path):
    process = run_python(f"""
        from mmengine.config import Config
        from dfa_lab.registry import RUNNERS
        from dfa_lab.utils import register_all_modules
        register_all_modules()
        head = dict(type='MLPHead', hidden_channels=(8, ), num_classes=3)
        runner = RUNNERS.build(Config(dict(
            runner_type='AdapterRunner',
            model=dict(type='MCD', backbone=dict(type='DigitCNN'),
                       classifier=head),
            work_dir={str(tmp_path)!r},
            default_scope='dfa_lab',
            env_cfg=dict(flush_denormal=True))))
        assert surviving(subnormals(1 << 20).mul(1.0)) == 0
        print('flushed')
    """)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[-1] == 'flushed'


def test_count_subnormals_counts_nonzero_values_below_the_smallest_normal():
    tiny32 = torch.finfo(torch.float32).tiny
    values = torch.tensor([0.0, tiny32, -tiny32, tiny32 / 2, -tiny32 / 3, 1.0])
    assert count_subnormals(values) == 2
    # Each dtype by its own smallest normal number: float32's subnormals are
    # normal in float64; float16's start far higher.
    assert count_subnormals(values.double() / 2) == 0
    tiny16 = torch.finfo(torch.float16).tiny
    assert count_subnormals(torch.tensor([tiny16 / 2, tiny16],
                                         dtype=torch.float16)) == 1
    assert count_subnormals(torch.tensor([1, 0])) == 0
