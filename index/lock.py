"""One writer at a time per index: an exclusive ``flock`` on ``<index folder>/index.lock``.

Every write path (the CLI's ``index``, the web app's upload, delete and re-index, evaluation runs)
goes through ``writer_lock``. The kernel releases a ``flock`` when its holder dies, even by
``kill -9``, so a crashed writer never leaves the index locked; the next writer then repairs what it
left half-done (index/pipeline.py). The lock file also records the holder's process id, for the
message a waiting writer shows.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "index.lock"
POLL_SECONDS = 0.2
# A waiting writer says so at once, then every few seconds (CLI on stderr, web app as progress).
NOTICE_EVERY_SECONDS = 5.0

WaitNotice = Callable[[int], None]  # called with the seconds waited so far


class IndexBusy(Exception):
    """Another process is writing this index and the caller asked not to wait. Message in Chinese."""


def waiting_message(seconds: int) -> str:
    return f"另一个索引任务正在进行，已等待 {seconds} 秒…"


def busy_message(holder: str) -> str:
    who = f"（进程 {holder}）" if holder else ""
    return f"另一个索引任务正在进行{who}，请等它完成后再试（不加 --no-wait 则会自动等待）"


@contextmanager
def writer_lock(folder: Path, *, wait: bool = True, on_wait: WaitNotice | None = None) -> Iterator[None]:
    """Hold the index's writer lock for the block; wait for it (with notices) or raise ``IndexBusy``."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wait, on_wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)  # closing also releases the lock if acquiring was interrupted


def _acquire(fd: int, wait: bool, on_wait: WaitNotice | None) -> None:
    started = time.monotonic()
    next_notice = 0.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if not wait:
            raise IndexBusy(busy_message(_holder(fd)))
        waited = time.monotonic() - started
        if on_wait is not None and waited >= next_notice:
            on_wait(int(waited))
            next_notice += NOTICE_EVERY_SECONDS
        time.sleep(POLL_SECONDS)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def writer_active(folder: Path) -> bool:
    """True while some process holds the writer lock (a reader uses it to say "being built")."""
    path = folder / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
