"""The kiosk's local database: one SQLite file, durable before acknowledged.

The database object is deferred (``SqliteDatabase(None)``) and bound by
:func:`open_database`. WAL with ``synchronous=FULL`` makes every committed
answer survive a power cut; a busy timeout lets the uploader and the recorder
share the file. Requests open a connection per request; threads (button
callbacks, the uploader) wrap their work in ``database.connection_context()``.
"""
import logging
import sqlite3
from contextlib import contextmanager

import peewee

from .files import create_private_file, make_private_dir, narrow_if_exists
from .migrations import migrate

log = logging.getLogger(__name__)

database = peewee.SqliteDatabase(None)


class WalKeeper:
    """Holds one connection to a WAL database open for the life of the process.

    When the last connection to a WAL database closes, SQLite checkpoints and
    deletes the WAL, which costs extra syncs on every request that opens and
    closes its own connection; one idle connection keeps the WAL in place.
    Durability is unchanged: every commit still syncs.
    """

    def __init__(self, path):
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.execute("PRAGMA user_version").fetchone()

    def close(self):
        self._connection.close()


_keeper = None


def pragmas(busy_timeout_ms):
    return {
        "journal_mode": "wal",
        "synchronous": "full",
        "foreign_keys": 1,
        "busy_timeout": busy_timeout_ms,
        # 8 MB of page cache (SQLite's default is 2 MB): a month-long backlog
        # keyed by random UUIDs stays cheap to read out, and a Pi Zero 2 W has room.
        "cache_size": -8 * 1024,
    }


def open_database(path, busy_timeout_ms=5000):
    """Bind the deferred database to *path*, creating and upgrading it."""
    make_private_dir(path.parent)
    create_database_file(path)
    database.init(
        str(path),
        pragmas=pragmas(busy_timeout_ms),
        timeout=busy_timeout_ms / 1000,
        check_same_thread=False,
    )
    with database.connection_context():
        version = migrate(database)
    _hold_open(path)
    log.info("database %s at schema version %d", path, version)
    return database


def create_database_file(path):
    """Create the SQLite file 0600 before SQLite opens it: SQLite gives the
    -wal and -shm files the database file's mode, so they follow. Files an
    older version left readable by others are narrowed too."""
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        narrow_if_exists(path.with_name(path.name + suffix))


def _hold_open(path):
    global _keeper
    close_database()
    _keeper = WalKeeper(path)


def close_database():
    """Release the process's held connection (shutdown, tests)."""
    global _keeper
    if _keeper is not None:
        _keeper.close()
        _keeper = None


def init_app(app):
    """Open the database for *app* and give each request its own connection."""
    config = app.config["HYMY"]
    open_database(config.database_path, config.busy_timeout_ms)

    @app.before_request
    def _connect():
        try:
            database.connect(reuse_if_open=True)
        except peewee.DatabaseError as error:
            # Left closed: the view connects again where it can answer for it
            # (the recorder with 503, /healthz with the database's state).
            log.error("could not open the database: %s", error)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


@contextmanager
def connection(db=database):
    """Use this thread's open connection to *db*, or open one for the block.

    Unlike ``db.connection_context()`` this leaves a connection that was
    already open (a request's) open, so the same code works when called from a
    view, a button thread or a command. Central's database uses it too.
    """
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield db
    finally:
        if opened:
            db.close()
