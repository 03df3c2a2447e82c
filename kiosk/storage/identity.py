"""The kiosk's own identity: a UUID made on first start, kept in the data dir.

The kiosk records from minute one under this id; enrollment with central binds
it later, so rows recorded before enrollment ship like any other.
"""
import uuid
from pathlib import Path

from kiosk.errors import StorageError
from sync.common.files import create_file_once, make_private_dir, narrow_if_exists

KIOSK_ID_FILE = "kiosk_id"


def kiosk_id(data_dir: Path, create: bool = True) -> str:
    """Return this kiosk's UUID, creating it on the very first start.

    With *create* false (status commands) nothing is written: a kiosk that
    never started has no id yet, a :class:`StorageError`.
    """
    path = data_dir / KIOSK_ID_FILE
    if not create:
        if not path.exists():
            raise StorageError(f"data_dir {data_dir}: no kiosk id yet (the kiosk makes it on its first start)")
    elif path.exists():
        narrow_if_exists(path)
    else:
        make_private_dir(data_dir)
        create_file_once(path, str(uuid.uuid4()) + "\n")
    text = path.read_text(encoding="ascii").strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise StorageError(f"{path}: does not hold a kiosk id; restore it from a backup") from None
