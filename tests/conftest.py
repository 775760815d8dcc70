import os
import sys
from pathlib import Path

import pytest
import torch
from dataset_files import write_data_root

# The experiment tooling (benchmarking, speed) lives beside the scripts in
# tools/, which import it from their own folder; so do the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))


def pytest_configure(config):
    # Two cores: several intra-op threads per process only add contention.
    torch.set_num_threads(1)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    from dfa_lab.utils import register_all_modules
    register_all_modules()


@pytest.fixture(scope='session')
def data_root(tmp_path_factory) -> Path:
    """A data folder holding every file-backed dataset of the configs in
    its real format, laid out as the configs expect (see
    tests/dataset_files.py). Tests must not change it."""
    return write_data_root(tmp_path_factory.mktemp('data'))
