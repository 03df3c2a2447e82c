"""The central half of ``hymy demo``: a server with the demo kiosk's site,
service, provider and token, two seeded months of a small network beside it
(kiosk/cli/demo_network.py), and head office's logins, on a temporary database."""
import contextlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from waitress import wasyncore
from waitress.server import create_server

from sync.central import org
from sync.central.app import create_central_app

from .demo_network import seed_network

DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER, DEMO_KIOSK = "Helsinki Kamppi", "checkout", "Palvelu Oy", "kamppi-checkout-1"
#: No opening hours: the demo site is open around the clock, so a tap in an
#: evening demo counts instead of being stored as ``closed``. (A table of
#: weekday spans would leave an untrusted laptop clock's taps ``unverified``.)
DEMO_HOURS = {}


@dataclass
class DemoCentral:
    url: str
    kiosk_token: str
    user: str
    password: str
    api_token: str
    server: object
    viewer: str = None  # a head-office viewer of one site
    viewer_password: str = None
    network_ratings: int = 0
    thread: threading.Thread = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self):
        self.thread = threading.Thread(target=self._serve, name="hymy-central", daemon=True)
        self.thread.start()

    def _serve(self):
        """waitress's loop in short steps; its sockets are closed here, on its own thread:
        closing them from another thread while the loop polls them is a race (EBADF)."""
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=self.server.adj.asyncore_loop_timeout, map=self.server._map, count=1)
        finally:
            self.server.task_dispatcher.shutdown()
            wasyncore.close_all(self.server._map)

    def close(self):
        """Stop serving and wait until the server's threads are done."""
        self._stop.set()
        with contextlib.suppress(OSError):  # the loop saw the stop first and closed the trigger
            self.server.pull_trigger()
        if self.thread is not None:
            self.thread.join(timeout=10)


def start_demo_central(data_dir, host="127.0.0.1", port=8100, network_days=60):
    """Build the demo organisation and serve central in a background thread."""
    # The database is named, not left to DATABASE_URL: the demo never writes to a real one.
    database_url = f"sqlite:///{Path(data_dir) / 'central.sqlite3'}"
    # Plain HTTP on this machine: a Secure session cookie would never come back from the browser.
    app = create_central_app({"data_dir": str(data_dir), "database_url": database_url, "secure_cookies": False})
    org.add_site(DEMO_SITE, "Europe/Helsinki", DEMO_HOURS)
    org.add_service(DEMO_SERVICE)
    org.add_provider(DEMO_PROVIDER)
    kiosk_token = org.add_kiosk(DEMO_KIOSK, DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER)
    password, api_token = org.add_user("head-office", "admin")
    network = seed_network(DEMO_SITE, network_days, datetime.now(timezone.utc))
    server = create_server(app, host=host, port=port, threads=4, ident="hymy-central")
    url = f"http://{host}:{server.effective_port}"
    central = DemoCentral(url, kiosk_token, "head-office", password, api_token, server, network.viewer,
                          network.viewer_password, network.seeded)
    central.start()
    return central
