"""Bind central's models to SQLite (default) or PostgreSQL (fleets).

SQLite runs with no set-up and is durable like the kiosk's (WAL, FULL).
PostgreSQL goes through a connection pool per process, so several central
processes or hosts can share one database; the schema is created under an
advisory lock, so processes starting together do not race.
"""
import logging
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase

from .models import MODELS, central_db
from .seed import seed_defaults

log = logging.getLogger(__name__)
_SCHEMA_LOCK = 72_201_301  # any fixed number shared by every central process


def make_database(url, max_connections=8, busy_timeout_ms=5000):
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(
            str(path),
            pragmas={"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": busy_timeout_ms},
            timeout=busy_timeout_ms / 1000,
            check_same_thread=False,
        )
    return PooledPostgresqlDatabase(
        parsed.path.lstrip("/"),
        user=parsed.username,
        password=parsed.password,
        host=parsed.hostname or None,
        port=parsed.port,
        max_connections=max_connections,
        stale_timeout=300,
        timeout=10,
    )


def open_central_database(url, max_connections=8, busy_timeout_ms=5000):
    """Bind the models to *url*, create missing tables and the default content."""
    database = make_database(url, max_connections, busy_timeout_ms)
    central_db.initialize(database)
    with connection():
        with write_transaction():
            if isinstance(database, peewee.PostgresqlDatabase):
                central_db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            central_db.create_tables(MODELS, safe=True)
            seed_defaults()
    return database


@contextmanager
def connection():
    """This thread's open connection, or one opened (and returned) for the block."""
    opened = central_db.is_closed()
    if opened:
        central_db.connect()
    try:
        yield central_db
    finally:
        if opened:
            central_db.close()


def write_transaction():
    """A transaction that will write: IMMEDIATE on SQLite, so two processes
    that read before writing queue for the lock instead of failing with a
    stale snapshot; a plain transaction on PostgreSQL."""
    if isinstance(central_db.obj, peewee.SqliteDatabase):
        return central_db.atomic("IMMEDIATE")
    return central_db.atomic()


def is_postgresql():
    return isinstance(central_db.obj, peewee.PostgresqlDatabase)
