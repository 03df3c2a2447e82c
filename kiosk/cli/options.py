"""Options several ``hymy`` commands share."""
import click

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="TOML config file (default: $HYMY_CONFIG, else built-in defaults).",
)
host_option = click.option("--host", help="Address to listen on (config key host).")
port_option = click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (config key port).")
