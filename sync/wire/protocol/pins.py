"""PIN and password-hash rules: a manager's PIN set on the kiosk, a site's PIN set by head office,
and the hash in which a site PIN travels to the site's kiosks."""
import re
from typing import Any

from sync.wire.protocol.checks import Check, RowError, Schema

#: A manager's PIN set on the kiosk (hymy set-pin): 4 to 8 digits. Its hash stays on the device.
PIN_LENGTHS = range(4, 9)
#: A site's PIN set by head office: 6 to 8 digits. Its hash goes to every kiosk of the site with
#: their config, so whoever holds a kiosk token can try PINs against it offline, as fast as their
#: hardware allows; 6 digits make that search take days of computing rather than minutes
#: (docs/manager.md). A site PIN set before, of 4 or 5 digits, keeps working until it is changed.
SITE_PIN_LENGTHS = range(6, 9)


def pin_problem(pin: object, lengths: range = PIN_LENGTHS) -> str | None:
    """Why *pin* cannot be a manager's PIN (of *lengths* digits; a site's: :data:`SITE_PIN_LENGTHS`), or None."""
    if not isinstance(pin, str) or not (pin.isascii() and pin.isdigit()) or len(pin) not in lengths:
        return f"the PIN must be {lengths.start} to {lengths.stop - 1} digits"
    return None


#: A password hash as werkzeug writes it (``method$salt$hex``): a site manager's PIN travels
#: from central to the site's kiosks only as this, never as the PIN.
_PASSWORD_HASH = r"^(scrypt|pbkdf2)(:[a-z0-9]+)*\$[A-Za-z0-9./+=_-]{1,64}\$[0-9a-f]{32,256}$"


class PasswordHash(Check):
    """A salted password hash (werkzeug's ``scrypt:...$salt$hex`` or ``pbkdf2:...``), never a secret itself."""

    schema: Schema = {"type": "string", "maxLength": 255, "pattern": _PASSWORD_HASH}
    _shape = re.compile(_PASSWORD_HASH)

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > 255 or not self._shape.match(value):
            raise RowError("expected a password hash such as scrypt:32768:8:1$salt$hex")
        return value
