"""Run a kiosk app under the production WSGI server (waitress)."""
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from waitress import wasyncore
from waitress.server import create_server

from kiosk.cli.stopping import Stopping, serve_until_stopped
from kiosk.cli.watchdog import Watchdog
from kiosk.storage.process_lock import KioskAlreadyRunning, RunningLock, hold_running_lock, loopback_url
from kiosk.web.lan_guard import network_warning
from sync.common.cli_errors import CommandError, address_error, check_address

if TYPE_CHECKING:
    from flask import Flask

    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)


def start_background_sync(app: "Flask") -> threading.Thread | None:
    """Run the uploader loop in a thread of the kiosk process (``sync_in_kiosk``).

    It waits quietly until the kiosk is enrolled, and never blocks recording:
    it shares only the database, whose writes are short transactions.
    """
    from sync.uploader.loop import Uploader

    kiosk = app.extensions["hymy"]
    if not kiosk.config.sync_in_kiosk:
        return None
    stop = threading.Event()
    uploader = Uploader(kiosk.config, kiosk.kiosk_id, kiosk.clock, kiosk.content_store)
    thread = threading.Thread(target=uploader.loop, args=(stop,), name="hymy-sync", daemon=True)
    thread.start()

    def stop_sync() -> None:
        stop.set()
        thread.join(timeout=kiosk.config.sync_connect_timeout + kiosk.config.sync_read_timeout)

    kiosk.closers.append(stop_sync)
    return thread


def serve(
    app: "Flask",
    host: str,
    port: int,
    running: RunningLock,
    on_ready: Callable[[str], None] | None = None,
    stopping: Stopping | None = None,
) -> None:
    """Serve *app* until SIGTERM or Ctrl+C, then release its pins.

    :param running: the :class:`~kiosk.storage.process_lock.RunningLock` the caller took
        before it built *app* (:func:`kiosk_running`); told the address here.
    :param on_ready: called with the URL once the socket listens, so nothing
        announces an address before it answers.
    :param stopping: the :class:`~kiosk.cli.stopping.Stopping` the caller
        installed; by default one is installed here for SIGINT and SIGTERM.
    """
    config = app.config["HYMY"]
    # systemd stops with SIGTERM, a person with Ctrl+C: the loop ends, then the finally below.
    installed = None if stopping else Stopping(app.extensions["hymy"].events).install()
    stopping = stopping or installed
    assert stopping is not None  # one of the two is always set
    server = None
    try:
        # Each open Server-Sent Events stream holds one thread for at most
        # stream_max_age seconds, and at most max_streams (threads - 4) are
        # open, so taps always find a free thread.
        check_address(host, port)
        try:  # taken in between by another program: the same line
            server = create_server(app, host=host, port=port, threads=config.threads, ident="hymy",
                                   channel_timeout=120, clear_untrusted_proxy_headers=True)
        except OSError as error:
            raise address_error(host, port, error) from None
        url = f"http://{host}:{server.effective_port}/"
        running.announce(url)
        log.info("kiosk %s serving on %s", app.extensions["hymy"].kiosk_id, url)
        warn_if_on_network(config)
        start_background_sync(app)
        watchdog = Watchdog(loopback_url(host, server.effective_port) + "healthz", threading.Event()).start()
        app.extensions["hymy"].closers.append(watchdog.stopping)
        if on_ready:
            on_ready(url)
        serve_until_stopped(server, stopping)
    except KeyboardInterrupt:
        pass  # raised by *on_ready* itself (as Ctrl+C would be), or a Ctrl+C before any handler was set
    finally:
        if server is not None:
            server.task_dispatcher.shutdown()
            wasyncore.close_all(server._map)
        app.extensions["hymy"].close()
        if installed is not None:
            installed.restore()


@contextmanager
def kiosk_running(data_dir: Path) -> Iterator[RunningLock]:
    """Hold *data_dir*'s ``kiosk.lock`` (kiosk/storage/process_lock.py) for the block, or fail with one line."""
    try:
        with hold_running_lock(data_dir) as lock:
            yield lock
    except KioskAlreadyRunning as error:
        raise CommandError(f"{error}; stop it first (systemctl stop hymy-kiosk) or use another data_dir") from None


def warn_if_on_network(config: "KioskConfig") -> None:
    """Say, in the log and on stderr, that a kiosk beyond loopback is guarded and how."""
    warning = network_warning(config)
    if warning:
        log.warning("%s", warning)
        print(f"hymy: warning: {warning}", file=sys.stderr, flush=True)
