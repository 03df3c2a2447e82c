"""``hymy backup`` and ``hymy restore``: the whole kiosk in one private file, and back.

A backup is made while the kiosk runs (SQLite's online backup API); a restore
refuses while it runs, and holds the kiosk's and the uploader's locks while it
replaces the data dir's database and small files (kiosk/storage/backup.py,
kiosk/storage/restore.py). After a restore, ratings recorded from then on go to
central above the highest seq it holds (kiosk/storage/outbox.py): ``restore`` asks
central at once when it can, else the uploader asks before it sends any of them.
"""
import os
import pwd
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import peewee

from kiosk.cli.kiosk_commands import load_kiosk_config, writable_data_dir
from kiosk.cli.options import config_option
from kiosk.cli.systemd_state import KIOSK_UNIT, kiosk_unit_running
from kiosk.config import KioskConfig
from kiosk.errors import StorageError
from kiosk.storage.backup import BackupError, make_backup, open_backup
from kiosk.storage.db import close_database, open_database
from kiosk.storage.enrollment import EnrollmentError
from kiosk.storage.process_lock import KioskAlreadyRunning, hold_running_lock, running_kiosk
from kiosk.storage.restore import restore_backup
from sync.common.cli_errors import CommandError
from sync.common.clock import SystemClock
from sync.uploader.client import CentralError
from sync.uploader.loop import AlreadyRunning, NotEnrolled, Uploader, sync_lock

path_argument = click.argument("path", type=click.Path(path_type=Path))


def describe(manifest: dict[str, Any]) -> list[str]:
    """What a backup holds, one line per fact (never the token or the PIN hash)."""
    counts, central = manifest["counts"], manifest.get("central")
    where = f"{central['url']} as {central.get('kiosk')!r} at {central.get('site')!r}" if central else "not enrolled"
    return [
        f"kiosk id:        {manifest['kiosk_id']}",
        f"made:            {manifest['made_at']}",
        f"software:        hymy {manifest['software_version']}, database schema version {manifest['schema_version']}",
        f"ratings:         {counts['ratings']} (follow-ups {counts['followups']}), highest seq "
        f"{manifest['highest_seq']}",
        f"not yet synced:  {counts['pending']} pending, {counts['quarantined']} quarantined",
        f"central:         {where}",
        f"manager PIN:     {'set' if manifest['pin_set'] else 'not set'}",
        *([] if not manifest.get("sequence_waiting") else [
            "note:            made after a restore, before central said where the sequence continues: "
            "make another backup after the next sync (restored once the kiosk has synced, this one's newest "
            "ratings would be set aside as conflicts)"]),
    ]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _list(path: Path) -> list[str]:
    try:
        with open_backup(path) as backup:
            backup.verify()
            return [f"backup:          {path}", *describe(backup.manifest)]
    except BackupError as error:
        raise CommandError(str(error)) from None


@click.command("backup")
@config_option
@click.option("--list", "listing", is_flag=True, help="Say what the backup at PATH holds (and check it); "
              "changes nothing.")
@path_argument
def backup_command(config_path: str | None, listing: bool, path: Path) -> None:
    """Copy the kiosk's database, id, enrollment and PIN hash into PATH (private; replaced atomically)."""
    if listing:
        for line in _list(path):
            click.echo(line)
        return
    if path.is_dir():
        raise CommandError(f"{path}: is a directory; name the backup file, e.g. {path / 'kiosk.hymy-backup'}",
                           exit_code=2)
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent}: no such directory; no backup was written", exit_code=2)
    config = load_kiosk_config(config_path)
    try:
        manifest = make_backup(config.data_dir, config.database_path, path, _now())
    except (BackupError, StorageError) as error:
        raise CommandError(f"{error}; no backup was written") from None
    except OSError as error:
        raise CommandError(f"{error.filename or path}: {error.strerror or error}; no backup was written") from None
    click.echo(f"wrote {path}")
    for line in describe(manifest):
        click.echo(line)


@click.command("restore")
@config_option
@click.option("--force", is_flag=True, help="Replace a database holding rows central does not have yet.")
@path_argument
def restore_command(config_path: str | None, force: bool, path: Path) -> None:
    """Put the kiosk in the backup at PATH back in place (the kiosk must be stopped)."""
    config = load_kiosk_config(config_path)
    data_dir = config.data_dir
    stop_it = f"the kiosk is running on data_dir {data_dir}"
    running = running_kiosk(data_dir)
    if running is not None:
        raise CommandError(f"{stop_it} (pid {running.pid}): stop it first (systemctl stop hymy-kiosk); "
                           "nothing was changed")
    if kiosk_unit_running():  # between two of systemd's restarts the lock is free for a moment
        raise CommandError(f"systemd runs {KIOSK_UNIT}: stop it first (systemctl stop hymy-kiosk); "
                           "nothing was changed")
    writable_data_dir(config)
    _check_owner(data_dir)
    try:
        with hold_running_lock(data_dir), sync_lock(data_dir):
            restored = restore_backup(path, data_dir, config.database_path, _now(), force=force)
    except KioskAlreadyRunning:
        raise CommandError(f"{stop_it}: stop it first (systemctl stop hymy-kiosk); nothing was changed") from None
    except AlreadyRunning:
        raise CommandError("an uploader (hymy sync) runs on this kiosk: stop it first; nothing was changed") from None
    except BackupError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"{error.filename or path}: {error.strerror or error}; the restore did not finish: "
                           "free the space or fix the permissions and run it again") from None
    manifest = restored.manifest
    click.echo(f"restored kiosk {manifest['kiosk_id']} from {path} (made {manifest['made_at']}): "
               f"{manifest['counts']['ratings']} ratings, highest seq {restored.continues_after}")
    if restored.unsynced_replaced:
        click.echo(f"replaced {restored.unsynced_replaced} rows central did not have (--force)")
    if restored.kept:
        click.echo(f"the replaced database is kept in {restored.kept}")
    click.echo(_continue_sequence(config, manifest["kiosk_id"], restored.continues_after))


def _check_owner(data_dir: Path) -> None:
    """Refuse to restore as another user than the data dir's: the kiosk could not read files restored 0600."""
    owner = data_dir.stat().st_uid
    if owner != os.geteuid():
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        raise CommandError(f"data_dir {data_dir} belongs to user {name}: run hymy restore as that user "
                           f"(sudo -u {name} …), or the kiosk could not read what it restores; nothing was changed")


def _continue_sequence(config: KioskConfig, kiosk_id: str, highest: int) -> str:
    """Ask central now where new ratings continue; one line saying what was found or when it will be."""
    later = "the kiosk asks central at its next sync, before it sends any rating recorded from now on"
    try:
        open_database(config.database_path, config.busy_timeout_ms)
        shift = Uploader(config, kiosk_id, SystemClock(config.clock_trusted)).continue_sequence()
    except NotEnrolled:
        return f"not enrolled: once enrolled, {later}"
    except (CentralError, EnrollmentError, AlreadyRunning, StorageError, peewee.DatabaseError) as error:
        return f"central could not be asked now ({error}): {later}"
    finally:
        close_database()
    return (f"new ratings continue above central's: seq {highest + 1} on this kiosk goes to central as "
            f"seq {shift.wire(highest + 1)}")
