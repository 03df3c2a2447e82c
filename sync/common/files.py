"""Files Hymy writes: small files that must never be left half-written (the
kiosk's id, its enrollment, central's content), private files and directories,
and lock files. Each is written to a temporary file, synced,
then moved into place, and the directory is synced, so after a power cut the
path holds either the old content or the new one.

Everything Hymy writes is its own business (ratings, comments, tokens):
files are created 0600 and a new data dir 0700, whatever the umask of whoever
started the process, and files an older version left readable are narrowed."""
import fcntl
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: Mode of every file the kiosk (or central) writes: the owner's alone.
PRIVATE_FILE = 0o600
#: Mode of a data dir the kiosk creates.
PRIVATE_DIR = 0o700


def _write_temporary(path: Path, text: str, mode: int) -> Path:
    """A new file beside *path* holding *text*: a fresh name made with O_EXCL (mkstemp), never a link followed."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), mode)  # mkstemp made it 0600
            os.fsync(f.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def sync_directory(directory: str | os.PathLike[str]) -> None:
    """fsync *directory*, so a file just renamed or linked into it survives a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, text: str, mode: int = PRIVATE_FILE) -> None:
    """Replace *path* with *text* atomically and durably."""
    temporary = _write_temporary(path, text, mode)
    try:
        os.replace(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise
    sync_directory(path.parent)


def create_file_once(path: Path, text: str, mode: int = PRIVATE_FILE) -> None:
    """Create *path* with *text* unless it exists (another process may win the race)."""
    temporary = _write_temporary(path, text, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    sync_directory(path.parent)


def make_private_dir(path: Path) -> None:
    """Create *path* (and missing parents) if needed; the directory made last is 0700.

    An existing directory keeps its mode: systemd's StateDirectory, or an
    installer, may have chosen it on purpose.
    """
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def make_writable_dir(path: Path) -> None:
    """Create *path* like :func:`make_private_dir` and prove this process may
    write in it, by making and removing an empty file there.

    Raises the :class:`OSError` a later write would meet (read-only file
    system, permission, a file in the way), before any database is opened,
    so a command can say which directory is at fault instead of SQLite's
    "attempt to write a readonly database".
    """
    make_private_dir(path)
    fd, probe = tempfile.mkstemp(prefix=".hymy-write-check-", dir=path)
    os.close(fd)
    os.unlink(probe)


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Make sure *path* exists and is 0600, without touching its content.

    For files another library fills (SQLite's database: SQLite then gives its
    -wal and -shm files the database file's mode).
    """
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        _narrow(path, fd)
    finally:
        os.close(fd)


def narrow_if_exists(path: str | os.PathLike[str]) -> None:
    """Take group and other permissions off *path* if it exists (made by an older version)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        _narrow(path, fd)
    finally:
        os.close(fd)


def _narrow(path: str | os.PathLike[str], fd: int) -> None:
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o077:
        try:
            os.fchmod(fd, mode & 0o700)
        except PermissionError:  # another user's file: theirs to decide
            log.warning("%s is readable by others (mode %o) and not ours to change", path, mode)


@contextmanager
def exclusive_lock(path: str | os.PathLike[str], wait: bool = True) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the private file *path* for the block.

    Each call opens the file anew, so the lock excludes other threads of this
    process as well as other processes. With ``wait=False`` a held lock raises
    :class:`BlockingIOError` at once instead of waiting.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "r+b") as handle:
        _narrow(path, fd)
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
