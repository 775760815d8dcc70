"""One training at a time in a work dir."""
import os

import pytest

from dfa_lab.utils import WorkDirBusyError, WorkDirLock


def test_a_held_work_dir_is_refused_until_released(tmp_path):
    first = WorkDirLock(str(tmp_path / 'work'))
    first.acquire()
    with pytest.raises(
            WorkDirBusyError,
            match=f'in use by another training \\(process {os.getpid()} on '):
        WorkDirLock(str(tmp_path / 'work')).acquire()
    first.release()
    second = WorkDirLock(str(tmp_path / 'work'))
    second.acquire()
    second.release()


def test_the_lock_of_a_closed_file_is_stale(tmp_path):
    """The kernel drops a lock with its file, as when its process dies;
    the holder recorded in the file does not keep the work dir busy."""
    lock = WorkDirLock(str(tmp_path))
    lock.acquire()
    lock._file.close()
    lock._file = None
    assert (tmp_path / 'train.lock').read_text().startswith('process ')
    WorkDirLock(str(tmp_path)).acquire()
