"""SQLite plumbing the kiosk and central share: pragmas, a private database
file, one held-open connection per process, and a connection per unit of work.

Nothing here imports peewee: :func:`connection` takes any database object with
``is_closed``/``connect``/``close`` (a peewee database or a proxy of one).
"""
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, TypeVar

from sync.common.files import create_private_file, make_private_dir, narrow_if_exists, sync_directory

#: Copies taken before a schema upgrade, in ``backups/`` beside the database; the newest are kept.
KEEP_UPGRADE_BACKUPS = 3


class Database(Protocol):
    """A database handle that opens one connection per thread (peewee's ``Database``)."""

    def is_closed(self) -> bool: ...

    def connect(self) -> object: ...

    def close(self) -> object: ...


D = TypeVar("D", bound=Database)


def pragmas(busy_timeout_ms: int, cache_mb: int) -> dict[str, str | int]:
    """Durable before acknowledged: WAL with ``synchronous=FULL`` (every commit
    survives a power cut), foreign keys on, a busy timeout, *cache_mb* of page cache."""
    return {
        "journal_mode": "wal",
        "synchronous": "full",
        "foreign_keys": 1,
        "busy_timeout": busy_timeout_ms,
        "cache_size": -cache_mb * 1024,
    }


def create_database_file(path: Path) -> None:
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

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.execute("PRAGMA user_version").fetchone()

    def close(self) -> None:
        self._connection.close()


@contextmanager
def connection(db: D) -> Iterator[D]:
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


def online_backup(source: str | os.PathLike[str], target: Path) -> Path:
    """Copy the SQLite database *source* to *target* with SQLite's online backup API.

    The copy is consistent even while others write (what the WAL holds
    included, which a file copy could miss), private (0600), and appears only
    whole: it is written beside *target* and renamed into place after an fsync.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader, \
                closing(sqlite3.connect(partial)) as writer:
            reader.backup(writer)
            # One self-contained file: a copy in WAL mode would grow -wal and -shm files beside it
            # whenever it is read. Whoever opens it for real sets WAL again.
            writer.execute("PRAGMA journal_mode = DELETE")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sync_directory(target.parent)
    return target


def stored_version(path: Path) -> int | None:
    """``PRAGMA user_version`` of the SQLite file at *path*, read without writing to it; None if absent."""
    if not path.exists():
        return None
    wal = path.with_name(path.name + "-wal")
    # With no WAL content the file itself is current, and immutable=1 reads it without making the
    # -wal and -shm files a read-only WAL connection would leave behind; otherwise read through the WAL.
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    with closing(sqlite3.connect(f"file:{path}?{mode}", uri=True)) as reader:
        version: int = reader.execute("PRAGMA user_version").fetchone()[0]
        return version


def backup_before_upgrade(path: Path, version: int) -> Path:
    """Copy the database *path* at schema *version* into ``backups/`` beside it before an upgrade
    migrates it (``<name>-schema-v<version>-<UTC time>.sqlite3``); keep the newest few. Return the copy."""
    folder = path.parent / "backups"
    make_private_dir(folder)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    copy = online_backup(path, folder / f"{path.stem}-schema-v{version}-{stamp}.sqlite3")
    # The copy just made is always kept (a clock set back may stamp it before older ones); of the
    # others the newest by the time at the end of each name (by the whole name, v10 sorts below v9).
    others = sorted((old for old in folder.glob(f"{path.stem}-schema-v*.sqlite3") if old != copy),
                    key=lambda old: old.stem.rsplit("-", 1)[-1], reverse=True)
    for old in others[KEEP_UPGRADE_BACKUPS - 1:]:
        old.unlink()
    return copy
