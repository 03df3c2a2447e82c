"""One root for every error Hymy raises on purpose.

Each subclass also inherits the builtin it resembles, so callers that only know
Python's exceptions still catch them sensibly. A user sees ``str(error)`` as one
line; the log keeps the detail. The kiosk's own errors (kiosk/errors.py) and
central's derive from :class:`HymyError`.
"""


class HymyError(Exception):
    """Root of every error Hymy raises on purpose."""


class ConfigError(HymyError, ValueError):
    """A config file or value is unusable; the message names the key."""
