"""A ``hymy`` command run by root on an installed kiosk (or central) runs as the service user.

Files under the data dir always belong to the service user: a ``sync.lock``,
a PIN or a database root left there would be one the service cannot reopen.
So before any verb but ``install`` runs, when the effective user is root and
the configured data dir exists and belongs to a service account (a system
user, as ``hymy install`` makes them), the process becomes that user:
supplementary groups, group, user, ``HOME``. For any other owner (a person's
account, ``nobody``, an id with no user) root refuses with one line naming
``sudo -u``: turning into a person's account behind their back is not ours
to do.

The group's own callback runs before click parses the verb's options, so
:class:`Group` keeps the arguments it was given, and the verb's ``--config``
is read from them the way the verb will read it.
"""
import os
import pwd
from pathlib import Path
from typing import Any

import click

from kiosk.config import load_config
from sync.central.config import load_central_config
from sync.common.cli_errors import CommandError
from sync.wire.errors import ConfigError

#: The verbs that manage users and owners themselves.
EXEMPT = ("install",)
#: Debian's UID_MIN (/etc/login.defs): useradd --system allocates service accounts below it.
FIRST_PERSON_UID = 1000
ARGUMENTS = "hymy.arguments"


class Group(click.Group):
    """The ``hymy`` group; keeps its arguments for :func:`run_as_data_dir_owner`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[ARGUMENTS] = list(args)
        return super().parse_args(ctx, args)


def run_as_data_dir_owner(context: click.Context) -> None:
    """Become the service user owning the data dir of the verb about to run, when root; or refuse."""
    if os.geteuid() != 0:
        return
    verb = _verb(context, context.meta.get(ARGUMENTS, []))
    if verb is None:
        return
    names, config_path = verb
    try:
        if names[0] == "central":
            data_dir = load_central_config(config_path).data_dir
        else:
            data_dir = load_config(config_path).data_dir
    except ConfigError:
        return  # the verb itself says what is wrong with the config
    try:
        owner = data_dir.stat().st_uid
    except OSError:
        return
    if owner != 0:
        become(owner, data_dir, f"hymy {' '.join(names)}")


def _verb(context: click.Context, arguments: list[str]) -> tuple[list[str], Any] | None:
    """``(names, --config)`` of the verb *arguments* name, or None for help, install or no verb."""
    if "--help" in arguments:
        return None
    command: click.Command | None = context.command
    names: list[str] = []
    rest = list(arguments)
    while isinstance(command, click.Group):
        if not rest:
            return None
        names.append(rest[0])
        command = command.get_command(context, rest.pop(0))
        if command is None or names[0] in EXEMPT:
            return None
    if command is None:
        return None
    try:
        # Without callbacks or prompts: only to see the --config the verb will be given.
        parsed = command.make_context(names[-1], rest, parent=context, resilient_parsing=True)
    except click.ClickException:
        return None
    return names, parsed.params.get("config_path")


def become(uid: int, data_dir: Path, verb: str) -> None:
    """Switch this process to the service account *uid*, or refuse in one line."""
    try:
        account = pwd.getpwuid(uid)
    except KeyError:
        raise CommandError(f"data_dir {data_dir} belongs to uid {uid}, which has no user on this machine: "
                           f"give it to the service user (chown) or run {verb} as its owner") from None
    if uid >= FIRST_PERSON_UID:
        raise CommandError(f"data_dir {data_dir} belongs to user {account.pw_name}: run {verb} as that user "
                           f"(sudo -u {account.pw_name} …), so that what it writes stays theirs")
    try:
        os.initgroups(account.pw_name, account.pw_gid)
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
    except OSError as error:
        raise CommandError(f"data_dir {data_dir} belongs to {account.pw_name}, and this process cannot become "
                           f"that user ({error.strerror}): run {verb} as {account.pw_name}") from None
    os.environ.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
