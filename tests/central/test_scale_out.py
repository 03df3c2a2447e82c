"""Scaling out: two ``hymy central serve`` processes on different ports against one PostgreSQL,
and four kiosks syncing through a balancer that sends each request to either at random (no
sticky sessions: one kiosk's batches, heartbeats and config land on both, two at a time).

Every rating arrives once (ids and each kiosk's sequence, no conflicts); the rollups count the
raw rows; head office, logged in on one host, reads on the other the overview's figures a plain
count of the raw rows gives; and with an alert rule breached, two ``hymy central worker --once``
runs at the same moment (one per host) deliver the alert once.
"""
import hashlib
import hmac
import json
import random
import subprocess
import sys
import threading
import uuid
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from sync.common.clock import FakeClock
from tests.helpers.central import WebSession
from tests.helpers.head_office import rows_of, shown_percent
from tests.helpers.proxy import FaultProxy
from tests.helpers.receivers import SINKS_ENV
from tests.helpers.served import CentralDatabase, ServedCentral
from tests.helpers.stored import append_backlog, assert_database_intact, assert_held_once, kiosk_outbox, rows

pytestmark = pytest.mark.slow

#: Kamppi's customers are unhappy enough to breach its rule; Tampere's are not.
SITES = {"Kamppi": (1, 1, 2, 2, 2, 3, 4), "Tampere": (2, 3, 3, 4, 4)}
RATINGS_PER_KIOSK = 500


class RandomBalancer(FaultProxy):
    """Forwards each request to one of *ports*, picked at random, as a load balancer without
    sticky sessions would; counts the requests each port got."""

    def __init__(self, ports, seed):
        self.ports, self.rng, self.sent_to = ports, random.Random(seed), Counter()
        self._choice_lock = threading.Lock()
        super().__init__(ports[0])

    @property
    def upstream_port(self):
        # FaultProxy asks for the upstream port once per request, so a fresh pick is a fresh route.
        with self._choice_lock:
            port = self.rng.choice(self.ports)
            self.sent_to[port] += 1
        return port

    @upstream_port.setter
    def upstream_port(self, port):
        """FaultProxy's constructor sets its one port; the ports given here stand instead."""


def _kiosk(make_app, tmp_path, name, token, url, faces):
    """A kiosk with *faces* recorded in the last half hour, enrolled at *url*; its data dir and ids."""
    clock = FakeClock(datetime.now(timezone.utc) - timedelta(minutes=30))
    app = make_app(clock=clock, data_dir=str(tmp_path / name), sync_in_kiosk=False, clock_trusted="always",
                   press_interval=0)
    parts = app.extensions["hymy"]
    env = {"HYMY_DATA_DIR": str(parts.config.data_dir), "HYMY_CONFIG": None, "HYMY_CLOCK_TRUSTED": "always",
           "HYMY_PIN_FACTORY": "mock"}
    enrolled = CliRunner().invoke(main, ["enroll", url, token], env=env, catch_exceptions=False)
    assert enrolled.exit_code == 0, enrolled.output
    recorded = append_backlog(parts, faces, followup_every=3, step=1.0)
    parts.close()  # the kiosk's database is one per process: the next kiosk opens its own
    return parts.config, recorded


def _run_together(commands):
    """Start every ``(args, env)`` at once; return their ``(exit code, output)`` in order."""
    processes = [subprocess.Popen([sys.executable, "-m", "kiosk", *args], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for args, env in commands]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    return [(process.returncode, output) for process, output in zip(processes, outputs, strict=True)]


@pytest.fixture
def database(postgres_cluster, tmp_path):
    return CentralDatabase(postgres_cluster.create_database(f"scale_{uuid.uuid4().hex[:12]}"), tmp_path / "central")


def test_two_centrals_on_one_postgresql_count_every_rating_once(database, make_app, tmp_path, hook):
    hook_url, received = hook
    for site in SITES:
        database.cli("add-site", site, "--timezone", "Europe/Helsinki")
    database.cli("add-service", "checkout")
    output = database.cli("add-alert", "--site", "Kamppi", "--unhappy-share", "50", "--window", "60",
                          "--min-responses", "4", "--webhook", hook_url)
    secret = output.strip().splitlines()[-1].rsplit(": ", 1)[1]
    password = dict(line.split(": ", 1) for line in database.cli("add-user", "hanna", "--role", "admin")
                    .splitlines() if ": " in line)["password"]
    hosts = [ServedCentral(database, tmp_path, secure_cookies="false").launch() for _ in range(2)]
    balancer = None
    try:
        for host in hosts:
            host.wait_ready()
        balancer = RandomBalancer([host.port for host in hosts], seed=5)
        rng = random.Random(5)
        kiosks, recorded = [], []
        for site, faces in SITES.items():
            for n in (1, 2):
                token = database.add_kiosk(f"{site.lower()}-{n}", site)
                config, ids = _kiosk(make_app, tmp_path, f"{site.lower()}-{n}", token, balancer.url,
                                     [rng.choice(faces) for _ in range(RATINGS_PER_KIOSK)])
                kiosks.append(config)
                recorded += ids

        env = {k: v for k, v in database.env().items() if not k.startswith("HYMY_CENTRAL_")}
        synced = _run_together([(["sync"], {**env, "HYMY_DATA_DIR": str(config.data_dir), "HYMY_LOG_LEVEL": "warning",
                                            "HYMY_CLOCK_TRUSTED": "always", "HYMY_SYNC_BATCH_SIZE": "40",
                                            "HYMY_PIN_FACTORY": "mock"}) for config in kiosks])
        assert all(code == 0 and ", quarantined 0," in output for code, output in synced), synced
        assert min(balancer.sent_to[host.port] for host in hosts) > len(balancer.exchanges) // 4, balancer.sent_to
        assert all(kiosk_outbox(config.database_path) == (set(), set()) for config in kiosks)
        with closing(database.connect()) as db:
            assert_held_once(db, recorded)
            counted = {site: (n, happy) for site, n, happy in rows(
                db, "SELECT s.name, COUNT(*), SUM(CASE WHEN r.rating >= 3 THEN 1 ELSE 0 END) FROM rating r"
                    " JOIN kiosk k ON k.id = r.kiosk_id JOIN site s ON s.id = k.site_id WHERE r.filtered IS NULL"
                    " GROUP BY s.name")}
        assert_database_intact(database)

        # Logged in on one host, reading on the other: the session is the database's, not a process's.
        browser = WebSession(hosts[0].url)
        login = browser.post("/login", data={"name": "hanna", "password": password}, csrf_from="/login")
        assert login.status_code == 200 and login.url.endswith("/overview"), login.text[:300]
        page = browser.http.get(f"{hosts[1].url}/overview?period=7d&lang=en", timeout=60)
        assert page.status_code == 200
        shown = rows_of(page.text, "site")
        for site, (n, happy) in counted.items():
            assert shown[site]["responses"] == str(n)
            assert shown[site]["satisfaction"].startswith(f"{shown_percent(happy, n)} %")
        browser.close()

        worked = _run_together([(["central", "worker", "--once"], {**database.env(), **SINKS_ENV}) for _ in hosts])
        held = "another hymy central worker holds the worker lock"
        assert all(code == 0 or (code == 1 and held in output) for code, output in worked), worked
        sent = sum(int(output.split(" sent")[0].rsplit(", ", 1)[1]) for code, output in worked if code == 0)
        assert sent == 1, worked
    finally:
        if balancer is not None:
            balancer.close()
        for host in hosts:
            host.stop()
    (body, signature), = received.received
    assert hmac.compare_digest(signature, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())
    assert json.loads(body)["site"] == "Kamppi"
    with closing(database.connect()) as db:
        assert rows(db, "SELECT kind, webhook_sent_at IS NOT NULL FROM alert") == [("unhappy", True)]
