"""The kiosk's local database: one SQLite file, durable before acknowledged.

The database object is deferred (``SqliteDatabase(None)``) and bound by
:func:`open_database`. WAL with ``synchronous=FULL`` makes every committed
answer survive a power cut; a busy timeout lets the uploader and the recorder
share the file. Requests open a connection per request; threads (button
callbacks, the uploader) wrap their work in ``database.connection_context()``.
"""
import logging

import peewee

from sync.common.files import make_private_dir
from sync.common.sqlite import WalKeeper, create_database_file, pragmas
from sync.common.sqlite import connection as shared_connection

from .migrations import migrate

log = logging.getLogger(__name__)

database = peewee.SqliteDatabase(None)


_keeper = None


def open_database(path, busy_timeout_ms=5000):
    """Bind the deferred database to *path*, creating and upgrading it."""
    make_private_dir(path.parent)
    create_database_file(path)
    database.init(
        str(path),
        # 8 MB of page cache (SQLite's default is 2 MB): a month-long backlog
        # keyed by random UUIDs stays cheap to read out, and a Pi Zero 2 W has room.
        pragmas=pragmas(busy_timeout_ms, cache_mb=8),
        timeout=busy_timeout_ms / 1000,
        check_same_thread=False,
    )
    with database.connection_context():
        version = migrate(database)
    _hold_open(path)
    log.info("database %s at schema version %d", path, version)
    return database


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


def connection():
    """This thread's open connection to the kiosk's database, or one for the block."""
    return shared_connection(database)
