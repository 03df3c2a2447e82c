"""Servers on loopback and waiting for them: a WSGI app served in this process, free ports,
polling without bare sleeps."""

import contextlib
import socket
import threading
import time

import requests
from waitress import wasyncore
from waitress.server import create_server


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
