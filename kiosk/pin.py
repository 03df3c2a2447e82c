"""The manager's PIN: 4-8 digits, kept only as a password hash.

The hash is werkzeug's (scrypt with a random salt), in ``data_dir/manager_pin``
(mode 0600). The PIN itself is never written anywhere.
"""
from werkzeug.security import check_password_hash, generate_password_hash

from sync.common.files import replace_file

from .errors import ValidationError

PIN_FILE = "manager_pin"
PIN_LENGTHS = range(4, 9)


def pin_problem(pin):
    """Why *pin* cannot be a PIN, or None."""
    if not isinstance(pin, str) or not (pin.isascii() and pin.isdigit()) or len(pin) not in PIN_LENGTHS:
        return "the PIN must be 4 to 8 digits"
    return None


def set_pin(data_dir, pin):
    """Keep the hash of *pin* as the manager PIN; raise ValidationError for a bad one."""
    problem = pin_problem(pin)
    if problem:
        raise ValidationError(problem)
    replace_file(data_dir / PIN_FILE, generate_password_hash(pin) + "\n")


def pin_hash(data_dir):
    """The stored hash, or None when no PIN is set."""
    try:
        return (data_dir / PIN_FILE).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def pin_is_set(data_dir):
    return pin_hash(data_dir) is not None


def check_pin(data_dir, pin):
    """True when *pin* is the manager PIN (False when none is set or it is malformed)."""
    stored = pin_hash(data_dir)
    if stored is None or not isinstance(pin, str) or pin_problem(pin):
        return False
    return check_password_hash(stored, pin)
