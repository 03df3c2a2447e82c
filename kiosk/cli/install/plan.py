"""What ``hymy install --kiosk`` and ``--central`` put where: the steps, in order, with their paths.

The paths are the ones the units in ``systemd/`` name, so the units need no
other edit than the browser's path. The kiosk's screen runs in the desktop
user's session: its units go to ``/etc/systemd/user`` (root's to change) and
are enabled for that user alone, by links in the user's own
``~/.config/systemd/user``, with an autostart entry that starts the session
target (see ``systemd/hymy-session.target`` for why).
"""
import os
from pathlib import Path

from kiosk.cli.install.files import CENTRAL_CONFIG, CENTRAL_ENVIRONMENT, KIOSK_CONFIG
from kiosk.cli.install.home import HomeDirectory, HomeFile, HomeSymlink
from kiosk.cli.install.steps import Directory, EnabledUnit, File, Group, Restarted, Step, User
from kiosk.cli.install.system import Account, System
from kiosk.cli.install.units import CENTRAL_UNITS, KIOSK_URL, SCREEN_UNITS, SESSION_ENTRY, unit_text
from kiosk.cli.install.venv import Venv
from sync.common.cli_errors import CommandError
from sync.wire.errors import ConfigError

VENV = "/opt/hymy"
HYMY = f"{VENV}/bin/hymy"
CONFIG_DIR = "/etc/hymy"
SYSTEM_UNITS = "/etc/systemd/system"
USER_UNITS = "/etc/systemd/user"
#: Debian names the package chromium; Raspberry Pi OS has called it chromium-browser.
BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: The user units the desktop session starts (hymy-session.target is started, not enabled).
SESSION_WANTS = ("hymy-browser.service", "hymy-display.service")


def kiosk_steps(system: System, source: Path, desktop: Account) -> list[Step]:
    """The kiosk, its service user in ``gpio``, and the screen in the session of *desktop* (an Account)."""
    browser = find_browser(system)
    if browser is None:  # install_prerequisites looked first: only a Chromium removed since gets here
        raise CommandError(f"no Chromium at {' or '.join(BROWSERS)}: sudo apt install chromium")
    kiosk_url = screen_url(system)
    venv = Venv(VENV, source, ("pi",))
    unit = File(f"{SYSTEM_UNITS}/hymy-kiosk.service", unit_text("hymy-kiosk.service", HYMY))
    return [
        Group("gpio"),
        User("hymy", "/var/lib/hymy", "Hymy kiosk", ("gpio",)),
        venv,
        Directory(CONFIG_DIR, "root", "root"),
        Directory("/var/lib/hymy", "hymy", "hymy", 0o750),
        File(f"{CONFIG_DIR}/kiosk.toml", KIOSK_CONFIG, "root", "hymy", 0o640, keep=True),
        Directory(SYSTEM_UNITS, "root", "root"),
        unit,
        EnabledUnit("hymy-kiosk.service"),
        *screen_steps(system, desktop, browser, kiosk_url),
        Restarted(("hymy-kiosk.service",), [venv, unit]),
    ]


def screen_steps(system: System, desktop: Account, browser: str, kiosk_url: str) -> list[Step]:
    """The browser and display user units (on *kiosk_url*), enabled for *desktop*, and its session's autostart."""
    group = system.group_name(desktop.gid) or str(desktop.gid)
    config = f"{desktop.home}/.config"
    user_units = f"{config}/systemd/user"
    wants = f"{user_units}/graphical-session.target.wants"
    steps: list[Step] = [Directory(USER_UNITS, "root", "root")]
    steps += [File(f"{USER_UNITS}/{name}", unit_text(name, HYMY, browser, kiosk_url)) for name in SCREEN_UNITS]
    # The user's own directories: created theirs, an existing one keeps its mode.
    # Each taken without following a link the user may have planted there (install_home.py).
    home = desktop.home
    steps += [HomeDirectory(path, desktop.name, group, None, home=home)
              for path in (config, f"{config}/systemd", user_units, wants, f"{config}/autostart")]
    steps += [HomeSymlink(f"{wants}/{name}", f"{USER_UNITS}/{name}", desktop.name, group, home=home)
              for name in SESSION_WANTS]
    steps.append(HomeFile(f"{config}/autostart/{SESSION_ENTRY}", unit_text(SESSION_ENTRY), desktop.name, group,
                          home=home))
    return steps


def central_steps(system: System, source: Path) -> list[Step]:
    """Central's server, worker and daily prune, with their service user."""
    venv = Venv(VENV, source, ("central",))
    units = [File(f"{SYSTEM_UNITS}/{name}", unit_text(name, HYMY)) for name in CENTRAL_UNITS]
    private = ("root", "hymy-central", 0o640)
    return [
        User("hymy-central", "/var/lib/hymy-central", "Hymy central"),
        venv,
        Directory(CONFIG_DIR, "root", "root"),
        Directory("/var/lib/hymy-central", "hymy-central", "hymy-central", 0o750),
        File(f"{CONFIG_DIR}/central.toml", CENTRAL_CONFIG, *private, keep=True),
        File(f"{CONFIG_DIR}/central.env", CENTRAL_ENVIRONMENT, *private, keep=True),
        Directory(SYSTEM_UNITS, "root", "root"),
        *units,
        *(EnabledUnit(name) for name in ("hymy-central.service", "hymy-central-worker.service",
                                         "hymy-central-prune.timer")),
        Restarted(("hymy-central.service", "hymy-central-worker.service"), [venv, *units]),
    ]


def screen_url(system: System) -> str:
    """The kiosk's address as the screen reaches it, from the config file the kiosk will read.

    A config that exists is kept, so a port chosen in it is where the browser goes; a fresh
    install writes the commented defaults (127.0.0.1:8000).
    """
    from kiosk.config import load_config
    from kiosk.storage.process_lock import loopback_url

    path = system.path(f"{CONFIG_DIR}/kiosk.toml")
    if not path.is_file():
        return KIOSK_URL
    if not os.access(path, os.R_OK):  # a dry run by a user who may not read it: show the default
        return KIOSK_URL
    try:
        config = load_config(path, environ={})
    except (ConfigError, OSError) as error:
        raise CommandError(f"{CONFIG_DIR}/kiosk.toml: {error}; fix it and run the install again", exit_code=2) \
            from None
    return loopback_url(config.host, config.port)


def find_browser(system: System) -> str | None:
    """The Chromium the screen runs, as a path on the installed system; None when there is none."""
    return next((path for path in BROWSERS if os.access(system.path(path), os.X_OK)), None)
