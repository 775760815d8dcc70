from pathlib import Path

import pytest

# The shared data folder sits next to the repository root.
SHARED_DATA = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f'shared data folder {SHARED_DATA} is absent')
    return SHARED_DATA.resolve()
