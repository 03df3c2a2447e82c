"""``hymy wait-ready`` and ``hymy display``: the screen's helpers in the desktop user's session.

Both run as the desktop user (``systemd/hymy-browser.service``,
``hymy-display.service``) and know the kiosk only over HTTP, as the browser
does: that user may not read the kiosk's config or data dir.

``wait-ready`` stands in for an ordering a user unit cannot have: after the
system's ``hymy-kiosk.service``. ``display`` keeps the touchscreen on during
opening hours and off outside them, turned as ``display_rotation`` says, by
asking the kiosk's ``GET /api/state`` and driving the output with
``wlr-randr`` (the wlroots output tool; labwc is a wlroots compositor).
"""
import subprocess
import threading
import time

import click
import requests

from kiosk.cli.install.units import KIOSK_URL
from sync.common.cli_errors import CommandError

#: What the kiosk says of the screen: ``(site open, rotation in degrees, output or None)``.
ScreenState = tuple[bool, int, str | None]

#: wlr-randr's --transform for each display_rotation.
TRANSFORMS = {0: "normal", 90: "90", 180: "180", 270: "270"}
#: Seconds one request to the kiosk may take.
REQUEST_TIMEOUT = 5.0


@click.command("wait-ready")
@click.option("--url", default=f"{KIOSK_URL}/healthz", show_default=True, help="The kiosk's health check.")
@click.option("--timeout", type=click.FloatRange(0, 3600), default=120.0, show_default=True,
              help="Seconds to wait before giving up.")
def wait_ready_command(url: str, timeout: float) -> None:
    """Wait until the kiosk answers its health check (the screen's unit starts the browser after it)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    with requests.Session() as session:
        while True:
            try:
                # 503 is the kiosk's own verdict on a failing database: the screen still belongs up.
                status = session.get(url, timeout=REQUEST_TIMEOUT).status_code
                last = f"HTTP {status}"
                if status in (200, 503):
                    click.echo(f"the kiosk answers at {url} ({last})")
                    return
            except requests.RequestException as error:
                last = type(error).__name__
            if time.monotonic() >= deadline:
                raise CommandError(f"the kiosk did not answer {url} within {timeout:g} s (last: {last}); "
                                   "is it running? sudo systemctl status hymy-kiosk")
            pause.wait(0.5)


@click.command("display")
@click.option("--url", default=KIOSK_URL, show_default=True, help="The kiosk's address.")
@click.option("--loop", is_flag=True, help="Keep following the kiosk, every --interval seconds.")
@click.option("--interval", type=click.FloatRange(1, 3600), default=30.0, show_default=True)
def display_command(url: str, loop: bool, interval: float) -> None:
    """Turn the touchscreen on while the kiosk's site is open and off while it is closed, rotated as configured."""
    screen = Screen()
    with requests.Session() as session:
        if loop:
            follow(screen, session, url, interval)
        else:
            screen.show(kiosk_state(session, url))


def kiosk_state(session: requests.Session, url: str) -> ScreenState:
    """``(open, rotation, output)`` from the kiosk's ``GET /api/state``, or one line saying why not."""
    try:
        response = session.get(f"{url.rstrip('/')}/api/state", timeout=REQUEST_TIMEOUT)
        response.raise_for_status()
        body = response.json()
        return bool(body["open"]), int(body["display"]["rotation"]), body["display"]["output"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise CommandError(f"the kiosk at {url} did not say its state ({type(error).__name__}); "
                           "is it running? sudo systemctl status hymy-kiosk") from None


def follow(
    screen: "Screen", session: requests.Session, url: str, interval: float, stop: threading.Event | None = None
) -> None:
    """Show the kiosk's state every *interval* seconds until *stop* is set; changes only what changed.

    An unreachable kiosk (restarting, upgrading) leaves the screen as it is
    and is said once, not every round.
    """
    stop = stop or threading.Event()
    unreachable = False
    while not stop.is_set():
        try:
            state = kiosk_state(session, url)
        except CommandError as error:
            if not unreachable:
                click.echo(f"hymy: {error.format_message()}; the screen stays as it is", err=True)
            unreachable = True
        else:
            unreachable = False
            if state != screen.shown:
                screen.show(state)
        stop.wait(interval)


class Screen:
    """The touchscreen as wlr-randr drives it; remembers what it last showed."""

    def __init__(self) -> None:
        self.shown: ScreenState | None = None

    def show(self, state: ScreenState) -> None:
        is_open, rotation, output = state
        name = self._output(output)
        if is_open:
            self._wlr_randr("--output", name, "--on", "--transform", TRANSFORMS[rotation])
            click.echo(f"screen on ({name}, rotation {rotation}): the site is open")
        else:
            self._wlr_randr("--output", name, "--off")
            click.echo(f"screen off ({name}): the site is closed")
        self.shown = state

    def _output(self, configured: str | None) -> str:
        """*configured* if wlr-randr lists it, else the first output it lists (each unindented line names one)."""
        listed = [line.split()[0] for line in self._wlr_randr().splitlines() if line.strip() and not line[0].isspace()]
        if not listed:
            raise CommandError("wlr-randr lists no output: is the screen connected?")
        if configured is None:
            return listed[0]
        if configured not in listed:
            raise CommandError(f"display_output {configured}: wlr-randr lists no such output (it lists "
                               f"{', '.join(listed)})", exit_code=2)
        return configured

    def _wlr_randr(self, *arguments: str) -> str:
        try:
            done = subprocess.run(["wlr-randr", *arguments], capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            raise CommandError("wlr-randr is not installed: sudo apt install wlr-randr") from None
        except subprocess.TimeoutExpired:
            raise CommandError("wlr-randr did not finish within 30 s") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise CommandError(f"wlr-randr {' '.join(arguments)} failed: "
                               f"{detail[-1] if detail else f'exit {done.returncode}'} (is the Wayland session up?)")
        return done.stdout
