"""``hymy backup`` and ``hymy restore``: the whole kiosk in one private file and back.

A backup is taken while the kiosk records and holds every rating committed
before it started; ``--list`` says what it holds and never the token or the
PIN hash; a restore refuses (a running kiosk, unsynced rows, a damaged or
foreign file) without changing anything; and after restoring an old backup the
ratings recorded from then on go to central above what it already holds, with
central reachable at the restore or down until later: every rating once, no
conflict, no quarantine, no gap.
"""
import errno
import hashlib
import json
import os
import sqlite3
import stat
import struct
import subprocess
import sys
import threading
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.cli import systemd_state
from kiosk.manager.pin import set_pin
from kiosk.storage import backup
from kiosk.storage.db import database
from kiosk.storage.outbox import SequenceNotContinued, SequenceShift
from tests.helpers.world import START, RecordingClock, cli, lose_at_central

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture
def clock():
    """The world's clock (tests/helpers/world.py), for the kiosk apps of every test here."""
    return RecordingClock(START)


def close_kiosk(app):
    """Stop a kiosk app as its process would end: nothing holds the database open any more."""
    app.extensions["hymy"].close()
    if not database.is_closed():
        database.close()


def data_dir_files(data_dir):
    """Every file of the data dir with its bytes (the lock files' pid notes aside)."""
    return {path.relative_to(data_dir): path.read_bytes() for path in sorted(data_dir.rglob("*"))
            if path.is_file() and not path.name.endswith(".lock")}


def one_line_failure(result, *expected):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hymy: "), result.output
    for text in expected:
        assert text in lines[0], result.output
    return lines[0]


def test_a_backup_taken_while_recording_holds_every_rating_committed_before_it(make_app, tmp_path):
    app = make_app()
    recorder = app.extensions["hymy"].recorder
    env = {"HYMY_DATA_DIR": str(tmp_path / "data"), "HYMY_CONFIG": None}
    committed, stop = [], threading.Event()

    def record():
        while not stop.is_set():  # durably, one commit each, as customers tap
            committed.append(recorder.record(len(committed) % 4 + 1, "touch").id)

    writer = threading.Thread(target=record)
    writer.start()
    try:
        while len(committed) < 50:
            stop.wait(0.01)
        before = list(committed)
        result = cli(["backup", str(tmp_path / "kiosk.zip")], env)
        during = len(committed)
    finally:
        stop.set()
        writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert len(committed) > during >= len(before)  # it went on recording throughout

    path = tmp_path / "kiosk.zip"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        (tmp_path / "copy.sqlite3").write_bytes(archive.read("hymy.sqlite3"))
    with closing(sqlite3.connect(tmp_path / "copy.sqlite3")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        held = {row[0] for row in copy.execute("SELECT id FROM rating")}
        seqs = [row[0] for row in copy.execute("SELECT seq FROM rating ORDER BY seq")]
    assert set(before) <= held
    assert seqs == list(range(1, len(seqs) + 1))
    assert f"ratings:         {len(held)} (follow-ups 0), highest seq {len(held)}" in result.output


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP])
def test_a_stick_that_keeps_no_file_modes_gets_the_backup_and_a_warning(make_app, tmp_path, monkeypatch, caplog,
                                                                        code):
    """FAT and exFAT refuse chmod (EPERM; some FUSE mounts EOPNOTSUPP): the backup is still written."""
    app = make_app()
    app.extensions["hymy"].recorder.record(4, "touch")
    env = {"HYMY_DATA_DIR": str(tmp_path / "data"), "HYMY_CONFIG": None}

    def refused(fd, mode):
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as mount:
        mount.setattr(backup.os, "fchmod", refused)  # what the kernel answers on such a mount
        result = cli(["backup", str(tmp_path / "stick.zip")], env)
    assert result.exit_code == 0, result.output
    assert "keeps no file modes" in caplog.text
    with zipfile.ZipFile(tmp_path / "stick.zip") as archive:
        assert archive.testzip() is None


def test_list_says_what_a_backup_holds_and_never_the_token_or_the_hash(make_world, tmp_path):
    world = make_world()
    world.record(6)
    world.sync_until_empty()
    world.record(3)  # waiting: 3 ratings, 1 follow-up
    set_pin(world.config.data_dir, "2468")
    path = tmp_path / "backups" / "kiosk.zip"
    path.parent.mkdir()
    assert world.kiosk_cli("backup", str(path)).exit_code == 0

    result = world.kiosk_cli("backup", "--list", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"backup:          {path}"
    assert f"kiosk id:        {world.kiosk_id}" in lines
    assert "ratings:         9 (follow-ups 3), highest seq 9" in lines
    assert "not yet synced:  4 pending, 0 quarantined" in lines
    assert f"central:         {world.central_url} as 'kamppi-1' at 'Kamppi'" in lines
    assert "manager PIN:     set" in lines
    assert "schema version" in result.output and "made:            20" in result.output
    assert world.token not in result.output and "scrypt" not in result.output
    with zipfile.ZipFile(path) as archive:
        assert world.token not in archive.read("manifest.json").decode()


def test_restore_refuses_damaged_foreign_and_unsynced_and_changes_nothing(make_app, tmp_path):
    app = make_app()
    data_dir = app.extensions["hymy"].config.data_dir
    env = {"HYMY_DATA_DIR": str(data_dir), "HYMY_CONFIG": None}
    recorder = app.extensions["hymy"].recorder
    for rating in (1, 2, 3):
        recorder.record(rating, "touch")
    good = tmp_path / "good.zip"
    assert cli(["backup", str(good)], env).exit_code == 0
    recorder.record(4, "button")
    close_kiosk(app)
    before = data_dir_files(data_dir)

    whole = good.read_bytes()
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as archive:
        offset = archive.getinfo("hymy.sqlite3").header_offset + 200
    damaged.write_bytes(whole[:offset] + bytes(b ^ 0xFF for b in whole[offset:offset + 64]) + whole[offset + 64:])
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) // 2])
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("notes.txt", "not a kiosk")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    forged = tmp_path / "forged.zip"  # a manifest that matches its members, but no SQLite database among them
    junk = b"not a database" * 100
    with zipfile.ZipFile(good) as original, zipfile.ZipFile(forged, "w") as archive:
        manifest = json.loads(original.read("manifest.json"))
        manifest["files"]["hymy.sqlite3"] = {"size": len(junk), "sha256": hashlib.sha256(junk).hexdigest()}
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("hymy.sqlite3", junk)
        archive.writestr("kiosk_id", original.read("kiosk_id"))
    encrypted = tmp_path / "encrypted.zip"  # as a zip tool with a password makes it
    encrypted.write_bytes(_central_directory_patched(good, "manifest.json", 8, 0x1))
    unknown_method = tmp_path / "aes.zip"  # compression method 99 (WinZip AES), which zipfile cannot read
    unknown_method.write_bytes(_central_directory_patched(good, "hymy.sqlite3", 10, 99))
    for path, expected in ((damaged, "damaged"), (truncated, "not a Hymy kiosk backup, or damaged"),
                           (encrypted, "is encrypted"), (unknown_method, "compression method"),
                           (forged, "damaged (the database cannot be read: file is not a database)"),
                           (foreign, "not a Hymy kiosk backup"), (text, "not a Hymy kiosk backup"),
                           (tmp_path / "missing.zip", "no such file")):
        for args in (["backup", "--list", str(path)], ["restore", "--force", str(path)]):
            if path == forged and "--list" in args:
                continue  # its checksums hold: only unpacking its database shows what it is
            one_line_failure(cli(args, env), str(path), expected)
            assert data_dir_files(data_dir) == before, (args, expected)

    # The kiosk holds a rating central does not have yet (recorded after the backup, never synced).
    line = one_line_failure(cli(["restore", str(good)], env), "holds 4 rows central does not have yet")
    assert "--force" in line and "nothing was changed" in line
    assert data_dir_files(data_dir) == before

    if os.geteuid() == 0:  # run as root on the kiosk user's data dir: what it restores would be root's alone
        os.chown(data_dir, 65534, -1)
        try:
            one_line_failure(cli(["restore", "--force", str(good)], env), "run hymy restore as that user")
        finally:
            os.chown(data_dir, 0, -1)
        assert data_dir_files(data_dir) == before


def _central_directory_patched(archive_path, member, offset, value):
    """The archive's bytes with a 2-byte field of *member*'s central directory entry set to *value*."""
    data = bytearray(archive_path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46:entry + 46 + name_length] == member.encode():
            struct.pack_into("<H", data, entry + offset, value)
            return bytes(data)
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise AssertionError(f"{member} not in {archive_path}")


@pytest.mark.slow
def test_restore_refuses_while_the_kiosk_runs(make_app, tmp_path, monkeypatch):
    app = make_app()
    data_dir = app.extensions["hymy"].config.data_dir
    env = {"HYMY_DATA_DIR": str(data_dir), "HYMY_CONFIG": None}
    assert cli(["backup", str(tmp_path / "kiosk.zip")], env).exit_code == 0
    close_kiosk(app)
    before = data_dir_files(data_dir)
    # A process holding data_dir/kiosk.lock, as a running hymy kiosk does (kiosk/storage/process_lock.py).
    code = ("import sys; from pathlib import Path; from kiosk.storage.process_lock import hold_running_lock\n"
            "with hold_running_lock(Path(sys.argv[1]), 'http://127.0.0.1:8000/'):\n"
            "    print('held', flush=True); sys.stdin.read()")
    with subprocess.Popen([sys.executable, "-c", code, str(data_dir)], cwd=ROOT, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline() == "held\n"
            one_line_failure(cli(["restore", "--force", str(tmp_path / "kiosk.zip")], env),
                             f"the kiosk is running on data_dir {data_dir} (pid {holder.pid})", "stop it first")
        finally:
            holder.stdin.close()  # it lets go of the lock and ends
    assert data_dir_files(data_dir) == before

    # systemd between two restarts of the kiosk: no lock held, but the unit is activating.
    runtime, bin_dir = tmp_path / "run-systemd", tmp_path / "bin"
    runtime.mkdir()
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text('#!/bin/sh\n[ "$1" = is-active ] && echo activating\n')
    (bin_dir / "systemctl").chmod(0o755)
    with monkeypatch.context() as systemd:
        systemd.setattr(systemd_state, "SYSTEMD_RUNTIME", runtime)
        systemd.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        one_line_failure(cli(["restore", "--force", str(tmp_path / "kiosk.zip")], env),
                         "systemd runs hymy-kiosk.service: stop it first")
    assert data_dir_files(data_dir) == before
    assert cli(["restore", "--force", str(tmp_path / "kiosk.zip")], env).exit_code == 0  # stopped: it goes ahead


def restart_kiosk(world, make_app):
    """A new kiosk process on the same data dir (after a restore), with a new uploader."""
    config = world.config
    world.app = make_app(sync_in_kiosk=False, clock_trusted="always", sync_backoff_base=config.sync_backoff_base,
                         sync_backoff_cap=config.sync_backoff_cap)
    world.uploader = world.make_uploader()


def restore(world, make_app, path, central_up):
    """Stop the kiosk, restore *path* (central reachable or not), start the kiosk again; the command's output."""
    close_kiosk(world.app)
    if not central_up:
        world.central.close()
    result = world.kiosk_cli("restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    restart_kiosk(world, make_app)
    return result.output


@pytest.mark.parametrize("central_up", [True, False], ids=["central-reachable", "central-down-until-later"])
def test_after_a_restore_new_ratings_go_to_central_above_what_it_holds(make_world, make_app, tmp_path, central_up):
    world = make_world()
    world.record(5)
    world.sync_until_empty()
    world.record(2)  # pending in the backup: central gets them later from the lost life, then again
    path = tmp_path / "kiosk.zip"
    assert world.kiosk_cli("backup", str(path)).exit_code == 0
    world.record(6)  # the life the backup does not hold; central has it all
    world.sync_until_empty()
    assert world.central_query("SELECT MAX(seq) FROM rating") == [(13,)]

    output = restore(world, make_app, path, central_up)
    if central_up:
        assert "seq 8 on this kiosk goes to central as seq 14" in output
    else:
        assert "central could not be asked now" in output and "next sync" in output
    world.record(4)  # from minute one, whether central answers yet or not
    if not central_up:
        assert "wait until central says" in world.status_lines()
        early = world.kiosk_cli("backup", str(tmp_path / "early.zip"))
        assert "make another backup after the next sync" in early.output
        world.restart_central()
    world.sync_until_empty()
    assert "seq 8 is central's 14" in world.status_lines()

    # A second restore of the same backup continues above the first one's ratings as well.
    restore(world, make_app, path, central_up=True)
    world.record(3)
    world.sync_until_empty()

    world.assert_exactly_once()  # every rating once, central's sequence 1..n without a gap, no conflict
    top = 13 + 4 + 3
    assert world.central_query("SELECT seq_contiguous, seq_highest FROM kiosk") == [(top, top)]
    assert world.quarantined() == {}
    with world.app.test_client() as client:
        health = client.get("/healthz").get_json()
    assert health["status"] == "ok", health["reasons"]
    assert health["sync"]["gap_error"] is None
    assert health["sync"]["central_sequence"] == {"contiguous": top, "highest": top, "gaps": []}


def test_after_a_restore_the_gap_proof_tells_ratings_lost_with_the_old_disk_from_missing_ones(make_world, make_app,
                                                                                              tmp_path):
    world = make_world()
    world.record(5, followup_every=0)
    world.sync_until_empty()
    path = tmp_path / "kiosk.zip"
    assert world.kiosk_cli("backup", str(path)).exit_code == 0
    world.record(5, followup_every=0)
    world.sync_until_empty()
    lose_at_central(world, 8)  # the lost life's seq 8 never reached central (set aside there, say)

    restore(world, make_app, path, central_up=True)
    world.record(3, followup_every=0)  # seq 6..8 here, central's 11..13
    world.sync_until_empty()
    with world.app.test_client() as client:
        health = client.get("/healthz").get_json()
    assert health["status"] == "ok", health["reasons"]  # central's gap at 8 is no rating this kiosk still has

    lose_at_central(world, 12)  # but one this kiosk recorded after the restore (its seq 7) is missing
    world.uploader.loop(max_passes=1)
    with world.app.test_client() as client:
        health = client.get("/healthz").get_json()
    assert health["sync"]["gap_error"] == "central lacks 1 rating(s) after a full sync, first seq 12"


def test_the_shift_maps_both_ways_across_two_restores():
    shift = SequenceShift().continued_after(10, "t1").learned(15)  # central held up to 15: local 11 is central's 16
    shift = shift.continued_after(20, "t2")
    assert shift.wire(10) == 10 and shift.wire(20) == 25
    with pytest.raises(SequenceNotContinued):
        shift.wire(21)
    assert shift.local(26) is None  # beyond a restore central has not placed yet
    shift = shift.learned(28)  # central holds up to 28 (the lost life's 26..28)
    assert [shift.wire(seq) for seq in (1, 10, 11, 20, 21)] == [1, 10, 16, 25, 29]
    assert [shift.local(wire) for wire in (10, 11, 15, 16, 25, 26, 28, 29)] == [10, None, None, 11, 20, None, None, 21]
    assert SequenceShift.parse(shift.state()) == shift
    assert shift.continued_after(20, "t3").segments[-1].after == 20  # a third restore appends
    assert SequenceShift().continued_after(0, "t").learned(0).wire(1) == 1  # nothing at central: nothing moves
