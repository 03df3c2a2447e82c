"""SQLite plumbing the kiosk and central share: pragmas, a private database
file, one held-open connection per process, and a connection per unit of work.

Nothing here imports peewee: :func:`connection` takes any database object with
``is_closed``/``connect``/``close`` (a peewee database or a proxy of one).
"""
import sqlite3
from contextlib import contextmanager

from .files import create_private_file, narrow_if_exists


def pragmas(busy_timeout_ms, cache_mb):
    """Durable before acknowledged: WAL with ``synchronous=FULL`` (every commit
    survives a power cut), foreign keys on, a busy timeout, *cache_mb* of page cache."""
    return {
        "journal_mode": "wal",
        "synchronous": "full",
        "foreign_keys": 1,
        "busy_timeout": busy_timeout_ms,
        "cache_size": -cache_mb * 1024,
    }


def create_database_file(path):
    """Create the SQLite file 0600 before SQLite opens it: SQLite gives the
    -wal and -shm files the database file's mode, so they follow. Files an
    older version left readable by others are narrowed too."""
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        narrow_if_exists(path.with_name(path.name + suffix))


class WalKeeper:
    """Holds one connection to a WAL database open for the life of the process.

    When the last connection to a WAL database closes, SQLite checkpoints and
    deletes the WAL, which costs extra syncs on every request that opens and
    closes its own connection; one idle connection keeps the WAL in place.
    Durability is unchanged: every commit still syncs. Open it after the
    database is in WAL mode, or the first real connection's close removes the
    WAL all the same.
    """

    def __init__(self, path):
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.execute("PRAGMA user_version").fetchone()

    def close(self):
        self._connection.close()


@contextmanager
def connection(db):
    """Use this thread's open connection to *db*, or open one for the block.

    Unlike peewee's ``connection_context()`` this leaves a connection that was
    already open (a request's) open, so the same code works when called from a
    view, a button thread or a command.
    """
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield db
    finally:
        if opened:
            db.close()
