"""The ``hymy`` command: one click group, one verb per job.

This package is the commands part: process entry points and wiring. It may
import every other part; nothing imports it. Each module holds one group of
verbs; failures are one line (:mod:`sync.common.cli_errors`).
"""
import click

from kiosk.cli.backup_commands import backup_command, restore_command
from kiosk.cli.display import display_command, wait_ready_command
from kiosk.cli.doctor import doctor_command
from kiosk.cli.environment import warn_about_unknown_variables
from kiosk.cli.install.command import install_command
from kiosk.cli.kiosk_commands import demo_command, kiosk_command
from kiosk.cli.pin_commands import set_pin_command
from kiosk.cli.privileges import Group, run_as_data_dir_owner
from kiosk.cli.sync_commands import enroll_command, sync_command
from sync.central.cli.commands import central
from sync.common.version import software_version


@click.group(cls=Group)
@click.version_option(software_version(), prog_name="hymy")
@click.pass_context
def main(context: click.Context) -> None:
    """Hymy survey kiosk and edge feedback collector."""
    warn_about_unknown_variables(central=context.invoked_subcommand == "central")
    run_as_data_dir_owner(context)


for command in (kiosk_command, demo_command, set_pin_command, enroll_command, sync_command, backup_command,
                restore_command, doctor_command, install_command, wait_ready_command, display_command, central):
    main.add_command(command)
