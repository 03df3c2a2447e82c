"""The systemd units (and the session's autostart entry), in a checkout and in an installed wheel.

The repository keeps them in the top-level ``systemd/``; a wheel carries the
same files as the package data ``kiosk/cli/install/systemd/`` (see pyproject.toml), so
``hymy install`` from either writes what the repository holds. They name the
default paths (``/opt/hymy/bin/hymy``, ``/usr/bin/chromium``) and the kiosk's
default address; :func:`unit_text` puts in the real ones.
"""
from pathlib import Path

IN_WHEEL = Path(__file__).resolve().parent / "systemd"
IN_CHECKOUT = Path(__file__).resolve().parents[3] / "systemd"

#: The command every unit runs, the browser the screen's unit starts, and the kiosk's address
#: the screen's units open, as the files name them.
HYMY = "/opt/hymy/bin/hymy"
CHROMIUM = "/usr/bin/chromium"
KIOSK_URL = "http://127.0.0.1:8000"

#: Run by the system's manager, and by the desktop user's (a user unit cannot run as root, nor a
#: system unit in the user's Wayland session).
KIOSK_UNITS = ("hymy-kiosk.service",)
SCREEN_UNITS = ("hymy-browser.service", "hymy-display.service", "hymy-session.target")
CENTRAL_UNITS = ("hymy-central.service", "hymy-central-worker.service", "hymy-central-prune.service",
                 "hymy-central-prune.timer")
#: The XDG autostart entry that starts hymy-session.target when the desktop user's session starts.
SESSION_ENTRY = "hymy-session.desktop"


def unit_dir() -> Path:
    """Where the unit files are: inside the installed package, else in the checkout."""
    return IN_WHEEL if IN_WHEEL.is_dir() else IN_CHECKOUT


def unit_text(name: str, hymy: str = HYMY, browser: str = CHROMIUM, kiosk_url: str = KIOSK_URL) -> str:
    """The text of unit *name* running this *hymy* (and, for the screen, this *browser* on *kiosk_url*)."""
    text = (unit_dir() / name).read_text(encoding="utf-8")
    return text.replace(HYMY, hymy).replace(CHROMIUM, browser).replace(KIOSK_URL, kiosk_url.rstrip("/"))
