"""The kiosk's own errors, under the one root in sync/wire/errors.py.

Each also inherits the builtin it resembles. A user sees ``str(error)`` as one
line; the log keeps the detail.
"""
from sync.wire.errors import HymyError


class ValidationError(HymyError, ValueError):
    """Input from a customer, a screen or a client is malformed."""


class StaleQuestionError(HymyError):
    """A screen answered a question version that is no longer shown."""


class NotFoundError(HymyError, LookupError):
    """The rating (or other row) named does not exist."""


class ConflictError(HymyError):
    """The write would contradict a row that already exists."""


class StorageError(HymyError, OSError):
    """The local database could not commit (disk full, locked too long, I/O)."""
