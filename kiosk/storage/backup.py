"""A kiosk's backup: one private file holding everything that makes the kiosk this kiosk.

``hymy backup PATH`` writes a zip archive of:

- ``manifest.json``: what it holds (kiosk id, when it was made, software and
  schema version, counts, highest seq, the central it is enrolled with, whether
  a PIN is set; never the token or the PIN hash) and the size and SHA-256 of
  every other member;
- ``hymy.sqlite3``: a copy taken with SQLite's online backup API, consistent
  while the kiosk goes on recording, and checked with ``PRAGMA integrity_check``;
- the data dir's small files that exist: ``kiosk_id``, ``enrollment.json``
  (central's URL and the kiosk's token), ``manager_pin`` (the PIN's hash) and
  ``central_content.json``.

Why a zip rather than a tar: every member carries its own CRC-32 and the
archive ends with a directory, so a truncated or damaged file shows when it is
read (a plain tar has no checksum over the contents), the manifest is read
without unpacking the database, and ``unzip -l`` opens it anywhere. The
manifest's SHA-256 also catches a member swapped for another. The file is
written 0600 beside its final name and renamed into place: it holds the token.

Restoring lives in kiosk/storage/restore.py; both check a file with :func:`open_backup`.
"""
import errno
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import uuid
import zipfile
import zlib
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from kiosk.storage.content_store import CENTRAL_CONTENT_FILE
from kiosk.storage.enrollment import ENROLLMENT_FILE
from kiosk.storage.identity import KIOSK_ID_FILE, kiosk_id
from kiosk.storage.migrations import LATEST
from kiosk.storage.outbox import SEQUENCE_SHIFT_KEY, SequenceShift
from sync.common.files import PRIVATE_FILE, sync_directory
from sync.common.sqlite import online_backup
from sync.common.version import software_version
from sync.wire.errors import HymyError
from sync.wire.protocol import format_time

FORMAT = "hymy-kiosk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "hymy.sqlite3"
#: kiosk/manager/pin.py's file (the PIN belongs to the faces, which kiosk storage does not import).
PIN_FILE = "manager_pin"
SMALL_FILES = (KIOSK_ID_FILE, ENROLLMENT_FILE, PIN_FILE, CENTRAL_CONTENT_FILE)
#: Larger than any small file the kiosk writes; a bigger member is not ours.
SMALL_FILE_MAX = 1024 * 1024
#: manifest key -> type; bool is kept apart from int (in Python a bool is an int).
MANIFEST_FIELDS = {"kiosk_id": str, "made_at": str, "software_version": str, "schema_version": int,
                   "highest_seq": int, "pin_set": bool, "counts": dict, "files": dict}
COUNTS = ("ratings", "followups", "pending", "quarantined")

log = logging.getLogger(__name__)


class BackupError(HymyError, ValueError):
    """A backup cannot be made, read or restored; the message says why and what to do."""


def make_backup(data_dir: Path, database_path: Path, target: Path, now: datetime) -> dict[str, Any]:
    """Write a backup of the kiosk in *data_dir* to *target* (replacing a file there
    atomically); return its manifest. Works while the kiosk records."""
    if not database_path.exists():
        raise BackupError(f"data_dir {data_dir}: no kiosk database yet (the kiosk makes it on its first start)")
    identity = kiosk_id(data_dir, create=False)
    files = {}
    for name in SMALL_FILES:
        try:
            files[name] = (data_dir / name).read_bytes()
        except FileNotFoundError:
            continue
    with tempfile.TemporaryDirectory(prefix=".hymy-backup-", dir=target.parent) as work:
        try:
            copy = online_backup(database_path, Path(work) / DATABASE)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"the kiosk's database {database_path} cannot be read: {error}") from None
        facts = database_facts(copy)
        digests = {DATABASE: _digest(copy), **{name: _digest_bytes(data) for name, data in files.items()}}
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "kiosk_id": identity,
                    "made_at": format_time(now), "software_version": software_version(), **facts,
                    "central": _central(files.get(ENROLLMENT_FILE)), "pin_set": bool(files.get(PIN_FILE, b"").strip()),
                    "files": digests}
        _write_archive(target, manifest, copy, files)
    return manifest


def database_facts(path: Path) -> dict[str, Any]:
    """Schema version, counts and highest seq of the SQLite file *path*, after
    ``PRAGMA integrity_check`` passed; BackupError when it does not."""
    try:
        return _facts(path)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database cannot be read: {error}") from None


def _facts(path):
    with closing(sqlite3.connect(path)) as db:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the database fails SQLite's integrity check: {problems[0]}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST:
            raise BackupError(f"the database is at schema version {version}, newer than this software's ({LATEST}): "
                              "upgrade hymy")
        ratings, highest = db.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM rating").fetchone()
        followups = db.execute("SELECT COUNT(*) FROM followup").fetchone()[0]
        # Quarantine came with schema version 3: before it every outbox row was pending.
        waiting = "quarantined_at IS NULL" if version >= 3 else "1"
        pending, quarantined = db.execute(
            f"SELECT COUNT(*) FILTER (WHERE {waiting}), COUNT(*) FILTER (WHERE NOT ({waiting})) FROM outbox").fetchone()
        # Device state came with schema version 4 (read here: the models are bound to the live database).
        shift = None
        if version >= 4:
            shift = db.execute("SELECT value FROM kiosk_state WHERE key = ?", (SEQUENCE_SHIFT_KEY,)).fetchone()
    return {"schema_version": version, "highest_seq": highest,
            "counts": {"ratings": ratings, "followups": followups, "pending": pending, "quarantined": quarantined},
            "sequence_waiting": shift is not None and not SequenceShift.parse(json.loads(shift[0])).known}


def _central(enrollment):
    """Where the enrollment points (never its token), or None."""
    try:
        record = json.loads(enrollment) if enrollment else None
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        return None
    return {key: str(record.get(key, "")) for key in ("url", "kiosk", "site")}


def _digest(path):
    with open(path, "rb") as f:
        return {"size": os.fstat(f.fileno()).st_size, "sha256": hashlib.file_digest(f, "sha256").hexdigest()}


def _digest_bytes(data):
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


#: What chmod says on a filesystem without Unix modes (FAT, exFAT, some FUSE mounts).
_NO_MODES = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS)


def _make_private(fd, target):
    """0600 where the filesystem keeps modes; a FAT or exFAT USB stick has none to set (EPERM)."""
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except OSError as error:
        if error.errno not in _NO_MODES:
            raise
        log.warning("%s: this filesystem keeps no file modes (FAT?): anyone who can read the stick can read "
                    "the backup", target)


def _write_archive(target, manifest, database_copy, files):
    """The archive at *target*, whole or not at all: written 0600 beside it, synced, renamed."""
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            _make_private(out.fileno(), target)
            # strict_timestamps off: a Pi without a set clock may stamp files before 1980, which zip cannot hold.
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
                archive.write(database_copy, DATABASE)
                for name, data in files.items():
                    archive.writestr(name, data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    sync_directory(target.parent)


# -- reading -------------------------------------------------------------------------
class Backup:
    """An opened backup whose manifest passed its checks; read members with :meth:`copy_member`.

    Use it as a context manager. Every member read is checked against the
    manifest's size and SHA-256 (and zip's own CRC-32).
    """

    def __init__(self, path: Path, archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
        self.path, self.archive, self.manifest = path, archive, manifest

    def __enter__(self) -> "Backup":
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def damaged(self, why: str) -> BackupError:
        return BackupError(f"{self.path}: damaged ({why}); nothing was changed")

    def copy_member(self, name: str, out: IO[bytes] | None = None) -> bytes:
        """Member *name*'s bytes (written to the open file *out* instead, when given); checked."""
        expected = self.manifest["files"][name]
        digest, size, chunks = hashlib.sha256(), 0, list[bytes]()
        try:
            if self.archive.getinfo(name).file_size != expected.get("size"):
                # Checked before unpacking: a member that says it is larger than its manifest is not unpacked at all.
                raise self.damaged(f"{name} does not match its manifest")
            with self.archive.open(name) as member:
                while chunk := member.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
                    if out is None and size > SMALL_FILE_MAX:
                        raise self.damaged(f"{name} is larger than any file of a kiosk's data dir")
                    if out is None:
                        chunks.append(chunk)
                    else:
                        out.write(chunk)
        except KeyError:
            raise self.damaged(f"{name} is missing") from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise self.damaged(f"{name}: {error}") from None
        except (RuntimeError, NotImplementedError) as error:  # zipfile: encrypted, or an unknown compression
            raise self.damaged(f"{name}: {error}") from None
        if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
            raise self.damaged(f"{name} does not match its manifest")
        return b"".join(chunks)

    def verify(self) -> None:
        """Read every member once: a damaged file says so here, not halfway through a restore."""
        with open(os.devnull, "wb") as sink:
            for name in self.manifest["files"]:
                self.copy_member(name, None if name != DATABASE else sink)


def open_backup(path: str | os.PathLike[str]) -> Backup:
    """The :class:`Backup` at *path*, or BackupError: missing, not a kiosk backup, or damaged."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except OSError as error:
        raise BackupError(f"{path}: {error.strerror or error}") from None
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise BackupError(f"{path}: not a Hymy kiosk backup, or damaged (not a readable zip archive); "
                          "nothing was changed") from None
    try:
        return Backup(path, archive, _manifest(path, archive))
    except BaseException:
        archive.close()
        raise


def _manifest(path, archive):
    foreign = BackupError(f"{path}: not a Hymy kiosk backup (no manifest of one); nothing was changed")
    try:
        if archive.getinfo(MANIFEST).file_size > SMALL_FILE_MAX:
            raise foreign
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise foreign from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError, NotImplementedError) as error:
        # RuntimeError and NotImplementedError: zipfile's words for encrypted or unknown compression.
        raise BackupError(f"{path}: damaged ({MANIFEST}: {error}); nothing was changed") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise foreign
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format {manifest.get('format_version')!r} is not this software's "
                          f"({FORMAT_VERSION}): use the hymy release that made it")
    problem = _manifest_problem(manifest)
    if problem:
        raise BackupError(f"{path}: damaged ({MANIFEST}: {problem}); nothing was changed")
    return manifest


def _manifest_problem(manifest):
    for key, kind in MANIFEST_FIELDS.items():
        value = manifest.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{key} missing or not a {kind.__name__}"
    try:
        uuid.UUID(manifest["kiosk_id"])
    except ValueError:
        return "kiosk_id is not a UUID"
    if not all(_whole(manifest["counts"].get(key)) for key in COUNTS):
        return "counts incomplete"
    files = manifest["files"]
    if not {DATABASE, KIOSK_ID_FILE} <= set(files) <= {DATABASE, *SMALL_FILES}:
        return "files lists other members than a kiosk's"
    if not all(isinstance(entry, dict) for entry in files.values()):
        return "files malformed"
    central = manifest.get("central")
    if central is not None and not (isinstance(central, dict) and all(isinstance(v, str) for v in central.values())):
        return "central malformed"
    return None


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0

