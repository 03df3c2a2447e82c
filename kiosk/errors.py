"""One root for every error Hymy raises on purpose.

Each subclass also inherits the builtin it resembles, so callers that only know
Python's exceptions still catch them sensibly. A user sees ``str(error)`` as one
line; the log keeps the detail.
"""


class HymyError(Exception):
    """Root of every error Hymy raises on purpose."""


class ConfigError(HymyError, ValueError):
    """A config file or value is unusable; the message names the key."""


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
