"""What ``hymy doctor`` finds in the kiosk's data dir: the database, its schema, the disk, the backlog.

Each check is one :class:`Check` a person can act on: ``ok``, ``warn``,
``fail`` (``hymy doctor`` exits 1) or ``skip`` (it could not run, e.g. there is
no database to read). Nothing here creates a file or changes one: doctor runs
beside a working kiosk, and on a data dir that was never used.
"""
import getpass
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import peewee

from kiosk.errors import StorageError
from kiosk.storage.db import connection, open_database_read_only
from kiosk.storage.health import LOW_DISK_BYTES, _duration, disk_space
from kiosk.storage.migrations import LATEST
from kiosk.storage.models import Outbox
from kiosk.storage.state import sync_state

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
#: Below this share of the data dir's file system free, doctor warns (under LOW_DISK_BYTES it fails).
LOW_DISK_SHARE = 0.10
RESTORE = "stop the kiosk and restore the latest backup with hymy restore"
AS_THE_KIOSK = "run hymy doctor as the kiosk's user (sudo -u hymy hymy doctor) or with sudo"


@dataclass(frozen=True)
class Check:
    """One line of ``hymy doctor``: which check, its status, and what to do when it is not ok."""

    check: str
    status: str
    detail: str


def database_checks(data_dir: Path, path: Path, busy_timeout_ms: int) -> tuple[list[Check], int | None]:
    """The ``database`` and ``schema`` checks, and the file's schema version (None when unread).

    The write check is a write that is rolled back: ``BEGIN IMMEDIATE``, then
    ``PRAGMA user_version`` set to the value it has, then ``ROLLBACK``. That is
    what a rating's commit needs (the write lock within ``busy_timeout_ms``, a
    file and file system SQLite may write) and it changes nothing: a rolled-back
    transaction writes no page, in any schema version. A temporary file in the
    data dir would only show that the directory takes new files.
    """
    denied = data_dir_denied(data_dir, path.name)
    if denied:
        return [Check("database", FAIL, denied), _skipped_schema()], None
    if not data_dir.is_dir():
        return [Check("database", FAIL, f"data_dir {data_dir} does not exist: the kiosk makes it on its first "
                      "start; if the kiosk runs elsewhere, point --config or HYMY_DATA_DIR at its data dir "
                      "(/var/lib/hymy under systemd)"), _skipped_schema()], None
    if not path.exists():
        return [Check("database", FAIL, f"no database in data_dir {data_dir} yet: the kiosk makes it on its first "
                      "start (sudo systemctl start hymy-kiosk, or hymy kiosk)"), _skipped_schema()], None
    try:
        # mode=rw: never create the file; isolation_level=None: the transaction below is exactly as written.
        with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=busy_timeout_ms / 1000,
                                     isolation_level=None)) as db:
            # A row may hold several problems, one a line, under a "*** in database main ***" heading.
            problems = [line for (row,) in db.execute("PRAGMA integrity_check") for line in row.splitlines()
                        if line.strip() and not line.startswith("***")]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if problems != ["ok"]:
                return [Check("database", FAIL, f"{path} fails integrity_check ({len(problems)} problems, the first: "
                              f"{problems[0]}): {RESTORE}"), _skipped_schema()], None
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(f"PRAGMA user_version = {version:d}")
            finally:
                db.execute("ROLLBACK")
    except sqlite3.DatabaseError as error:
        return [Check("database", FAIL, _database_failure(path, error, busy_timeout_ms)), _skipped_schema()], None
    return [Check("database", OK, f"{path} passes integrity_check and takes a write"), schema_check(version)], version


def data_dir_denied(data_dir: Path, name: str | None = None) -> str | None:
    """Why this user may not read *data_dir*, or the file *name* in it (the kiosk's user's, 0700
    and 0600), or None: doctor run as another user would otherwise misread them as missing or damaged."""
    try:
        if not data_dir.is_dir():
            return None
    except PermissionError:  # a folder above it is closed to this user
        denied_here = True
    else:
        denied_here = not _may(data_dir, os.R_OK | os.X_OK)
    if denied_here:
        where = data_dir
    elif name is not None and (data_dir / name).exists() and not _may(data_dir / name, os.R_OK):
        where = data_dir / name
    else:
        return None
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "of this process"
    return f"{where}: permission denied for user {user}: {AS_THE_KIOSK}"


def _may(path: Path, mode: int) -> bool:
    # As this process may (its effective user, as sudo -u gives), not as the user who logged in.
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _database_failure(path: Path, error: BaseException, busy_timeout_ms: int) -> str:
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return f"{path} is damaged ({error}): {RESTORE}"
    if name.startswith("SQLITE_READONLY"):
        return (f"{path} cannot be written ({error}): check that the file system is not read-only and that the "
                "files in data_dir belong to the kiosk's user")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (f"{path} stayed locked for more than busy_timeout_ms ({busy_timeout_ms} ms): another process "
                f"holds a long write (fuser {path} names it)")
    return f"{path} cannot be opened ({error}): check the owner and mode of the files in data_dir, or {AS_THE_KIOSK}"


def _skipped_schema() -> Check:
    return Check("schema", SKIP, "the database could not be read")


def schema_check(version: int) -> Check:
    """The file's ``user_version`` against this software's newest migration."""
    if version == LATEST:
        return Check("schema", OK, f"version {version}, this software's")
    if version > LATEST:
        return Check("schema", FAIL, f"version {version} is newer than this software's ({LATEST}): the kiosk "
                     "refuses to start on it; install the hymy release that made it (or newer)")
    return Check("schema", WARN, f"version {version} is older than this software's ({LATEST}): the kiosk upgrades "
                 "it at its next start and keeps a copy in data_dir/backups (sudo systemctl restart hymy-kiosk)")


def disk_check(data_dir: Path, fail_below: int = LOW_DISK_BYTES, warn_share: float = LOW_DISK_SHARE) -> Check:
    """Free space on the data dir's file system (the nearest existing folder's, before the kiosk made it)."""
    # The nearest folder this user can read the file system of: data_dir, or where it will be made.
    space = next(filter(None, (disk_space(folder) for folder in (data_dir, *data_dir.parents))), None)
    if space is None:
        return Check("disk", FAIL, f"cannot read the free space of data_dir {data_dir}: check that it is mounted")
    free, total = space
    share = free / total if total else 0.0
    said = f"{_size(free)} free of {_size(total)} ({share:.0%}) on the file system of data_dir {data_dir}"
    if free < fail_below:
        return Check("disk", FAIL, f"only {said}: ratings soon cannot be stored; free space there")
    if share < warn_share:
        return Check("disk", WARN, f"only {said}, under {warn_share:.0%}: free space there before it runs out")
    return Check("disk", OK, said)


def _size(count: float) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.1f} MB"


def sync_checks(path: Path, busy_timeout_ms: int, now: datetime, stale_after: float, enrolled: bool) -> list[Check]:
    """The ``backlog``, ``quarantine`` and ``sequence`` checks, read through the uploader's own
    models (``Outbox``, ``SyncState``) on a read-only connection. *path* must hold this
    software's schema (see :func:`database_checks`)."""
    try:
        open_database_read_only(path, busy_timeout_ms)
        with connection():
            return [_backlog(now, stale_after, enrolled), _quarantine(), _sequence()]
    except (StorageError, peewee.DatabaseError) as error:  # changed since the database check read it
        return [Check(name, FAIL, f"the database could not be read: {error}")
                for name in ("backlog", "quarantine", "sequence")]


def skipped_sync_checks(why: str) -> list[Check]:
    return [Check(name, SKIP, why) for name in ("backlog", "quarantine", "sequence")]


def _backlog(now: datetime, stale_after: float, enrolled: bool) -> Check:
    pending = Outbox.pending_count()
    last = sync_state.last_success_at
    last_sync = f"last sync {last}" if last else "never synced"
    if not pending:
        return Check("backlog", OK, f"nothing waiting to be sent ({last_sync})")
    oldest = Outbox.oldest_pending_time()
    age = (now - oldest).total_seconds() if oldest else 0.0
    rows = "1 row waits" if pending == 1 else f"{pending} rows wait"
    when = f"{_duration(age)} ago" if age >= 60 else "within the last minute"
    said = f"{rows} to be sent, the oldest recorded {when} ({last_sync})"
    if not enrolled:
        return Check("backlog", OK, f"{said}: they ship once the kiosk is enrolled")
    if age > stale_after:
        return Check("backlog", WARN, f"{said}, longer than sync_stale_after ({stale_after:g} s): see the central "
                     "check and hymy sync --status")
    return Check("backlog", OK, said)


def _quarantine() -> Check:
    count = Outbox.quarantined().count()
    if not count:
        return Check("quarantine", OK, "no row set aside")
    rows = "1 row" if count == 1 else f"{count} rows"
    return Check("quarantine", WARN, f"{rows} set aside (quarantined): see hymy sync --status "
                 "(hymy sync --requeue once central is fixed)")


def _sequence() -> Check:
    """Central's view of the kiosk's sequence, as the uploader left it after its last pass."""
    gap_error = sync_state.gap_error
    if gap_error:
        return Check("sequence", FAIL, f"{gap_error}: see hymy sync --status and central's database")
    sequence = sync_state.central_sequence
    if not sequence:
        return Check("sequence", OK, "central has not reported this kiosk's sequence yet")
    if sequence.get("gaps"):
        return Check("sequence", OK, f"central holds up to seq {sequence['highest']}; its gaps are rows still to "
                     "send or set aside")
    return Check("sequence", OK, f"central holds seq 1..{sequence['contiguous']} without gaps")
