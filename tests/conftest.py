import os
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'


def pytest_configure(config):
    # Two cores: several intra-op threads per process only add contention.
    torch.set_num_threads(1)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    from dfa_lab.utils import register_all_modules
    register_all_modules()


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f'shared data folder {SHARED_DATA} is absent')
    return SHARED_DATA
