"""The kiosk's local database: one SQLite file, durable before acknowledged.

The database object is deferred (``SqliteDatabase(None)``) and bound by
:func:`open_database`. WAL with ``synchronous=FULL`` makes every committed
answer survive a power cut; a busy timeout lets the uploader and the recorder
share the file. Requests open a connection per request; threads (button
callbacks, the uploader) wrap their work in ``database.connection_context()``.
"""
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import peewee

from kiosk.errors import StorageError
from kiosk.storage.migrations import LATEST, migrate, newer_error, schema_version
from sync.common.files import make_private_dir
from sync.common.sqlite import WalKeeper, backup_before_upgrade, create_database_file, pragmas, stored_version
from sync.common.sqlite import connection as shared_connection

log = logging.getLogger(__name__)

database = peewee.SqliteDatabase(None)


_keeper: WalKeeper | None = None


def refuse_newer(path: Path) -> int | None:
    """The schema version stored in *path* (None: no database yet), read without writing;
    StorageError for a database a newer hymy made, which this one must not touch."""
    try:
        version = stored_version(path)
    except sqlite3.DatabaseError as error:  # not a database, or damaged: as peewee would say it
        raise peewee.DatabaseError(str(error)) from error
    if version is not None and version > LATEST:
        raise newer_error(path, version)
    return version


def open_database(path: Path, busy_timeout_ms: int = 5000) -> peewee.SqliteDatabase:
    """Bind the deferred database to *path*, creating and upgrading it.

    A database made by a newer hymy is refused before anything opens it for
    writing. One made by an older hymy is first copied (SQLite's online backup,
    ``data_dir/backups/hymy-schema-vN-<time>.sqlite3``), then migrated in one
    transaction: an upgrade that goes wrong leaves the old file and a copy.
    """
    make_private_dir(path.parent)
    version = refuse_newer(path)
    if version is not None and 0 < version < LATEST:
        copy = backup_before_upgrade(path, version)
        log.info("database %s at schema version %d: kept a copy in %s before upgrading to %d",
                 path, version, copy, LATEST)
    create_database_file(path)
    database.init(
        str(path),
        # 8 MB of page cache (SQLite's default is 2 MB): a month-long backlog
        # keyed by random UUIDs stays cheap to read out, and a Pi Zero 2 W has room.
        pragmas=pragmas(busy_timeout_ms, cache_mb=8),
        timeout=busy_timeout_ms / 1000,  # type: ignore[arg-type]  # sqlite3 takes float seconds; peewee's stub says int
        check_same_thread=False,
    )
    with database.connection_context():
        version = migrate(database)
    _hold_open(path)
    log.info("database %s at schema version %d", path, version)
    return database


def open_database_read_only(path: Path, busy_timeout_ms: int = 5000) -> peewee.SqliteDatabase:
    """Bind the deferred database to *path* for reading only: status commands
    must not create a data dir, a database or a migration as a side effect.

    SQLite opens it with ``mode=ro``; a database that is missing, or at another
    schema version than this software's, is a :class:`StorageError` naming what to do.
    """
    if not path.exists():
        raise StorageError(f"data_dir {path.parent}: no kiosk database yet (the kiosk makes it on its first start)")
    # On a read-only file system SQLite cannot make the WAL's shared-memory
    # file; nothing can change the database there, so it is opened immutable.
    read_only_fs = os.statvfs(path).f_flag & os.ST_RDONLY
    database.init(f"file:{path}?{'immutable=1' if read_only_fs else 'mode=ro'}", uri=True,
                  timeout=busy_timeout_ms / 1000,  # type: ignore[arg-type]  # as in open_database
                  check_same_thread=False, pragmas={"busy_timeout": busy_timeout_ms, "query_only": 1})
    with database.connection_context():
        version = schema_version(database)
    if version != LATEST:
        newer = ("newer than this software; upgrade hymy" if version > LATEST
                 else "older; start the kiosk once to upgrade it")
        raise StorageError(f"database {path}: schema version {version} is {newer} (this software: {LATEST})")
    return database


def _hold_open(path: Path) -> None:
    global _keeper
    close_database()
    _keeper = WalKeeper(path)


def close_database() -> None:
    """Release the process's held connection (shutdown, tests)."""
    global _keeper
    if _keeper is not None:
        _keeper.close()
        _keeper = None


def init_app(app: Any) -> None:  # a Flask app: storage imports no web framework (.importlinter)
    """Open the database for *app* and give each request its own connection."""
    config = app.config["HYMY"]
    open_database(config.database_path, config.busy_timeout_ms)

    @app.before_request
    def _connect() -> None:
        try:
            database.connect(reuse_if_open=True)
        except peewee.DatabaseError as error:
            # Left closed: the view connects again where it can answer for it
            # (the recorder with 503, /healthz with the database's state).
            log.error("could not open the database: %s", error)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()


def connection() -> AbstractContextManager[peewee.SqliteDatabase]:
    """This thread's open connection to the kiosk's database, or one for the block."""
    return shared_connection(database)


@contextmanager
def stored(what: str) -> Iterator[None]:
    """Make sure this thread has a connection; turn database failures into StorageError.

    A button thread keeps its connection for the next press (opening one costs
    more than the commit); a request's is closed at the request's teardown.
    """
    try:
        database.connect(reuse_if_open=True)
        yield
    except (peewee.DatabaseError, sqlite3.DatabaseError) as error:  # the hot path runs sqlite3's own statements
        log.error("could not store the %s: %s", what, error)
        raise StorageError(f"could not store the {what}: {error}") from error
