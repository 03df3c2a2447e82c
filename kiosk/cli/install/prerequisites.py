"""What ``hymy install`` needs before its first step, all named in one message.

A system tree under ``--root`` needs its user database (``useradd --root`` and
``groupadd --root`` work on ``etc/passwd``, ``group``, ``shadow`` and
``gshadow``); a kiosk needs the desktop user whose session shows the screen,
that user's home (the screen's units are enabled by links there) and a Chromium
for the screen to run. Looking for all of them before anything changes, and
naming every one that is missing, saves an installer one run per missing piece.
"""
from dataclasses import dataclass

from kiosk.cli.install.plan import BROWSERS, find_browser
from kiosk.cli.install.system import Account, System
from sync.common.cli_errors import CommandError

#: The files of a system's user database, under etc/.
USER_DATABASE = ("passwd", "group", "shadow", "gshadow")


@dataclass(frozen=True)
class Missing:
    """One prerequisite that is not there: what it is, and what to do (exit 2: fix the command line)."""

    what: str
    exit_code: int = 1


def missing_prerequisites(
    system: System, role: str, desktop_user: str | None = None
) -> tuple[Account | None, list[Missing]]:
    """``(the desktop Account or None, [Missing …])`` for installing *role* on *system*."""
    missing = []
    absent = [f"etc/{name}" for name in USER_DATABASE if not system.path(f"/etc/{name}").is_file()]
    if absent and not system.live:
        missing.append(Missing(f"the user database: no {', '.join(absent)} under --root {system.root} (useradd "
                               "--root and groupadd --root work on them: copy them from the system the tree is "
                               "for);", exit_code=2))
    desktop = None
    if role == "kiosk":
        # Users are looked up in etc/passwd: without it there is no saying whether the desktop user exists.
        desktop, problem = _desktop(system, desktop_user, can_look=system.live or "etc/passwd" not in absent)
        missing += [problem] if problem else []
        if find_browser(system) is None:
            where = "" if system.live else f" under --root {system.root}"
            missing.append(Missing(f"a browser: no Chromium ({' or '.join(BROWSERS)}){where} (install it first: "
                                   "sudo apt install chromium, or chromium-browser on older Raspberry Pi OS);"))
    return desktop, missing


def _desktop(system, name, can_look):
    """The desktop account, or the Missing that says why there is none (nothing to say without a user database)."""
    if not can_look:
        return None, None
    account = system.account(name) if name else system.account(uid=1000)
    if account is None:
        return None, Missing(f"the desktop user: --desktop-user {name}: no such user on this system;" if name else
                             "the desktop user: no user with UID 1000 to show the screen (name the user who logs "
                             "in to the desktop with --desktop-user NAME);", exit_code=2)
    if not system.path(account.home).is_dir():
        return None, Missing(f"the desktop user's home: {account.home} of {account.name} does not exist (the "
                             "screen's units are enabled there);", exit_code=2)
    return account, None


def check_prerequisites(system: System, role: str, desktop_user: str | None = None) -> Account | None:
    """The desktop Account (None for central), or one line naming every missing prerequisite."""
    desktop, missing = missing_prerequisites(system, role, desktop_user)
    if missing:
        listed = missing[0].what if len(missing) == 1 else " ".join(
            f"({number}) {item.what}" for number, item in enumerate(missing, start=1))
        listed = listed.removesuffix(";")
        raise CommandError(f"missing for hymy install: {listed}", exit_code=max(item.exit_code for item in missing))
    return desktop
