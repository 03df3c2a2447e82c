"""The central server under test, on SQLite and on a real PostgreSQL.

Every test that takes ``central`` runs twice: once on a SQLite file in the
test's tmp_path, once on a fresh database in one throwaway PostgreSQL cluster
per session. Each gets a central app on a FakeClock served by a real
waitress server on loopback, the organisation commands through the real CLI,
and HTTP helpers that fail the test on any 5xx answer.
"""

import threading
from http.server import ThreadingHTTPServer

import pytest

from bench._postgres import PostgresUnavailable, ThrowawayCluster
from sync.central.store import db as central_db
from sync.central.store.models import central_db as bound_db
from sync.common.clock import FakeClock
from tests.helpers.central import RECEIVE_TIME, Central, close_database, database_numbers
from tests.helpers.receivers import Hook


@pytest.fixture(scope="session")
def postgres_cluster():
    """One PostgreSQL server for the whole session; stopped and deleted at the end."""
    try:
        cluster = ThrowawayCluster().start()
    except PostgresUnavailable as error:
        pytest.fail(f"{error}; tests/run.sh installs it")
    yield cluster
    cluster.stop()


MIGRATED_TEMPLATE = "central_migrated"


@pytest.fixture(scope="session")
def migrated_postgres(postgres_cluster):
    """The cluster with a database central has migrated and seeded, to copy for each test: a copy takes
    a twentieth of a second, where migrating a new database takes several times that."""
    url = postgres_cluster.create_database(MIGRATED_TEMPLATE)
    before = bound_db.obj
    close_database(central_db.open_central_database(url))  # a template may have no session open
    if before is not None:
        bound_db.initialize(before)
    return postgres_cluster


def _postgres_database(request):
    """A fresh copy of the migrated database and a finalizer dropping it (the cluster stays small)."""
    cluster = request.getfixturevalue("migrated_postgres")
    name = f"t_{next(database_numbers)}"
    url = cluster.create_database(name, template=MIGRATED_TEMPLATE)
    return url, lambda: cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request, tmp_path):
    """A fresh central database and server on the parametrized backend."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'central' / 'central.sqlite3'}"
    else:
        url, drop = _postgres_database(request)
    server = Central(request.param, url, tmp_path / "central", FakeClock(RECEIVE_TIME))
    yield server
    server.close()
    if drop:
        drop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_central(request, tmp_path_factory):
    """Like ``central``, but one database and server per backend for a whole test module: for a module that
    builds one network and then mostly reads it (its tests change only what no other of them looks at)."""
    data_dir = tmp_path_factory.mktemp("central")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'central.sqlite3'}"
    else:
        url, drop = _postgres_database(request)
    server = Central(request.param, url, data_dir, FakeClock(RECEIVE_TIME))
    yield server
    server.close()
    if drop:
        drop()


@pytest.fixture
def hook():
    Hook.received, Hook.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hymy", Hook
    server.shutdown()
    server.server_close()
