"""One training at a time in a work dir."""
import fcntl
import os
import os.path as osp
import socket
import time
from typing import Optional, TextIO


class WorkDirBusyError(RuntimeError):
    """Another training holds the work dir."""


class WorkDirLock:
    """An exclusive lock on a work dir, held by the training that writes
    into it.

    Two trainings into one work dir would overwrite each other's
    checkpoints, ``last_checkpoint`` pointer and config dump. The lock is an
    ``flock`` on the file ``<work_dir>/train.lock``: the kernel releases it
    when its process ends in any way (``kill -9`` included), so the lock of
    a run that crashed is stale and the next run takes it over. The file
    names its holder (process, host, start time) for the error that a
    second run gets; it stays in the work dir between runs.

    Args:
        work_dir: The work dir; created if missing.
    """

    FILE_NAME = 'train.lock'

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, self.FILE_NAME)
        self._file: Optional[TextIO] = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            WorkDirBusyError: Another process holds it; the message names
                that process.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        file = open(self.path, 'a+')
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or 'another process'
            file.close()
            raise WorkDirBusyError(
                f'The work dir {self.work_dir} is in use by another training '
                f'({holder}; lock file {self.path}). Two runs in one work dir '
                'overwrite each other\'s checkpoints and config: give this '
                'run its own --work-dir, or wait until that one ends.'
            ) from None
        file.seek(0)
        file.truncate()
        file.write(f'process {os.getpid()} on {socket.gethostname()}, '
                   f'started {time.strftime("%Y-%m-%d %H:%M:%S")}\n')
        file.flush()
        self._file = file

    def release(self) -> None:
        """Release the lock, if held."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
