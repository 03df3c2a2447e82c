"""A central server under test: its app on a FakeClock served on loopback, the organisation commands
through the real CLI, HTTP helpers that fail on any 5xx, and head office's pages as a browser sees them."""

import gzip
import itertools
import json
import re
from datetime import datetime, timezone

import requests
from click.testing import CliRunner

from kiosk.cli import main
from sync.central.app import create_central_app
from sync.central.store import db as central_db
from sync.central.store.models import central_db as bound_db
from tests.helpers.batches import enrolled_device_id
from tests.helpers.live import LiveServer
from tests.helpers.receivers import SINKS_CONFIG, SINKS_ENV

#: Central's receive time in most tests: Monday 5 January 2026, 12:00 UTC (14:00 in Helsinki).
RECEIVE_TIME = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def close_database(database):
    """Close this thread's connection and, for a pool, every idle one."""
    if database is None:
        return
    if not database.is_closed():
        database.close()
    if hasattr(database, "close_all"):
        database.close_all()


class Central:
    """A running central server and the ways a test talks to it."""

    def __init__(self, backend, database_url, data_dir, clock):
        self.backend = backend
        self.database_url = database_url
        self.data_dir = data_dir
        self.clock = clock
        # Plain HTTP on loopback: a Secure session cookie would never come back (test_web_login checks the default).
        self.app = create_central_app({"database_url": database_url, "data_dir": str(data_dir),
                                       "secure_cookies": False, **SINKS_CONFIG}, clock=clock)
        self.database = bound_db.obj
        self.server = LiveServer(self.app)
        self.url = self.server.url
        self.http = requests.Session()

    def close(self):
        self.http.close()
        self.server.close()
        close_database(self.database)

    # -- the organisation, through the real commands ------------------------------------------
    def cli(self, *args, env=None, input=None):
        """Run ``hymy central ARGS`` against this server's database (*input* typed on standard input);
        return click's result."""
        environment = {
            "HYMY_CENTRAL_DATABASE_URL": self.database_url,
            "HYMY_CENTRAL_DATA_DIR": str(self.data_dir),
            "HYMY_CENTRAL_CONFIG": None,
            "DATABASE_URL": None,
            **SINKS_ENV,
            **(env or {}),
        }
        try:
            return CliRunner().invoke(main, ["central", *args], env=environment, catch_exceptions=False, input=input)
        finally:
            # A command binds the models to its own database object, as its own process would;
            # give the server its own back and close what the command opened.
            if bound_db.obj is not self.database:
                close_database(bound_db.obj)
                bound_db.initialize(self.database)

    def ok(self, *args, env=None):
        result = self.cli(*args, env=env)
        assert result.exit_code == 0, f"hymy central {' '.join(args)}: {result.output}"
        return result.output

    def add_site(self, name="Kamppi", timezone_name="Europe/Helsinki", hours=()):
        hour_args = [arg for spec in hours for arg in ("--hours", spec)]
        return self.ok("add-site", name, "--timezone", timezone_name, *hour_args)

    def add_kiosk(self, name, site="Kamppi", service="checkout", provider=None):
        """``add-kiosk``; return the token it printed."""
        args = ["add-kiosk", name, "--site", site, "--service", service]
        if provider:
            args += ["--provider", provider]
        return self.ok(*args).strip().splitlines()[-1]

    def add_user(self, name, role="admin", sites=()):
        """``add-user``; return ``(password, api_token)``."""
        args = ["add-user", name, "--role", role, *[a for s in sites for a in ("--site", s)]]
        lines = dict(line.split(": ", 1) for line in self.ok(*args).splitlines() if ": " in line)
        return lines["password"], lines["api token"]

    def enrolled_kiosk(self, name="kamppi-1", site="Kamppi", service="checkout", provider=None,
                       device_id=None, hours=()):
        """A site, service and kiosk, enrolled with *device_id*; return ``(token, device_id)``."""
        if not self.query(lambda m: m.Site.select().where(m.Site.name == site).exists()):
            self.add_site(site, hours=hours)
        if not self.query(lambda m: m.Service.select().where(m.Service.name == service).exists()):
            self.ok("add-service", service)
        if provider and not self.query(lambda m: m.Provider.select().where(m.Provider.name == provider).exists()):
            self.ok("add-provider", provider)
        token = self.add_kiosk(name, site, service, provider)
        device_id = device_id or enrolled_device_id(name)
        response = self.enroll(token, device_id)
        assert response.status_code == 200, response.text
        return token, device_id

    # -- HTTP -----------------------------------------------------------------------------------
    def request(self, method, path, token=None, **kwargs):
        """One real HTTP request; a 5xx fails the test, an error answer must be JSON."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(method, self.url + path, headers=headers, timeout=60, **kwargs)
        assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:500]}"
        if response.status_code >= 400:
            error = response.json()
            assert error["status"] == response.status_code and error["error"], error
        return response

    def enroll(self, token, device_id, software_version="1.0.0-test"):
        return self.request("POST", "/api/v1/enroll", token,
                            json={"kiosk_id": device_id, "software_version": software_version})

    def post_batch(self, token, document, gzip_body=False):
        body = json.dumps(document).encode()
        headers = {"Content-Type": "application/json"}
        if gzip_body:
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        return self.request("POST", "/api/v1/batches", token, data=body, headers=headers)

    def post_raw(self, token, body, headers):
        return self.request("POST", "/api/v1/batches", token, data=body, headers=headers)

    def export(self, token, **params):
        """``GET /api/v1/ratings`` with *params* (``from_`` for ``from``)."""
        if "from_" in params:
            params["from"] = params.pop("from_")
        return self.request("GET", "/api/v1/ratings", token, params=params)

    def export_json(self, token, **params):
        response = self.export(token, format="json", **params)
        assert response.status_code == 200, response.text
        return response.json()

    def log_in(self, name, password):
        """A browser-like session logged in to head office's pages as *name*."""
        browser = WebSession(self.url)
        response = browser.post("/login", data={"name": name, "password": password}, csrf_from="/login")
        assert response.status_code == 200 and response.url.endswith("/overview"), (response.status_code,
                                                                                   response.text[:300])
        return browser

    # -- looking into the database --------------------------------------------------------------
    def query(self, read):
        """``read(models)`` on this central's database, with a connection of its own."""
        from sync.central.store import models

        with central_db.connection():
            return read(models)

    def count(self, model_name):
        return self.query(lambda m: getattr(m, model_name).select().count())


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|data-csrf="([^"]+)"')


class WebSession:
    """Head office's pages as a browser sees them: cookies kept, CSRF tokens taken from the pages."""

    def __init__(self, url, language="en"):
        self.url = url
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = language  # the pages' language follows the browser's

    def get(self, path, **kwargs):
        response = self.http.get(self.url + path, timeout=60, **kwargs)
        assert response.status_code < 500, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response

    def csrf_token(self, path):
        """The CSRF token on the page at *path* (as its forms carry it)."""
        page = self.get(path)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1) or found.group(2)

    def post(self, path, data=None, csrf_from=None, **kwargs):
        """POST a form; with *csrf_from*, first take the CSRF token from that page, as a browser would."""
        data = dict(data or {})
        if csrf_from is not None:
            data["csrf_token"] = self.csrf_token(csrf_from)
        response = self.http.post(self.url + path, data=data, timeout=60, **kwargs)
        assert response.status_code < 500, f"POST {path}: {response.status_code} {response.text[:500]}"
        return response

    def close(self):
        self.http.close()


database_numbers = itertools.count(1)
