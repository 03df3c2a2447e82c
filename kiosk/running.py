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
from contextlib import contextmanager
from dataclasses import dataclass

from sync.common.files import PRIVATE_FILE

LOCK_FILE = "kiosk.lock"


class KioskAlreadyRunning(RuntimeError):
    """Another kiosk process holds this data dir."""


@dataclass(frozen=True)
class RunningKiosk:
    """What the running kiosk wrote into its lock file."""

    pid: int | None
    url: str | None


@contextmanager
def hold_running_lock(data_dir, url=None):
    """Hold ``kiosk.lock`` for the block; KioskAlreadyRunning when another process holds it."""
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KioskAlreadyRunning(f"another kiosk process already serves {data_dir}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "url": url}))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_kiosk(data_dir):
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
