"""The kiosk's own identity: a UUID made on first start, kept in the data dir.

The kiosk records from minute one under this id; enrolment with central binds
it later, so rows recorded before enrolment ship like any other.
"""
import os
import uuid

from .errors import StorageError

KIOSK_ID_FILE = "kiosk_id"


def _write_durably(path, text):
    """Create *path* with *text* unless it exists; survive a power cut either way."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="ascii") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(temporary, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def kiosk_id(data_dir):
    """Return this kiosk's UUID, creating it on the very first start."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KIOSK_ID_FILE
    if not path.exists():
        _write_durably(path, str(uuid.uuid4()))
    text = path.read_text(encoding="ascii").strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise StorageError(f"{path}: does not hold a kiosk id; restore it from a backup") from None
