"""``hymy kiosk`` and ``hymy demo``: run the kiosk (and, for the demo, a central beside it)."""
import click

from sync.errors import ConfigError, HymyError

from .errors import CommandError
from .options import config_option, host_option, port_option


def build_app(**kwargs):
    """create_app with failures turned into one line and an exit code."""
    from kiosk.app import create_app

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


@click.command("kiosk")
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


@click.command("demo")
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
