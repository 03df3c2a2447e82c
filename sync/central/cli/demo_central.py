"""The central half of ``hymy demo``: a server with the demo kiosk's site,
service, provider and token, a seeded year of the small network the demo kiosk
belongs to (sync/central/cli/demo_network.py), and head office's logins, on a
temporary database."""
import contextlib
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from sync.central.app import create_central_app
from sync.central.cli.demo_network import DEMO, seed_network
from sync.central.org import registry as org
from sync.central.store.db import connection
from sync.central.store.models import Site
from sync.common.zones import site_zone

DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER, DEMO_KIOSK = DEMO.site, DEMO.service, DEMO.provider, DEMO.name
#: No opening hours: the demo site is open around the clock, so a tap in an
#: evening demo counts instead of being stored as ``closed``. (A table of
#: weekday spans would leave an untrusted laptop clock's taps ``unverified``.)
DEMO_HOURS: dict[str, list[str]] = {}


@dataclass
class DemoCentral:
    url: str
    kiosk_token: str
    user: str
    password: str
    api_token: str
    server: Any  # waitress's server
    viewer: str | None = None  # a head-office viewer of one site
    viewer_password: str | None = None
    network_ratings: int = 0
    thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._serve, name="hymy-central", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        """waitress's loop in short steps; its sockets are closed here, on its own thread:
        closing them from another thread while the loop polls them is a race (EBADF)."""
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=self.server.adj.asyncore_loop_timeout, map=self.server._map, count=1)
        finally:
            self.server.task_dispatcher.shutdown()
            wasyncore.close_all(self.server._map)

    def close(self) -> None:
        """Stop serving and wait until the server's threads are done."""
        self._stop.set()
        with contextlib.suppress(OSError):  # the loop saw the stop first and closed the trigger
            self.server.pull_trigger()
        if self.thread is not None:
            self.thread.join(timeout=10)


def start_demo_central(
    data_dir: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8100,
    now: datetime | None = None,
    kiosk_id: str | None = None,
    kiosk_days: int = 0,
) -> DemoCentral:
    """Build the demo organisation and serve central in a background thread.

    :param now: the moment the seeded year ends (the demo kiosk's clock; the system's by default).
    :param kiosk_id: the demo kiosk's own id: central's year of its ratings is stored under it, so
        the kiosk enrolls as the kiosk that recorded them (a stand-in id without a kiosk).
    :param kiosk_days: the days before today the demo kiosk records itself: central's year of it ends there.
    """
    now = now or datetime.now(timezone.utc)
    # The database is named, not left to DATABASE_URL: the demo never writes to a real one.
    database_url = f"sqlite:///{Path(data_dir) / 'central.sqlite3'}"
    # Plain HTTP on this machine: a Secure session cookie would never come back from the browser.
    app = create_central_app({"data_dir": str(data_dir), "database_url": database_url, "secure_cookies": False})
    org.add_site(DEMO_SITE, "Europe/Helsinki", DEMO_HOURS)
    org.add_service(DEMO_SERVICE)
    org.add_provider(DEMO_PROVIDER)
    kiosk_token = org.add_kiosk(DEMO_KIOSK, DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER)
    password, api_token = org.add_user("head-office", "admin")
    with connection():
        kiosk_today = now.astimezone(site_zone(Site.get(Site.name == DEMO_SITE))).date()
    network = seed_network(now, kiosk_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"hymy-demo/{DEMO_KIOSK}")),
                           kiosk_today - timedelta(days=kiosk_days))
    server = create_server(app, host=host, port=port, threads=4, ident="hymy-central")
    url = f"http://{host}:{server.effective_port}"
    central = DemoCentral(url, kiosk_token, "head-office", password, api_token, server, network.viewer,
                          network.viewer_password, network.seeded)
    central.start()
    return central
