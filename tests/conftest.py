"""The test world: kiosk apps on temporary data dirs, fake clocks, mock pins,
and real servers on loopback."""
import contextlib
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from gpiozero.pins.mock import MockFactory
from waitress import wasyncore
from waitress.server import create_server

from kiosk.app import create_app
from kiosk.cli import options
from kiosk.storage.db import connection
from kiosk.storage.models import Rating
from sync.common.clock import FakeClock


@pytest.fixture(autouse=True)
def _no_installed_kiosk_config(monkeypatch):
    """On a machine with an installed kiosk, commands run in a test never read its /etc/hymy/kiosk.toml."""
    monkeypatch.setattr(options, "INSTALLED_CONFIG", Path("/nonexistent/hymy/kiosk.toml"))


@pytest.fixture
def clock():
    """A trusted clock on a Monday morning in Helsinki (10:00 UTC = 12:00 EET)."""
    return FakeClock(datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc))


@pytest.fixture
def make_app(tmp_path, clock):
    """Build kiosk apps on the test's data dir with mock pins; closes them after."""
    built = []

    def make(clock=clock, pin_factory=None, **overrides):
        config = {"data_dir": str(tmp_path / "data"), "led_seconds": 0.01}
        config.update(overrides)
        app = create_app(config, clock=clock, pin_factory=pin_factory or MockFactory())
        app.testing = True
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["hymy"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def kiosk(app):
    """The running kiosk's parts: recorder, buttons, events, clock."""
    return app.extensions["hymy"]


def wait_for(condition, timeout=10.0, message="condition not met", process=None, output=None):
    """Poll *condition* until it holds (never a bare sleep); fail with *message*
    after *timeout* seconds, or at once if *process* exited. *output* returns
    the text worth showing with the failure (a log)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{message}: the process exited {process.returncode}:\n{output() if output else ''}")
        pause.wait(0.01)
    raise AssertionError(f"{message} (after {timeout} s)" + (f":\n{output()}" if output else ""))


def answers(url):
    """True once *url* answers 200."""
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def stored_ratings():
    """Every stored rating, in sequence order."""
    with connection():
        return list(Rating.select().order_by(Rating.seq))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A WSGI app served by waitress on loopback, in this process.

    The serving loop runs in small steps on its own thread and closes its
    sockets itself when asked to stop: closing them from another thread while
    the loop polls them is a race (EBADF in the loop). ``port`` may name the
    port of a stopped server to start again on the same address.
    """

    def __init__(self, app, threads=8, port=0, **server_options):
        self.app = app
        self.server = create_server(app, host="127.0.0.1", port=port, threads=threads, **server_options)
        self.port = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.running = True

    def _serve(self):
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.05, map=self.server._map, count=1)
        finally:
            self.server.task_dispatcher.shutdown()
            wasyncore.close_all(self.server._map)

    def close(self):
        if self.running:
            self._stop.set()
            # Wake the loop; if it saw the stop first it has already closed the trigger (EBADF).
            with contextlib.suppress(OSError):
                self.server.pull_trigger()
            self.thread.join(timeout=10)
            self.running = False


@pytest.fixture
def serve():
    """Start LiveServers for apps; they stop when the test ends."""
    servers = []

    def start(app, threads=8):
        server = LiveServer(app, threads)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
