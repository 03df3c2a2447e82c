"""The manager's PIN: 4-8 digits, kept only as a password hash.

The hash is werkzeug's (scrypt with a random salt), in ``data_dir/manager_pin``
(mode 0600). The PIN itself is never written anywhere. Head office may set a
site's PIN centrally; it reaches the kiosk as a hash in central's config and
then wins over the one set on the device (the *central_hash* arguments).
"""
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.errors import ValidationError
from sync.common.files import replace_file
from sync.wire.protocol import pin_problem

PIN_FILE = "manager_pin"


def set_pin(data_dir: Path, pin: str) -> None:
    """Keep the hash of *pin* as the manager PIN; raise ValidationError for a bad one."""
    problem = pin_problem(pin)
    if problem:
        raise ValidationError(problem)
    replace_file(data_dir / PIN_FILE, generate_password_hash(pin) + "\n")


def pin_hash(data_dir: Path) -> str | None:
    """The stored hash, or None when no PIN is set."""
    try:
        return (data_dir / PIN_FILE).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def pin_is_set(data_dir: Path, central_hash: str | None = None) -> bool:
    return central_hash is not None or pin_hash(data_dir) is not None


def check_pin(data_dir: Path, pin: str, central_hash: str | None = None) -> bool:
    """True when *pin* is the manager PIN: head office's when it set one, else the device's
    (False when none is set or *pin* is malformed)."""
    stored = central_hash or pin_hash(data_dir)
    if stored is None or not isinstance(pin, str) or pin_problem(pin):
        return False
    return check_password_hash(stored, pin)
