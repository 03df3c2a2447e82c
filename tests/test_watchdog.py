"""The kiosk under systemd's watchdog: READY once it answers, pings while its self-check
passes, none while its HTTP stack hangs.

systemd does not run here, so the test plays its part: it binds its own Unix
datagram socket, hands it to a real ``hymy kiosk`` process in NOTIFY_SOCKET
with WATCHDOG_USEC, and reads what arrives.
"""
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.cli.watchdog import Notifier, Watchdog, notify_socket_address, watchdog_interval
from tests.helpers.live import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WATCHDOG_USEC = 1_000_000  # a ping every 0.5 s


class NotifySocket:
    """systemd's end of sd_notify: a datagram socket whose messages the test reads."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def messages(self, seconds):
        """Every message that arrives within *seconds*."""
        received, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
        return received

    def wait_for(self, field, seconds):
        """The messages up to and including the first holding *field*; fails after *seconds*."""
        received, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                message = self.sock.recv(4096).decode()
            except TimeoutError:
                break
            received.append(message)
            if field in message.split("\n"):
                return received
        raise AssertionError(f"no {field} within {seconds} s; got {received}")

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(tmp_path):
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


def start_kiosk(tmp_path, notify, hang_switch):
    env = dict(os.environ, HYMY_DATA_DIR=str(tmp_path / "data"), HYMY_PIN_FACTORY="mock", HYMY_LOG_LEVEL="info",
               HYMY_SYNC_IN_KIOSK="false", NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC=str(WATCHDOG_USEC),
               HANG_SWITCH_FILE=str(hang_switch), PYTHONPATH=str(ROOT))
    env.pop("WATCHDOG_PID", None)
    return subprocess.Popen([sys.executable, "-m", "tests.helpers.hanging_kiosk", "kiosk", "--port", str(free_port())],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_ready_then_pings_that_stop_while_the_kiosk_hangs_and_resume(tmp_path, notify):
    switch = tmp_path / "hang"
    process = start_kiosk(tmp_path, notify, switch)
    try:
        first = notify.wait_for("READY=1", 30)
        assert not any("WATCHDOG=1" in message for message in first)  # no ping before it answers
        assert notify.wait_for("WATCHDOG=1", 5) and notify.wait_for("WATCHDOG=1", 5)

        switch.touch()  # every request now hangs in its thread; waitress's loop goes on
        time.sleep(0.5)  # a ping whose check had passed just before may still arrive
        notify.messages(0.4)
        assert not [m for m in notify.messages(2.5) if "WATCHDOG=1" in m], "pinged while hung"
        assert process.poll() is None

        switch.unlink()
        notify.wait_for("WATCHDOG=1", 10)
        process.terminate()
        assert "STOPPING=1" in "\n".join(notify.wait_for("STOPPING=1", 15))
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stderr = process.stderr.read()
        process.stderr.close()
    assert "self-check failed" in stderr and "pings resume" in stderr, stderr
    assert "Traceback" not in stderr
    # Every line the kiosk logged is one logfmt event.
    assert all(line.startswith("time=") for line in stderr.splitlines() if line.strip()), stderr


def test_no_socket_no_messages_and_the_environment_read_as_systemd_writes_it():
    assert notify_socket_address({}) is None and notify_socket_address({"NOTIFY_SOCKET": "relative"}) is None
    assert notify_socket_address({"NOTIFY_SOCKET": "@hymy"}) == "\0hymy"
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # meant for another
    assert watchdog_interval({"WATCHDOG_USEC": "x"}) is None and watchdog_interval({}) is None
    Notifier({}).send("READY=1")  # not under systemd: nothing to do, nothing raised


class _Unavailable(BaseHTTPRequestHandler):
    """A kiosk whose database failed: its /healthz answers 503."""

    def do_GET(self):
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_kiosk_answering_503_is_ready_but_earns_no_ping(tmp_path, notify):
    """Serving a 503 is serving (the start does not time out), but a ping needs the 200 that
    follows a database read."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    environ = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    watchdog = Watchdog(f"http://127.0.0.1:{server.server_address[1]}/healthz", stop, environ).start()
    try:
        assert "READY=1" in notify.wait_for("READY=1", 10)[-1].split("\n")
        assert not any("WATCHDOG=1" in message for message in notify.messages(2))
    finally:
        watchdog.stopping()
        server.shutdown()
        server.server_close()
