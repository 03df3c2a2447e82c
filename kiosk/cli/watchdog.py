"""Tell systemd the kiosk is ready, and keep telling it the kiosk still answers.

``hymy-kiosk.service`` is ``Type=notify`` with ``WatchdogSec=``: systemd waits
for ``READY=1`` before it counts the kiosk as started, and restarts it when
``WATCHDOG=1`` stops coming. A ping from the server's main loop would prove
little: waitress's loop keeps running while every worker thread hangs. So
each ping follows a self-check that goes the way a customer's tap goes, a
request to the kiosk's own ``/healthz`` through its HTTP stack, which reads
the database; only a 200 in time earns the ping.

The protocol is a datagram to the Unix socket in ``NOTIFY_SOCKET`` (a leading
``@`` names the abstract namespace). It is a few lines, so no package for it
(sdnotify and systemd-python wrap the same ``sendto``). Without
``NOTIFY_SOCKET`` (not under systemd) nothing is sent and nothing runs.
"""
import logging
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping

log = logging.getLogger(__name__)

#: The longest a self-check waits for the kiosk's answer.
MAX_CHECK_SECONDS = 5.0


def notify_socket_address(environ: Mapping[str, str] | None = None) -> str | None:
    """The socket address systemd gave in ``NOTIFY_SOCKET``, or None."""
    path = (os.environ if environ is None else environ).get("NOTIFY_SOCKET")
    if not path or not (path.startswith("/") or path.startswith("@")):
        return None
    return "\0" + path[1:] if path.startswith("@") else path


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of ``WATCHDOG_USEC``, as systemd advises), or None without a watchdog."""
    environ = os.environ if environ is None else environ
    pid = environ.get("WATCHDOG_PID")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog is meant for another process
    usec = environ.get("WATCHDOG_USEC", "")
    return int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None


class Notifier:
    """Sends sd_notify messages; does nothing when not started by systemd."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.address = notify_socket_address(environ)

    def send(self, *fields: str) -> None:
        if self.address is None:
            return
        message = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError as error:  # systemd gone or the socket refused: the kiosk serves on regardless
            log.warning("could not notify systemd at %s: %s", os.environ.get("NOTIFY_SOCKET"), error)


def answer_status(url: str, timeout: float) -> int | None:
    """The HTTP status GET *url* answers within *timeout* seconds, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own loopback URL
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError, ValueError):
        return None


class Watchdog:
    """``READY=1`` once the kiosk answers ``/healthz``, then ``WATCHDOG=1`` after each self-check passes.

    Ready means serving: any answer counts, a 503 from a failing database
    too, so systemd does not time out a start whose screen already shows. A
    ping needs a 200, which only comes after a database read: a kiosk whose
    database keeps failing is restarted, which opens the database afresh.

    :param health_url: the kiosk's own ``/healthz`` (on loopback, as the screen reaches it).
    :param stop: an Event that ends the thread.
    """

    def __init__(self, health_url: str, stop: threading.Event, environ: Mapping[str, str] | None = None) -> None:
        self.health_url = health_url
        self.stop = stop
        self.notifier = Notifier(environ)
        self.interval = watchdog_interval(environ)
        self.thread = threading.Thread(target=self._run, name="hymy-watchdog", daemon=True)

    @property
    def needed(self) -> bool:
        return self.notifier.address is not None

    def start(self) -> "Watchdog":
        if self.needed:
            self.thread.start()
        return self

    def _run(self) -> None:
        timeout = min(MAX_CHECK_SECONDS, self.interval / 2) if self.interval else MAX_CHECK_SECONDS
        while not self.stop.is_set() and answer_status(self.health_url, timeout) is None:
            self.stop.wait(0.2)
        if self.stop.is_set():
            return
        self.notifier.send("READY=1", f"STATUS=serving on {self.health_url.removesuffix('healthz')}")
        log.info("ready: told systemd the kiosk answers %s", self.health_url)
        failing = False
        while self.interval and not self.stop.wait(self.interval):
            if answer_status(self.health_url, timeout) == 200:
                self.notifier.send("WATCHDOG=1")
                if failing:
                    log.info("self-check passes again: watchdog pings resume")
                failing = False
            elif not failing:
                failing = True
                log.error("self-check failed: %s did not answer 200 within %.1f s; no watchdog ping "
                          "(systemd restarts the kiosk if this lasts)", self.health_url, timeout)

    def stopping(self) -> None:
        """Say the kiosk is stopping (systemd then expects no more pings) and end the thread."""
        self.stop.set()
        self.notifier.send("STOPPING=1")
