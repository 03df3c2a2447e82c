"""How a command fails: one clear line on stderr, exit 2 for bad config, 1 for anything else.

The helpers below turn the failures a person causes while setting up (a
missing extra, a busy port, a data dir this user may not write) into that
line, naming what to change.
"""
import errno
import getpass
import socket
from typing import IO, Any

import click


class CommandError(click.ClickException):
    """One clear line on stderr; exit 2 for bad config, 1 for other failures."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; each error sets its own

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"hymy: {self.format_message()}", err=True)


def central_extra() -> str:
    """How to add the ``central`` extra to this hymy, as it was installed (sync/common/origin.py)."""
    from sync.common.origin import extra_install

    return extra_install("central")


def missing_package(error: ModuleNotFoundError, needed_for: str) -> CommandError:
    """A ModuleNotFoundError for a package of the ``central`` extra, as one line."""
    return CommandError(f"{needed_for} needs the Python package {(error.name or '').partition('.')[0]!r}, "
                        f"which is not installed: {central_extra()}")


def address_error(host: str, port: int, error: OSError, option: str = "--port") -> CommandError:
    """Why the server cannot listen on *host*:*port*, and which option changes it.

    *option* is the one that sets this port: ``--port`` (config key ``port``) for a kiosk and
    ``central serve``, ``--central-port`` for the demo's central.
    """
    where = f"{host}:{port}"
    setting = f"{option} (config key port)" if option == "--port" else option
    name = "port" if option == "--port" else option.removeprefix("--").replace("-", " ")
    if isinstance(error, socket.gaierror):
        return CommandError(f"host {host}: {error.strerror}; set --host (config key host)", exit_code=2)
    if error.errno == errno.EADDRINUSE:
        return CommandError(f"{name} {port}: another program already listens on {where}; "
                            f"choose a free one with {setting}")
    if error.errno == errno.EACCES:
        return CommandError(f"{name} {port}: this user may not listen on {where} (ports below 1024 need "
                            f"privileges); choose one above 1024 with {setting}")
    if error.errno == errno.EADDRNOTAVAIL:
        return CommandError(f"host {host}: not an address of this machine; set --host (config key host)", exit_code=2)
    return CommandError(f"cannot listen on {where}: {error.strerror or error}")


def data_dir_error(data_dir: object, error: BaseException, variable: str = "HYMY_DATA_DIR") -> CommandError:
    """A data dir this process cannot create, read or write, as one line naming ``data_dir``."""
    reasons = {
        errno.EROFS: "the file system is read-only",
        errno.EACCES: f"permission denied for user {_user()}",
        errno.EPERM: f"permission denied for user {_user()}",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.ENOSPC: "the disk is full",
    }
    code = getattr(error, "errno", None)
    reason = reasons.get(code) if isinstance(code, int) else None
    reason = reason or getattr(error, "strerror", None) or str(error)
    return CommandError(f"data_dir {data_dir}: {reason}; set data_dir in the config (or {variable}) "
                        "to a directory this user may write")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "of this process"


def check_address(host: str, port: int, option: str = "--port") -> None:
    """Bind *host*:*port* once and let go, as the server will bind it, or
    raise :func:`address_error`'s one line.

    gunicorn meets a busy port by retrying for five seconds and logging an
    error each time, and waitress leaves its socket open when the bind fails;
    trying first turns both into one line before the server starts.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as both servers do
            probe.bind(address)
    except OSError as error:
        raise address_error(host, port, error, option) from None
