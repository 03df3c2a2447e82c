"""Restoring a backup (kiosk/storage/backup.py) into a kiosk's data dir.

Everything that can refuse does so before anything changes: the whole file is
read and checked (zip's CRC-32, the manifest's SHA-256, SQLite's integrity
check, a schema this software can open), and a database holding rows central
does not have yet is replaced only when asked to (``force``). The database to
be restored is unpacked beside the kiosk's, migrated, and given a new segment
of the sequence shift (kiosk/storage/outbox.py) in its own transaction, so the
swapped-in file already says that ratings recorded from now on go to central
above what it holds. The replaced database is kept in ``data_dir/backups/``.

The caller makes sure no kiosk and no uploader uses the data dir meanwhile
(``hymy restore`` holds ``kiosk.lock`` and ``sync.lock``).
"""
import json
import os
import shutil
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from kiosk.storage.backup import DATABASE, SMALL_FILES, BackupError, database_facts, open_backup
from kiosk.storage.enrollment import ENROLLMENT_FILE
from kiosk.storage.identity import KIOSK_ID_FILE
from kiosk.storage.migrations import migrate
from kiosk.storage.outbox import SEQUENCE_SHIFT_KEY, SequenceShift
from sync.common.files import create_private_file, make_private_dir, replace_file, sync_directory
from sync.common.sqlite import online_backup
from sync.wire.protocol import format_time

#: The uploader's memory of central that a restored database holds from the day it was backed up:
#: central's view of the sequence and a gap verdict from then, a refusal long gone. The next sync says anew.
STALE_SYNC_STATE = ("central_sequence", "gap_error", "token_refused")


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]  # the backup's
    kept: Path | None  # the copy of the replaced database, or None when there was none
    unsynced_replaced: int  # rows of the replaced database central did not have (only with force)
    continues_after: int  # the highest local seq restored: new ratings follow it


def restore_backup(
    path: str | os.PathLike[str], data_dir: Path, database_path: Path, now: datetime, force: bool = False
) -> "Restored":
    """Put the backup at *path* in place of the kiosk in *data_dir*; return :class:`Restored`.

    :raises BackupError: the file is missing, foreign or damaged, or the
        current database holds unsynced rows (or cannot be read) and *force*
        is false. Nothing has changed then.
    """
    incoming = data_dir / f".{database_path.name}.restoring"
    with open_backup(path) as backup:
        make_private_dir(data_dir)
        incoming.unlink(missing_ok=True)
        create_private_file(incoming)
        try:
            with open(incoming, "wb") as out:
                backup.copy_member(DATABASE, out)
                out.flush()
                os.fsync(out.fileno())
            files = {name: backup.copy_member(name) for name in SMALL_FILES if name in backup.manifest["files"]}
            _check_small_files(backup, files)
            try:
                database_facts(incoming)
            except BackupError as error:
                raise backup.damaged(str(error)) from None
            unsynced = _unsynced_rows(database_path, force)
            try:
                highest = _prepare(incoming, now)
            except peewee.DatabaseError as error:
                raise backup.damaged(f"its database cannot be upgraded: {error}") from None
            kept = _keep_current(database_path, data_dir, now)
            _swap(incoming, database_path)
        finally:
            incoming.unlink(missing_ok=True)
        # The database is in place; the small files follow (a power cut between: run the restore again).
        for name in SMALL_FILES:
            if name in files:
                replace_file(data_dir / name, files[name].decode("utf-8"))
            else:
                (data_dir / name).unlink(missing_ok=True)  # the kiosk as backed up had none (not enrolled, no PIN)
        return Restored(backup.manifest, kept, unsynced, highest)


def _check_small_files(backup, files):
    """The small files are what the kiosk writes: a UUID (the manifest's), UTF-8 text, JSON objects."""
    try:
        texts = {name: data.decode("utf-8") for name, data in files.items()}
        identity = str(uuid.UUID(texts[KIOSK_ID_FILE].strip()))
        records = {name: json.loads(text) for name, text in texts.items() if name.endswith(".json")}
    except (ValueError, KeyError) as error:
        raise backup.damaged(f"a file of the data dir is unreadable: {error}") from None
    if identity != backup.manifest["kiosk_id"]:
        raise backup.damaged(f"{KIOSK_ID_FILE} is not the manifest's kiosk")
    if not all(isinstance(record, dict) for record in records.values()):
        raise backup.damaged("a JSON file of the data dir is not an object")
    if ENROLLMENT_FILE in records and not {"url", "token"} <= set(records[ENROLLMENT_FILE]):
        raise backup.damaged(f"{ENROLLMENT_FILE} lacks the URL or the token")


def _unsynced_rows(database_path, force):
    """Rows waiting for central (pending or quarantined) in the current database; 0 when there is none.

    Refuses (BackupError) when there are some, or the database cannot be read, unless *force*.
    """
    if not database_path.exists():
        return 0
    try:
        with closing(sqlite3.connect(database_path, timeout=5)) as db:
            has_outbox = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone()
            count = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] if has_outbox else 0
    except sqlite3.DatabaseError as error:
        if force:
            return 0
        raise BackupError(f"the kiosk's database {database_path} cannot be read ({error}); hymy restore --force "
                          "replaces it (a copy is kept in data_dir/backups); nothing was changed") from None
    if count and not force:
        rows = "1 row" if count == 1 else f"{count} rows"
        raise BackupError(f"the kiosk's database holds {rows} central does not have yet: sync first (hymy sync), "
                          "or replace them with hymy restore --force (a copy is kept in data_dir/backups); "
                          "nothing was changed")
    return count


def _prepare(path, now):
    """Migrate the unpacked database, open a new segment of the sequence shift after its
    highest seq and forget central's stale view, in one transaction; the highest seq."""
    db = peewee.SqliteDatabase(str(path), pragmas={"foreign_keys": 1})
    # Raw statements on a database of its own: the models are bound to the kiosk's live database.
    with db.connection_context():
        migrate(db)
        with db.atomic("IMMEDIATE"):
            highest = db.execute_sql("SELECT COALESCE(MAX(seq), 0) FROM rating").fetchone()[0]
            row = db.execute_sql("SELECT value FROM kiosk_state WHERE key = ?", (SEQUENCE_SHIFT_KEY,)).fetchone()
            try:
                shift = SequenceShift.parse(json.loads(row[0]) if row else [])
            except (ValueError, KeyError, TypeError) as error:
                raise BackupError(f"the backup's sequence shift is unreadable ({error}); nothing was changed") from None
            shift = shift.continued_after(highest, format_time(now))
            db.execute_sql("INSERT OR REPLACE INTO kiosk_state (key, value) VALUES (?, ?)",
                           (SEQUENCE_SHIFT_KEY, json.dumps(shift.state())))
            marks = ", ".join("?" for _ in STALE_SYNC_STATE)
            db.execute_sql(f"DELETE FROM sync_state WHERE key IN ({marks})", STALE_SYNC_STATE)
    with open(path, "rb") as written:
        os.fsync(written.fileno())
    return highest


def _keep_current(database_path, data_dir, now):
    """Copy the database about to be replaced into ``data_dir/backups/``; its path, or None."""
    if not database_path.exists():
        return None
    folder = data_dir / "backups"
    make_private_dir(folder)
    copy = folder / f"{database_path.stem}-before-restore-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.sqlite3"
    try:
        return online_backup(database_path, copy)
    except sqlite3.DatabaseError:
        # A database SQLite cannot read is kept as found, its write-ahead log beside it.
        for suffix in ("", "-wal"):
            source = database_path.with_name(database_path.name + suffix)
            if source.exists():
                create_private_file(copy.with_name(copy.name + suffix))
                shutil.copyfile(source, copy.with_name(copy.name + suffix))
        return copy


def _swap(incoming, database_path) -> None:
    """Move *incoming* into place. The old database's write-ahead log is first folded into it and
    removed: SQLite would otherwise apply that log to the new file, which would corrupt it."""
    if database_path.exists():
        try:
            with closing(sqlite3.connect(database_path, timeout=5)) as db:
                db.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.DatabaseError:
            pass  # unreadable: its copy was kept as found, and its logs go with it
        for suffix in ("-wal", "-shm", "-journal"):
            database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    os.replace(incoming, database_path)
    sync_directory(database_path.parent)
