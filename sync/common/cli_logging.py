"""Logging for the long-running commands (kiosk, sync --loop, central serve and worker).

A ``log_file`` that cannot be written is a config mistake: one line and exit 2
before the command starts, not a traceback from the logging module.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sync.common import logs
from sync.common.cli_errors import CommandError
from sync.wire.errors import ConfigError


class LoggingSettings(Protocol):
    """The two config keys every part's logging reads (the kiosk's config and central's have both)."""

    @property
    def log_level(self) -> str: ...

    @property
    def log_file(self) -> str | None: ...


def configure_logging(config: LoggingSettings) -> None:
    """logfmt lines to stderr (and ``log_file`` if set), at the config's ``log_level``."""
    with _one_config_line():
        logs.configure_logging(config.log_level, config.log_file)  # checks log_file first


def check_log_file(config: LoggingSettings) -> None:
    """Fail with one line when the config's ``log_file`` is set and unusable (before gunicorn starts)."""
    if config.log_file:
        with _one_config_line():
            logs.check_log_file(config.log_file)


@contextmanager
def _one_config_line() -> Iterator[None]:
    try:
        yield
    except ConfigError as error:
        raise CommandError(f"config: {error}", exit_code=2) from None
