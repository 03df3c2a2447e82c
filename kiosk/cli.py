"""The ``hymy`` command: one click group, one verb per job."""
import sys

import click

from sync.common.version import software_version
from sync.errors import ConfigError, HymyError


class CommandError(click.ClickException):
    """One clear line on stderr; exit 2 for bad config, 1 for other failures."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(f"hymy: {self.format_message()}", err=True)


def build_app(**kwargs):
    """create_app with failures turned into one line and an exit code."""
    from .app import create_app

    try:
        return create_app(**kwargs)
    except ConfigError as error:
        raise CommandError(f"config: {error}", exit_code=2) from None
    except HymyError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"{error.filename or 'data dir'}: {error.strerror}") from None


def _overrides(**options):
    return {key: value for key, value in options.items() if value is not None}


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="TOML config file (default: $HYMY_CONFIG, else built-in defaults).",
)
host_option = click.option("--host", help="Address to listen on (config key host).")
port_option = click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (config key port).")


@click.group()
@click.version_option(software_version(), prog_name="hymy")
def main():
    """Hymy survey kiosk and edge feedback collector."""


@main.command("kiosk")
@config_option
@host_option
@port_option
def kiosk_command(config_path, host, port):
    """Serve the touchscreen and listen to the buttons."""
    from .serve import configure_logging, serve

    app = build_app(config_path=config_path, config=_overrides(host=host, port=port))
    config = app.config["HYMY"]
    configure_logging(config.log_level)
    serve(app, config.host, config.port)


@main.command("demo")
@host_option
@port_option
@click.option("--days", type=click.IntRange(0, 60), default=7, show_default=True,
              help="Days of realistic ratings to seed.")
@click.option("--central-port", type=click.IntRange(0, 65535), default=8100, show_default=True,
              help="Port of the demo's central server (0: any free port).")
def demo_command(host, port, days, central_port):
    """Run a kiosk (simulated buttons, a seeded week) and a central server it syncs to."""
    from .demo import run_demo

    run_demo(host=host, port=port, days=days, central_port=central_port)


def _register_sync_commands():
    """The commands past the kiosk's disk live in the sync package."""
    from sync.central.cli import central
    from sync.cli import enroll_command, sync_command

    for command in (central, enroll_command, sync_command):
        main.add_command(command)


_register_sync_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
