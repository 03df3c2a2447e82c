"""The key that lets a screen answer "what mattered most?" for a rating it was given.

A follow-up belongs to the customer who just rated, on the screen that showed
them the question. The rating's id is no secret (the screen stream carries it),
so the follow-up also needs a key only that screen was handed: the 201 answer
to its tap, or, for a press on a physical button, the ``rating`` event on the
stream. The key is an HMAC-SHA256 of the rating id under a secret kept in
``data_dir/followup_secret`` (0600, made on the kiosk's first start). Nothing
is stored on the rating and nothing goes to central: the key is only ever
needed within seconds of the rating, on this kiosk.

The secret is not in a backup: a restored kiosk keeps the secret of the data
dir it is restored into, or makes a new one at its first start. Only a
follow-up asked before the restore and answered after it would need the old
one, and the kiosk is stopped while it is restored.
"""
import hashlib
import hmac
import logging
import re
import secrets
from pathlib import Path

from sync.common.files import create_file_once, make_private_dir, narrow_if_exists, replace_file

log = logging.getLogger(__name__)

SECRET_FILE = "followup_secret"
_SECRET = re.compile(r"[0-9a-f]{64}")


def _new_secret() -> str:
    return secrets.token_hex(32) + "\n"


class FollowupKeys:
    """Makes and checks follow-up keys under one secret.

    >>> keys = FollowupKeys(bytes(32))
    >>> keys.matches("a-rating-id", keys.key_for("a-rating-id"))
    True
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def load(cls, data_dir: Path) -> "FollowupKeys":
        """The keys of the kiosk in *data_dir*; its secret is made on the first start.

        A secret file that holds no secret (edited by hand, say) is replaced and
        the replacement logged: only follow-ups asked before it would need the old one.
        """
        path = data_dir / SECRET_FILE
        if path.exists():
            narrow_if_exists(path)
        else:
            make_private_dir(data_dir)
            create_file_once(path, _new_secret())
        text = path.read_text(encoding="ascii", errors="replace").strip()
        if not _SECRET.fullmatch(text):
            log.warning("%s did not hold a follow-up secret; made a new one", path)
            replace_file(path, _new_secret())
            text = path.read_text(encoding="ascii").strip()
        return cls(bytes.fromhex(text))

    def key_for(self, rating_id: str) -> str:
        """The follow-up key of *rating_id* (64 hex digits)."""
        return hmac.new(self._secret, rating_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def matches(self, rating_id: str, key: object) -> bool:
        """True when *key* is *rating_id*'s key; False for anything else, whatever its type."""
        if not isinstance(key, str) or not key.isascii():
            return False
        return hmac.compare_digest(key.encode("ascii"), self.key_for(rating_id).encode("ascii"))
