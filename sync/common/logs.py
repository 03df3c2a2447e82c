"""One line per event, in key=value form (logfmt), to stderr; a rotating file only when asked.

Under systemd stderr is the journal, which keeps its own time and rotation, so
a kiosk writes no log file of its own unless ``log_file`` is set. Each line is

    time=2026-12-01T20:37:00.123Z level=info logger=kiosk.storage.recorder msg="stored 4"

with values quoted when they hold spaces, quotes or ``=``, and newlines
escaped, so an exception's traceback stays one line a fleet script can parse
(``exc="Traceback ...\\n..."``). The standard library's logging does the
rest; there is no logfmt package worth a dependency for forty lines.
"""
import io
import logging
import logging.config
import logging.handlers
import os
import time
from collections.abc import Mapping
from typing import IO, Any, cast

from sync.common.files import PRIVATE_FILE, narrow_if_exists
from sync.wire.errors import ConfigError

#: A log file rotates at this size, keeping this many old ones.
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5


def logfmt_value(value: object) -> str:
    """*value* as a logfmt value: bare when it can be, else double-quoted with escapes."""
    text = str(value)
    if text and not any(c in text for c in ' "=\\') and text.isprintable():
        return text
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


class LogfmtFormatter(logging.Formatter):
    """A record as ``time=… level=… logger=… msg=…`` plus ``exc=…`` and any ``extra`` fields."""

    _standard = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields: list[tuple[str, object]] = [
            ("time", f"{moment}.{int(record.msecs):03d}Z"), ("level", record.levelname.lower()),
            ("logger", record.name), ("msg", record.getMessage()),
        ]
        fields += [(key, value) for key, value in record.__dict__.items()
                   if key not in self._standard and not key.startswith("_")]
        if record.exc_info:
            fields.append(("exc", self.formatException(record.exc_info)))
        return " ".join(f"{key}={logfmt_value(value)}" for key, value in fields)


def _open_private(path: str | os.PathLike[str]) -> int:
    """*path* opened for appending, created 0600 whatever the umask; narrowed to 0600 if an older
    version left it readable by others. Returns the file descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        narrow_if_exists(path)
    except OSError:
        os.close(fd)
        raise
    return fd


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that is its owner's alone: the file and each one a rollover starts are
    created 0600, whatever the umask (a log holds request paths with their query strings, names and
    addresses). Rotated files keep that mode as they are renamed; ones an older version left
    readable are narrowed when the handler starts."""

    def __init__(self, filename: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(filename, *args, **kwargs)
        for number in range(1, self.backupCount + 1):
            narrow_if_exists(f"{self.baseFilename}.{number}")

    def _open(self) -> io.TextIOWrapper:
        # The handler's mode is text ("a"), for which fdopen makes a TextIOWrapper.
        stream = os.fdopen(_open_private(self.baseFilename), self.mode, encoding=self.encoding, errors=self.errors)
        return cast(io.TextIOWrapper, stream)


def check_log_file(log_file: str | os.PathLike[str]) -> None:
    """Open *log_file* for appending once (creating it 0600): an unusable path is one ConfigError line
    before anything runs."""
    try:
        os.close(_open_private(log_file))
    except OSError as error:
        raise ConfigError(f"log_file {log_file}: {error.strerror or error}; choose a file this user may "
                          "write, or leave log_file unset (the journal keeps stderr)") from None


def logging_dict(
    level: str,
    log_file: str | os.PathLike[str] | None = None,
    stream: IO[str] | None = None,
    loggers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The :func:`logging.config.dictConfig` of logfmt to *stream* (stderr) and a rotating *log_file*.

    *loggers* names more loggers sent to the same handlers without propagating,
    with their levels (gunicorn's own, under central).
    """
    handlers: dict[str, dict[str, Any]] = {"stderr": {"class": "logging.StreamHandler", "formatter": "logfmt",
                           "stream": stream or "ext://sys.stderr"}}
    if log_file:
        handlers["file"] = {"class": f"{__name__}.PrivateRotatingFileHandler", "formatter": "logfmt",
                            "filename": str(log_file), "maxBytes": LOG_FILE_BYTES,
                            "backupCount": LOG_FILE_BACKUPS, "encoding": "utf-8"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"logfmt": {"()": LogfmtFormatter}},
        "handlers": handlers,
        "root": {"level": level.upper(), "handlers": list(handlers)},
        "loggers": {name: {"level": logger_level.upper(), "handlers": list(handlers), "propagate": False}
                    for name, logger_level in (loggers or {}).items()},
    }


def configure_logging(
    level: str, log_file: str | os.PathLike[str] | None = None, stream: IO[str] | None = None
) -> None:
    """Log *level* and above as logfmt to stderr, and to a rotating *log_file* when one is given."""
    if log_file:
        check_log_file(log_file)
    logging.config.dictConfig(logging_dict(level, log_file, stream))
