"""The test world: kiosk apps on temporary data dirs, fake clocks, mock pins,
and real servers on loopback."""
from datetime import datetime, timezone
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.app import create_app
from kiosk.cli import options
from kiosk.manager.pin import set_pin
from sync.central.app import create_central_app
from sync.common.clock import FakeClock
from tests.helpers.live import LiveServer
from tests.helpers.manager import PIN, sign_in
from tests.helpers.proxy import FaultProxy
from tests.helpers.receivers import SINKS_ENV
from tests.helpers.world import START, AccessLog, World, cli


def pytest_collection_modifyitems(items):
    """What the quick loop (``-m "not slow"``) leaves out beside the tests marked ``slow`` by hand
    (subprocesses, wheels, long simulated outages, schemathesis): every test that drives Chromium, and
    the PostgreSQL half of every test run on both of central's backends (its SQLite half stays in)."""
    slow = pytest.mark.slow
    for item in items:
        if item.get_closest_marker("browser") or "tests/browser/" in item.nodeid:
            item.add_marker(slow)
        elif "postgresql" in getattr(getattr(item, "callspec", None), "params", {}).values():
            item.add_marker(slow)


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


@pytest.fixture
def manager(client, kiosk):
    """A test client signed in to the manager screen (a PIN set first)."""
    set_pin(kiosk.config.data_dir, PIN)
    sign_in(client)
    return client


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


@pytest.fixture
def make_world(tmp_path, make_app, clock):
    """Build the world; everything it starts stops when the test ends."""
    worlds = []

    def build(enroll=True, proxy=None, site_hours=(), **kiosk_config):
        central_dir = tmp_path / "central"
        central_env = {
            "HYMY_CENTRAL_DATA_DIR": str(central_dir),
            "HYMY_CENTRAL_DATABASE_URL": f"sqlite:///{central_dir / 'central.sqlite3'}",
            "DATABASE_URL": None,
            "HYMY_CENTRAL_CONFIG": None,
            **SINKS_ENV,  # its alert rules may post to the tests' loopback receivers
        }
        runner_args = ["central", "add-site", "Kamppi", "--timezone", "Europe/Helsinki"]
        for hours in site_hours:
            runner_args += ["--hours", hours]
        for args in (runner_args, ["central", "add-service", "checkout"], ["central", "add-provider", "Palvelu Oy"],
                     ["central", "add-kiosk", "kamppi-1", "--site", "Kamppi", "--service", "checkout",
                      "--provider", "Palvelu Oy"]):
            result = cli(args, central_env)
            assert result.exit_code == 0, result.output
        token = result.output.strip().splitlines()[-1]
        assert token.startswith("hymy_k_")

        central_clock = FakeClock(START)
        central_app = create_central_app({"data_dir": str(central_dir),
                                          "database_url": central_env["HYMY_CENTRAL_DATABASE_URL"]},
                                         clock=central_clock)
        access_log = AccessLog(central_app)
        central = LiveServer(access_log)

        config = {"sync_in_kiosk": False, "clock_trusted": "always",
                  "sync_backoff_base": 5.0, "sync_backoff_cap": 900.0}
        config.update(kiosk_config)
        app = make_app(**config)
        data_dir = app.extensions["hymy"].config.data_dir
        kiosk_env = {"HYMY_DATA_DIR": str(data_dir), "HYMY_CONFIG": None, "HYMY_CLOCK_TRUSTED": "always",
                     "HYMY_PIN_FACTORY": "mock"}
        for key in ("sync_batch_size", "sync_read_timeout", "retention_days"):
            if key in kiosk_config:
                kiosk_env[f"HYMY_{key.upper()}"] = str(kiosk_config[key])
        world = World(tmp_path, central_dir, central_clock, central_app, access_log, central, app, clock, token,
                      kiosk_env, central_env)
        worlds.append(world)
        if proxy is not None:
            world.proxy = FaultProxy(central.port, **proxy)
        world.uploader = world.make_uploader()
        if enroll:
            result = world.enroll()
            assert result.exit_code == 0, result.output
            assert "enrolled as kiosk 'kamppi-1'" in result.output
        return world

    yield build
    for world in worlds:
        if world.proxy:
            world.proxy.close()
        world.central.close()


@pytest.fixture
def world(make_world):
    return make_world()
