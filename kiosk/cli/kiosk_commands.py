"""``hymy kiosk`` and ``hymy demo``: run the kiosk (and, for the demo, a central beside it)."""
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
import peewee

from kiosk.cli import options
from kiosk.cli.options import config_option, host_option, port_option
from sync.common.cli_errors import CommandError, data_dir_error
from sync.common.files import make_writable_dir
from sync.wire.errors import ConfigError, HymyError

if TYPE_CHECKING:
    from flask import Flask

    from kiosk.config import KioskConfig


def load_kiosk_config(config_path: str | None = None, overrides: Mapping[str, Any] | None = None) -> "KioskConfig":
    """The kiosk's config, a config error as one line (exit 2)."""
    from kiosk.config import load_config

    try:
        return load_config(config_path, overrides=overrides)
    except ConfigError as error:
        hint = ""
        if config_path == str(options.INSTALLED_CONFIG) and not os.access(config_path, os.R_OK):
            hint = "; it is the installed kiosk's: run the command with sudo, or name another file with --config"
        raise CommandError(f"config: {error}{hint}", exit_code=2) from None


def writable_data_dir(config: "KioskConfig") -> None:
    """Make sure the kiosk's data dir exists and this user may write in it, or fail with one line."""
    try:
        make_writable_dir(config.data_dir)
    except OSError as error:
        raise data_dir_error(config.data_dir, error) from None


def ready_config(config_path: str | None = None, overrides: Mapping[str, Any] | None = None) -> "KioskConfig":
    """The kiosk's config with its data dir made and proven writable; each failure one line."""
    config = load_kiosk_config(config_path, overrides)
    writable_data_dir(config)
    return config


def build_app(config: "KioskConfig", **kwargs: Any) -> "Flask":
    """create_app on a :func:`ready_config`, with failures turned into one line and an exit code."""
    from kiosk.app import create_app

    with _one_line_failures(config):
        return create_app(config, **kwargs)


@contextmanager
def _one_line_failures(config: "KioskConfig") -> Iterator[None]:
    """What opening the kiosk can meet, each as one line naming what to change."""
    try:
        yield
    except ConfigError as error:
        raise CommandError(f"config: {error}", exit_code=2) from None
    except HymyError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise data_dir_error(config.data_dir, error) from None
    except peewee.DatabaseError as error:
        raise CommandError(f"database {config.database_path}: {error}; check the owner and mode of the files "
                           f"in data_dir {config.data_dir}") from None


def _overrides(**options: Any) -> dict[str, Any]:
    return {key: value for key, value in options.items() if value is not None}


@click.command("kiosk")
@config_option
@host_option
@port_option
def kiosk_command(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the touchscreen and listen to the buttons."""
    from kiosk.cli.serve import kiosk_running, serve
    from kiosk.storage.db import refuse_newer
    from sync.common.cli_logging import configure_logging

    config = ready_config(config_path, _overrides(host=host, port=port))
    configure_logging(config)  # before the database opens: an upgrade's backup and migration are logged
    with _one_line_failures(config):  # a newer hymy's data dir is left as it is, not even a lock file added
        refuse_newer(config.database_path)
    # The lock first: a second kiosk on this data dir stops before it migrates the database or claims the pins.
    with kiosk_running(config.data_dir) as running:
        app = build_app(config)
        serve(app, config.host, config.port, running)


@click.command("demo")
@host_option
@port_option
@click.option("--days", type=click.IntRange(0, 60), default=7, show_default=True,
              help="Days of realistic ratings to seed.")
@click.option("--central-port", type=click.IntRange(0, 65535), default=8100, show_default=True,
              help="Port of the demo's central server (0: any free port).")
def demo_command(host: str | None, port: int | None, days: int, central_port: int) -> None:
    """Run a kiosk (simulated buttons, a seeded week) and a central server it syncs to."""
    from kiosk.cli.demo import run_demo

    run_demo(host=host, port=port, days=days, central_port=central_port)
