"""The kiosk's own identity: a UUID made on first start, kept in the data dir.

The kiosk records from minute one under this id; enrolment with central binds
it later, so rows recorded before enrolment ship like any other.
"""
import uuid

from .errors import StorageError
from .files import create_file_once

KIOSK_ID_FILE = "kiosk_id"


def kiosk_id(data_dir):
    """Return this kiosk's UUID, creating it on the very first start."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KIOSK_ID_FILE
    if not path.exists():
        create_file_once(path, str(uuid.uuid4()) + "\n")
    text = path.read_text(encoding="ascii").strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise StorageError(f"{path}: does not hold a kiosk id; restore it from a backup") from None
