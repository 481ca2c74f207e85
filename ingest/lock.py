"""One ingest per data directory at a time.

Two `dossier ingest` runs on one data dir would interleave cache writes and
could publish an older build over a newer one. `data_dir_lock` takes an
exclusive `flock` on `<data_dir>/.ingest.lock` for the whole run (fetch,
cache, build, publish); a second run waits up to `ingest_lock_wait` seconds,
then gives up with a message naming the holder. The kernel drops the lock
when its holder dies, even by SIGKILL, so a crash never leaves it stuck.

The lock is re-entrant within a process (the CLI holds it around the whole
run and `run_ingest` takes it too, for callers that use it directly).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_NAME = ".ingest.lock"
_held: dict[Path, int] = {}
_guard = threading.Lock()


class LockBusy(Exception):
    """Another process holds the data-dir lock beyond the wait allowed."""


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


@contextlib.contextmanager
def data_dir_lock(data_dir: Path, wait: float) -> Iterator[None]:
    """Hold the ingest lock of `data_dir`, waiting up to `wait` seconds for it."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / LOCK_NAME).resolve()
    with _guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        give_up = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise LockBusy(
                        f"another `dossier ingest` ({_holder(path)}) is running on {data_dir}; "
                        f"waited {wait:g}s (ingest_lock_wait). Let it finish, or use another "
                        "--data-dir"
                    ) from None
                if not announced:
                    log.warning(
                        "another ingest (%s) is running on %s; waiting up to %gs",
                        _holder(path),
                        data_dir,
                        wait,
                    )
                    announced = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
