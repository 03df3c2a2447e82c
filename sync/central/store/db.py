"""Bind central's models to SQLite (default) or PostgreSQL (fleets).

SQLite runs with no set-up and is durable like the kiosk's (WAL, FULL).
PostgreSQL goes through a connection pool per process, so several central
processes or hosts can share one database; the schema is migrated
(sync/central/store/migrations.py) under an advisory lock, so processes starting
together do not race.
"""
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase

from sync.central.store import migrations
from sync.central.store.models import JsonField, UtcDateTimeField, central_db
from sync.central.store.seed import seed_defaults
from sync.common.files import exclusive_lock, make_private_dir
from sync.common.sqlite import WalKeeper, backup_before_upgrade, create_database_file, pragmas
from sync.common.sqlite import connection as shared_connection

log = logging.getLogger(__name__)
_SCHEMA_LOCK = 72_201_301  # any fixed number shared by every central process


def make_database(url: str, max_connections: int = 8, busy_timeout_ms: int = 5000) -> peewee.Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = Path(url[len("sqlite:///"):])
        make_private_dir(path.parent)
        create_database_file(path)  # 0600, and so its -wal and -shm
        return peewee.SqliteDatabase(
            str(path),
            # A 64 MB page cache: ratings are keyed by random UUIDs, so with
            # SQLite's 2 MB default a large table turns every insert into disk reads.
            pragmas=pragmas(busy_timeout_ms, cache_mb=64),
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


_keeper = None


def open_central_database(
    url: str, max_connections: int = 8, busy_timeout_ms: int = 5000, *, upgrade: bool = True
) -> peewee.Database:
    """Bind the models to *url*; bring its schema to the latest version and add missing default content.

    A database already at the latest version takes no lock and runs no DDL: a
    worker booting beside others that are ingesting must not take schema locks
    (on PostgreSQL, even CREATE INDEX IF NOT EXISTS locks the table and can
    deadlock with an insert). A database newer than this software raises
    :class:`~sync.central.store.migrations.SchemaError`. With *upgrade* false the
    database is only bound (``hymy central migrate`` reports before it acts).
    """
    global _keeper
    database = make_database(url, max_connections, busy_timeout_ms)
    central_db.initialize(database)
    if _keeper is not None:
        _keeper.close()
        _keeper = None
    with connection():  # the first connection puts a SQLite file in WAL mode, before the keeper opens
        if upgrade:
            applied = upgrade_schema()
            log.info("central database ready, %d migrations applied (schema version %d)", len(applied),
                     migrations.LATEST)
    if isinstance(database, peewee.SqliteDatabase):
        _keeper = WalKeeper(database.database)  # after the first connection has put the file in WAL mode
    return database


def upgrade_schema() -> list[migrations.Migration]:
    """Apply central's pending migrations, then add missing default content; return the migrations applied.

    Read first without a lock (the fast path: nothing pending, nothing taken).
    Otherwise every pending migration runs in one transaction under the schema
    lock (PostgreSQL's advisory lock; on SQLite the writer lock), so processes
    starting together migrate once, and a failure leaves the previous version.
    """
    with connection():
        if not migrations.pending(central_db.obj)[1]:
            return []
        with write_transaction():
            if isinstance(central_db.obj, peewee.PostgresqlDatabase):
                central_db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            else:
                _backup_before_upgrade(Path(central_db.obj.database))
            applied = migrations.apply(central_db.obj)  # reads the version again: another process may have won
            seed_defaults()  # inserts what is missing, never changes a row
    return applied


def _backup_before_upgrade(path) -> None:
    """Copy central's SQLite file before migrating it (under the writer lock, so once). PostgreSQL is
    not copied here: docs/operations.md asks for ``pg_dump`` before an upgrade."""
    version, todo = migrations.pending(central_db.obj)
    if todo and version > 0:
        copy = backup_before_upgrade(path, version)
        log.info("central's database %s at schema version %d: kept a copy in %s before upgrading", path, version,
                 copy)


def schema_status() -> tuple[int, list[migrations.Migration]]:
    """``(version, pending migrations)`` of the bound database, read without a lock; SchemaError if too new."""
    with connection():
        return migrations.pending(central_db.obj)


def insert_new(model: type[peewee.Model], rows: Sequence[Mapping[str, Any]]) -> set[Any]:
    """Insert *rows* (dicts of checked field values), skipping any that clash
    with a unique key; return the ids actually inserted.

    One statement per model instead of peewee's query builder, and only times
    and JSON converted (the wire checks already gave every other value its
    database type): rendering ~8,000 values through the builder cost more
    than the insert itself.
    """
    if not rows:
        return set()
    fields = model._meta.sorted_fields
    postgresql = isinstance(central_db.obj, peewee.PostgresqlDatabase)
    names = [f.name for f in fields]
    values = [[row.get(name) for name in names] for row in rows]
    times: dict[Any, Any] = {}  # one memory for every UTC time column: a trusted row's real time is its recorded time
    for column, field in enumerate(fields):
        if isinstance(field, (peewee.DateTimeField, JsonField)):
            convert = _converter(field, as_text=not postgresql, times=times)
            for params in values:
                params[column] = convert(params[column])
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    table = model._meta.table_name
    cursor = central_db.cursor()
    if postgresql:
        from psycopg2.extras import execute_values  # the central extra; a kiosk has no psycopg2

        sql = f'INSERT INTO "{table}" ({columns}) VALUES %s ON CONFLICT DO NOTHING RETURNING "id"'
        return {row_id for (row_id,) in execute_values(cursor, sql, values, page_size=len(values), fetch=True)}
    sql = f'INSERT OR IGNORE INTO "{table}" ({columns}) VALUES ({", ".join("?" for _ in fields)})'
    try:
        with central_db.savepoint():
            cursor.executemany(sql, values)
            if cursor.rowcount != len(values):
                raise _SomeSkipped
        return {row["id"] for row in rows}
    except _SomeSkipped:
        pass
    inserted = set()  # the rare case: row by row, to learn which ones were skipped
    for row, params in zip(rows, values, strict=True):
        cursor.execute(sql, params)
        if cursor.rowcount == 1:
            inserted.add(row["id"])
    return inserted


class _SomeSkipped(Exception):
    """Rolls the savepoint back when a batch insert skipped rows."""


def _converter(field, as_text, times):
    """*field*'s ``db_value``; with *as_text* (SQLite) a time comes out as the text
    sqlite3's datetime adapter would write (``isoformat(" ")``), made here once
    per distinct value instead of by the driver for every row.

    UTC time fields remember their values in *times* (one batch's): its rows
    share a receive time, and a trusted row's real time is its recorded time.
    Equal instants give equal UTC text in any such column, so remembering by
    value is exact.
    """
    def convert(value):
        converted = field.db_value(value)
        if as_text and isinstance(converted, datetime):
            return converted.isoformat(" ")
        return converted

    if not isinstance(field, UtcDateTimeField):
        return convert

    def remembered(value):
        try:
            return times[value]
        except KeyError:
            converted = times[value] = convert(value)
            return converted

    return remembered


def connection() -> AbstractContextManager[peewee.Database]:
    """This thread's open connection to central's database, or one for the block."""
    database: peewee.Database = central_db.obj  # the proxy forwards to it; its stub does not say so
    return shared_connection(database)


def locked(query: peewee.Select) -> peewee.Select:
    """*query* reading rows that the rest of a write transaction depends on: ``FOR UPDATE`` on
    PostgreSQL, so a concurrent writer waits for this one; SQLite needs nothing, since
    :func:`write_transaction` already lets one writer in at a time."""
    if isinstance(central_db.obj, peewee.SqliteDatabase):
        return query
    return query.for_update()


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that will write.

    On SQLite, writers first queue on a lock file and then BEGIN IMMEDIATE: a
    blocked flock wakes the moment the holder is done, where SQLite's own busy
    handler sleeps in steps of up to 100 ms, and IMMEDIATE means a writer that
    read first cannot fail on a stale snapshot. PostgreSQL needs neither.
    """
    if not isinstance(central_db.obj, peewee.SqliteDatabase):
        with central_db.atomic():
            yield
        return
    with exclusive_lock(Path(f"{central_db.obj.database}.writelock")), central_db.atomic("IMMEDIATE"):
        yield


