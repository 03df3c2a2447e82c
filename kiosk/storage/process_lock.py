"""Is a kiosk process serving this data dir right now?

``hymy kiosk`` (and the demo) hold an exclusive ``flock`` on
``data_dir/kiosk.lock`` for as long as they run, and write their pid and
address into it. The kernel drops the lock when the process ends, however
it ends (a power cut, SIGKILL), so a stale file never says "running".
Commands that must not act under a running kiosk (``hymy restore``) or that
should ask it instead of the hardware (``hymy doctor``: the kiosk holds the
GPIO pins) look here.
"""
import errno
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sync.common.files import PRIVATE_FILE

LOCK_FILE = "kiosk.lock"


class KioskAlreadyRunning(RuntimeError):
    """Another kiosk process holds this data dir."""


@dataclass(frozen=True)
class RunningKiosk:
    """What the running kiosk wrote into its lock file."""

    pid: int | None
    url: str | None


class RunningLock:
    """The held ``kiosk.lock``: :meth:`announce` writes the address once the server listens."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def announce(self, url: str | None) -> None:
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps({"pid": os.getpid(), "url": url}))
        self._handle.flush()


@contextmanager
def hold_running_lock(data_dir: Path, url: str | None = None) -> Iterator[RunningLock]:
    """Hold ``kiosk.lock`` for the block, yielding a :class:`RunningLock`; KioskAlreadyRunning
    when another process holds it. Taken before the kiosk opens its database or pins, so a
    second kiosk on the same data dir stops before it touches either."""
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KioskAlreadyRunning(f"another kiosk process already serves {data_dir}") from None
        lock = RunningLock(handle)
        lock.announce(url)
        try:
            yield lock
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_kiosk(data_dir: Path) -> RunningKiosk | None:
    """The :class:`RunningKiosk` serving *data_dir*, or None when none does."""
    path = data_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.EACCES):
            return None
        raise
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                written = json.loads(handle.read() or "{}")
            except ValueError:
                written = {}
            return RunningKiosk(written.get("pid"), written.get("url"))
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def loopback_url(host: str, port: int) -> str:
    """The kiosk's own address as its screen reaches it: a wildcard host answers on loopback too."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
