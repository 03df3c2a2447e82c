"""``/healthz`` tells the truth, and ``hymy sync --status`` opens with the same
verdict: ``degraded`` with a reason a person can act on whenever data is not
flowing (token refused, no sync for ``sync_stale_after``, rows quarantined, a
sequence gap), ``ok`` only when none holds, 503 only when the database fails."""
import ast
import os
import stat
from pathlib import Path

import kiosk.storage.health
from tests.helpers.world import forge_followup, lose_at_central

ENROLL_AGAIN = "central refused this kiosk's token (revoked?): enroll again with hymy enroll"


def verdict(world):
    """``(status, reasons)`` from ``/healthz``, checked to be what ``hymy sync --status`` says first."""
    with world.app.test_client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    lines = world.status_lines().splitlines()
    reasons = body["reasons"]
    assert lines[0] == f"status:          {body['status']}"
    assert lines[1:1 + len(reasons)] == [f"  - {reason}" for reason in reasons]
    assert lines[1 + len(reasons)].startswith("kiosk id:")
    assert (body["status"] == "ok") == (reasons == [])
    return body["status"], reasons


def test_not_enrolled_is_ok(make_world):
    world = make_world(enroll=False)
    world.record(3)
    world.advance(world.config.sync_stale_after * 10)
    assert verdict(world) == ("ok", [])
    with world.app.test_client() as client:
        assert client.get("/healthz").get_json()["sync"]["enrolled"] is False


def test_enrolled_and_recently_synced_is_ok_until_stale(world):
    stale_after = world.config.sync_stale_after
    world.advance(stale_after - 60)  # enrolled an hour ago, never synced: not stale yet
    assert verdict(world) == ("ok", [])
    world.advance(120)
    assert verdict(world) == ("degraded", ["no successful sync in the 1 h 1 min since enrollment and no failed pass "
                                           "either: is the uploader running (sync_in_kiosk, or hymy sync --loop)?"])
    world.record(4)
    world.uploader.loop(max_passes=1)
    assert verdict(world) == ("ok", [])

    world.advance(stale_after + 12 * 60)
    assert verdict(world) == ("degraded", ["no successful sync for 1 h 12 min and no failed pass either: is the "
                                           "uploader running (sync_in_kiosk, or hymy sync --loop)?"])
    world.central.close()
    world.uploader.loop(max_passes=1)
    status, reasons = verdict(world)
    assert status == "degraded"
    assert reasons == ["no successful sync for 1 h 12 min (last error: central unreachable: ConnectionError)"]

    world.restart_central()
    world.uploader.loop(max_passes=1)
    assert verdict(world) == ("ok", [])


def test_a_revoked_token_is_degraded_until_central_takes_it_again(world):
    world.record(2)
    world.uploader.loop(max_passes=1)
    world.central_cli("revoke-kiosk", "kamppi-1")
    world.record(2)
    world.uploader.loop(max_passes=1)
    assert verdict(world) == ("degraded", [ENROLL_AGAIN])
    assert "HTTP 403: this kiosk has been revoked" in world.status_lines()

    world.central_execute("UPDATE kiosk SET revoked = 0")
    world.uploader.loop(max_passes=1)
    assert verdict(world) == ("ok", [])
    world.assert_exactly_once()


def test_quarantined_rows_and_a_gap_are_degraded(world):
    (rated,) = world.record(1, followup_every=0)
    forge_followup(world, rated, "staff", "outcome")  # central files "staff" under attitude: rejected
    world.record(4, followup_every=0)
    world.uploader.loop(max_passes=1)
    quarantined = "1 row quarantined: see hymy sync --status (hymy sync --requeue once central is fixed)"
    assert verdict(world) == ("degraded", [quarantined])

    lose_at_central(world, 3)
    world.uploader.loop(max_passes=1)
    gap = "central lacks 1 rating(s) after a full sync, first seq 3: see hymy sync --status and central's database"
    assert verdict(world) == ("degraded", [quarantined, gap])


def test_the_database_failing_is_503(world):
    path = world.kiosk_db_path
    aside = path.with_name(path.name + ".aside")
    os.replace(path, aside)
    try:
        path.write_bytes(b"this is not a database\n" * 512)
        with world.app.test_client() as client:
            response = client.get("/healthz")
        result = world.kiosk_cli("sync", "--status")
    finally:
        os.replace(aside, path)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"]["state"] == "error"
    assert body["reasons"] == [f"the kiosk's database failed: {body['database']['detail']}"]
    assert result.exit_code == 1 and result.output.startswith("hymy: the kiosk's database failed: ")
    assert result.output.count("\n") == 1
    with world.app.test_client() as client:
        assert client.get("/healthz").status_code == 200  # the database is back


def test_sync_lock_is_the_kiosk_users_alone(world):
    lock = world.config.data_dir / "sync.lock"
    old_umask = os.umask(0o002)
    try:
        world.uploader.loop(max_passes=1)
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        lock.chmod(0o664)  # made by an older version
        world.uploader.loop(max_passes=1)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_the_verdict_is_kiosk_storage():
    """kiosk/storage/health.py reads the database and a file: no web, GPIO, HTTP client or uploader."""
    tree = ast.parse(Path(kiosk.storage.health.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    forbidden = ("flask", "gpiozero", "requests", "werkzeug")
    assert not [m for m in imported if m.split(".")[0] in forbidden], imported
    assert not [m for m in imported if m.startswith("sync") and m != "sync.wire.protocol"], imported
