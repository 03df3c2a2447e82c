"""Small files the kiosk must never leave half-written: its id, its
enrolment, central's content. Each is written to a temporary file, synced,
then moved into place, and the directory is synced, so after a power cut the
path holds either the old content or the new one."""
import os


def _write_temporary(path, text, mode):
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(temporary, mode)  # the umask may have narrowed or widened it
    return temporary


def _sync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path, text, mode=0o644):
    """Replace *path* with *text* atomically and durably."""
    temporary = _write_temporary(path, text, mode)
    try:
        os.replace(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def create_file_once(path, text, mode=0o644):
    """Create *path* with *text* unless it exists (another process may win the race)."""
    temporary = _write_temporary(path, text, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    _sync_directory(path.parent)
