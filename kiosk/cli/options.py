"""Options several ``hymy`` commands share."""
import os
from pathlib import Path

import click

#: The config ``hymy install --kiosk`` writes (install_plan.CONFIG_DIR): on an installed kiosk
#: ``sudo hymy backup …`` must act on that kiosk, not on a fresh one in root's home.
INSTALLED_CONFIG = Path("/etc/hymy/kiosk.toml")


def _config_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None and not os.environ.get("HYMY_CONFIG") and INSTALLED_CONFIG.is_file():
        return str(INSTALLED_CONFIG)
    return value


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), callback=_config_path,
    help=f"TOML config file (default: $HYMY_CONFIG, else {INSTALLED_CONFIG} where it exists, else built-in "
         "defaults).",
)
host_option = click.option("--host", help="Address to listen on (config key host).")
port_option = click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (config key port).")
