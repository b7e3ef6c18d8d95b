"""One writer at a time: an OS file lock (flock) that ingest, `amzn-qa add` and the chat's upload
hold for a whole read-convert-write, so two writers never interleave their upserts and deletes.

flock locks belong to an open file, so they exclude other processes and other threads of this
process alike (each opens the file anew), and the kernel drops them when a writer dies: a
SIGKILLed ingest never leaves the index locked.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1
# The lock files each thread holds: add_document holds the lock and then calls ingest, which
# takes it again; a second flock on a new file description would wait for itself for ever.
_held = threading.local()


class LockTimeout(TimeoutError):
    """Another writer held the lock longer than the caller would wait."""


@contextmanager
def exclusive(path: Path, timeout: float, waiting: str) -> Iterator[None]:
    """Hold the lock on `path` (created if missing) for the block. Re-entrant within a thread;
    anyone else waits, logging `waiting` once, and gets LockTimeout after `timeout` seconds."""
    key = str(path.absolute())
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if key in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        _acquire(handle.fileno(), timeout, waiting)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _acquire(fd: int, timeout: float, waiting: str) -> None:
    """flock has no timeout of its own: try without blocking until the deadline."""
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(f"still locked after {timeout:g} s") from None
            if not told:
                log.warning(waiting)
                told = True
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))
