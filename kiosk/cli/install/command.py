"""``hymy install --kiosk | --central``: this machine becomes a kiosk (or central) in one command.

Every step (:mod:`kiosk.cli.install.plan`) looks before it changes anything
and prints one line, ``ok`` or ``changed``: a second run changes nothing, and
upgrading is pulling the source and running the same command again (a
changed hymy restarts its running services). ``--dry-run`` prints the same
lines, ``would change`` for what a run would do, and does nothing.
``--root DIR`` installs into a directory tree instead of this machine (how the
tests check an install file by file); pip does not run there.
"""
import os
from collections.abc import Sequence
from pathlib import Path

import click

from kiosk.cli.install.plan import central_steps, kiosk_steps
from kiosk.cli.install.prerequisites import check_prerequisites
from kiosk.cli.install.source import checked_source, installed_from
from kiosk.cli.install.steps import Step
from kiosk.cli.install.system import System
from sync.common.cli_errors import CommandError

NEXT = {
    "kiosk": "next: let {user} log in to the desktop automatically (sudo raspi-config: System Options, "
             "Boot / Auto Login, Desktop Autologin), then reboot (sudo reboot)",
    "central": "next: for PostgreSQL set DATABASE_URL in /etc/hymy/central.env (SQLite otherwise), then "
               "sudo systemctl start hymy-central hymy-central-worker hymy-central-prune.timer",
}


@click.command("install")
@click.option("--kiosk", "role", flag_value="kiosk", help="A kiosk: the kiosk service, the screen's browser.")
@click.option("--central", "role", flag_value="central", help="Central: server, worker, daily prune.")
@click.option("--source", type=click.Path(exists=True, path_type=Path),
              help="A hymy source checkout or wheel (default: the one this hymy was installed from).")
@click.option("--desktop-user", metavar="NAME",
              help="The user whose desktop session shows the screen (default: the user with UID 1000).")
@click.option("--root", "root", type=click.Path(exists=True, file_okay=False, path_type=Path), default="/",
              help="Install into this directory tree instead of this machine (pip does not run there).")
@click.option("--dry-run", is_flag=True, help="Print every step and change nothing.")
def install_command(role: str | None, source: Path | None, desktop_user: str | None, root: Path, dry_run: bool) -> None:
    """Install (or upgrade) this machine as a kiosk or as central; run as root."""
    if role is None:
        raise CommandError("say what to install: --kiosk or --central", exit_code=2)
    if desktop_user and role != "kiosk":
        raise CommandError("--desktop-user is for --kiosk: central has no screen", exit_code=2)
    if os.geteuid() != 0 and not dry_run:
        raise CommandError("hymy install must run as root: sudo /path/to/hymy install …")
    system = System(root)
    desktop = check_prerequisites(system, role, desktop_user)  # every missing one named at once
    source = checked_source(source or installed_from())
    steps = kiosk_steps(system, source, desktop) if desktop else central_steps(system, source)
    if not dry_run:
        os.umask(0o022)  # what the steps create is world-readable unless a step says otherwise
    changed = run_steps(steps, system, dry_run)
    if dry_run:
        click.echo(f"dry run: {changed} of {len(steps)} steps would change this system; nothing was changed")
    elif changed:
        click.echo(f"hymy install: {changed} of {len(steps)} steps changed this system")
        click.echo(NEXT[role].format(user=desktop and desktop.name))
    else:
        click.echo(f"hymy install: all {len(steps)} steps ok, nothing to change")


def run_steps(steps: Sequence[Step], system: System, dry_run: bool) -> int:
    """Take each step that is needed (or, dry, say it would be); print one line per step; count the changes."""
    changed = 0
    for step in steps:
        note: str | None = None
        if not step.needed(system):
            status = "ok"
        elif (note := step.skipped(system)) is not None:
            status = "skipped"
        elif dry_run:
            status = "would change"
            step.changed = True
        else:
            try:
                note = step.apply(system)
            except OSError as error:
                raise CommandError(f"{step.title}: {error.strerror or error}; the steps before it are done: "
                                   "fix that and run hymy install again") from None
            status = "changed"
            step.changed = True
        changed += step.changed
        click.echo(f"{status:<12} {step.title}" + (f" ({note})" if note else ""))
    return changed
