"""``hymy set-pin``: the store manager's PIN for the manager screen (``/manager``).

The PIN is asked twice, hidden, in a terminal; from a pipe or a file it is
read as two lines, so an installer can script it. Only a password hash is
written (kiosk/manager/pin.py); a running kiosk uses the new PIN at once.
"""
import sys
from typing import IO

import click

from kiosk.cli.kiosk_commands import load_kiosk_config, writable_data_dir
from kiosk.cli.options import config_option
from kiosk.errors import ValidationError
from sync.common.cli_errors import CommandError

#: How to open the manager screen from the customer screen (docs/manager.md).
WAY_IN = "a three-second press in the top-left corner of the customer screen opens it"


def _read_twice(stream: IO[str], interactive: bool) -> tuple[str, str]:
    """The PIN and its repetition: hidden prompts in a terminal, else two lines of *stream*."""
    if interactive:
        first = click.prompt("New manager PIN (4-8 digits)", hide_input=True, default="", show_default=False)
        second = click.prompt("The same PIN again", hide_input=True, default="", show_default=False)
        return first, second
    lines = stream.read(1024).splitlines()
    if len(lines) < 2:
        raise CommandError("give the PIN twice, on two lines of standard input", exit_code=2)
    return lines[0].strip(), lines[1].strip()


@click.command("set-pin")
@config_option
def set_pin_command(config_path: str | None) -> None:
    """Set the store manager's PIN (4-8 digits) for the manager screen."""
    from kiosk.manager.pin import set_pin

    config = load_kiosk_config(config_path)
    first, second = _read_twice(sys.stdin, sys.stdin is not None and sys.stdin.isatty())
    if first != second:
        raise CommandError("the two PINs differ; nothing was changed", exit_code=2)
    writable_data_dir(config)
    try:
        set_pin(config.data_dir, first)
    except ValidationError as error:
        raise CommandError(f"{error}; nothing was changed", exit_code=2) from None
    except OSError as error:
        raise CommandError(f"could not write the PIN in data_dir {config.data_dir}: {error.strerror or error}; "
                           "set data_dir in the config (or HYMY_DATA_DIR)") from None
    click.echo(f"manager PIN set; open /manager on the kiosk ({WAY_IN})")
