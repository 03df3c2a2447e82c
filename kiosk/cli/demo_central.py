"""The central half of ``hymy demo``: a server with one site, service,
provider, kiosk token and head-office user, on a temporary database."""
import threading
from dataclasses import dataclass

from waitress.server import create_server

from sync.central import org
from sync.central.app import create_central_app

DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER, DEMO_KIOSK = "Helsinki Kamppi", "checkout", "Palvelu Oy", "kamppi-checkout-1"
DEMO_HOURS = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class DemoCentral:
    url: str
    kiosk_token: str
    user: str
    password: str
    api_token: str
    server: object
    thread: threading.Thread

    def close(self):
        self.server.close()
        self.thread.join(timeout=5)


def start_demo_central(data_dir, host="127.0.0.1", port=8100):
    """Build the demo organisation and serve central in a background thread."""
    app = create_central_app({"data_dir": str(data_dir)})
    org.add_site(DEMO_SITE, "Europe/Helsinki", DEMO_HOURS)
    org.add_service(DEMO_SERVICE)
    org.add_provider(DEMO_PROVIDER)
    kiosk_token = org.add_kiosk(DEMO_KIOSK, DEMO_SITE, DEMO_SERVICE, DEMO_PROVIDER)
    password, api_token = org.add_user("head-office", "admin")
    server = create_server(app, host=host, port=port, threads=4, ident="hymy-central")
    thread = threading.Thread(target=server.run, name="hymy-central", daemon=True)
    thread.start()
    url = f"http://{host}:{server.effective_port}"
    return DemoCentral(url, kiosk_token, "head-office", password, api_token, server, thread)
