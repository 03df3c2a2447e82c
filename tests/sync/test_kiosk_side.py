"""The kiosk's side of central: config pulled with an ETag (a bad one refused),
sequence gaps reported after a full sync, retention, and enrollment."""
import json
import logging
import stat
from datetime import timedelta

import pytest

from kiosk.storage.db import connection
from kiosk.storage.retention import prune_synced
from sync.uploader.loop import NotEnrolled
from tests.helpers.world import forge_followup, lose_at_central


def sync_state(world, key):
    rows = world.kiosk_query("SELECT value FROM sync_state WHERE key = ?", (key,))
    return json.loads(rows[0][0]) if rows else None


def screen(world):
    with world.app.test_client() as client:
        return client.get("/", headers={"Accept-Language": "fi"}).get_data(as_text=True)


def test_config_pull_with_etag_and_a_bad_config_refused(world, caplog):
    assert "Miten kassalla sujui?" not in screen(world)
    world.central_cli("set-question", "service", "--text", "fi=Miten kassalla sujui?", "--text",
                      "sv=Hur gick det i kassan?", "--text", "en=How was the checkout?")
    world.central_cli("set-target", "90")
    world.central_execute("UPDATE setting SET value = '3' WHERE key = 'min_responses'")

    world.uploader.loop(max_passes=1)  # first pass: central's content applies
    page = screen(world)
    assert "Miten kassalla sujui?" in page
    content = world.kiosk.content_store.current()
    assert (content.question.version, content.target, content.min_responses) == (2, 90, 3)
    etag = sync_state(world, "config_etag")
    assert etag and sync_state(world, "config_error") is None
    (rating,) = world.record(1, followup_every=0)
    assert world.kiosk_query("SELECT question_version FROM rating WHERE id = ?", (rating,)) == [(2,)]

    world.uploader.loop(max_passes=1)  # second pass: unchanged, so 304
    first, second = world.access_log.of("GET", "/api/v1/config")[-2:]
    assert (first[2], first[3]) == (200, None)
    assert (second[2], second[3]) == (304, f'"{etag}"')
    world.assert_exactly_once()

    # A config central should never send: its site's time zone broken in its database.
    world.central_execute("UPDATE site SET timezone = 'Mars/Olympus_Mons'")
    caplog.set_level(logging.ERROR, logger="sync.uploader.loop")
    world.uploader.loop(max_passes=1)
    assert world.access_log.of("GET", "/api/v1/config")[-1][2] == 200
    refused = [r.getMessage() for r in caplog.records if "refused the config from central" in r.getMessage()]
    assert refused and "Mars/Olympus_Mons" in refused[0]
    assert "Mars/Olympus_Mons" in sync_state(world, "config_error")
    assert sync_state(world, "config_etag") == etag  # still asks for the good one it has
    assert "Miten kassalla sujui?" in screen(world)  # the old content stays in force
    assert world.kiosk.content_store.current().question.version == 2
    assert "config refused:  " in world.status_lines()


def test_gap_after_a_full_sync_is_an_error_on_both_sides(world, caplog):
    world.record(10, followup_every=0)
    world.uploader.loop(max_passes=1)
    assert world.central_query("SELECT gap_error FROM kiosk_status") == [(None,)]
    lose_at_central(world, 4)

    caplog.set_level(logging.ERROR, logger="sync.uploader.loop")
    world.uploader.loop(max_passes=1)  # nothing left to send: the heartbeat's answer shows the hole
    expected = "central lacks 1 rating(s) after a full sync, first seq 4"
    assert expected in [r.getMessage() for r in caplog.records]
    status = world.status_lines()
    assert f"GAP:             {expected}" in status and "gaps 4-4" in status
    assert world.central_query("SELECT gap_error FROM kiosk_status") == [(expected,)]  # the fleet view sees it

    world.record(2, followup_every=0)  # still there after the next full sync with rows to send
    world.uploader.loop(max_passes=1)
    assert world.central_query("SELECT gap_error FROM kiosk_status") == [(expected,)]
    assert f"GAP:             {expected}" in world.status_lines()


def test_gap_error_shows_in_the_kiosks_healthz(world):
    world.record(5, followup_every=0)
    world.uploader.loop(max_passes=1)
    with world.app.test_client() as client:
        assert client.get("/healthz").get_json()["sync"]["gap_error"] is None
        lose_at_central(world, 2)
        world.uploader.loop(max_passes=1)
        health = client.get("/healthz").get_json()
    assert health["sync"]["gap_error"] == "central lacks 1 rating(s) after a full sync, first seq 2"
    assert health["status"] == "degraded"


def kiosk_ids(world):
    return {row for (row,) in world.kiosk_query("SELECT id FROM rating UNION ALL SELECT id FROM followup")}


def test_retention_prunes_only_old_synced_rows(make_world):
    world = make_world(retention_days=30)
    old_synced = world.record(12)
    world.uploader.loop(max_passes=1)
    quarantined = forge_followup(world, old_synced[0], "waiting", "outcome")
    old_unsynced = world.record(4)  # day 0 as well, but central has not had them yet
    world.advance(timedelta(days=31).total_seconds())
    with connection():
        prune_synced(world.clock.now(), 30)
    kept = kiosk_ids(world)
    assert set(old_unsynced) <= kept  # unsynced: never pruned, however old
    assert {quarantined, old_synced[0]} <= kept  # quarantined, and the rating it cites
    assert not (set(old_synced[1:]) & kept)

    young = world.record(3)
    world.uploader.loop(max_passes=1)  # ships the old ones; prunes them now that they are synced
    kept = kiosk_ids(world)
    assert set(young) <= kept and {quarantined, old_synced[0]} <= kept
    assert not (set(old_unsynced) & kept)
    assert world.quarantined().keys() == {quarantined}

    # The newest rating is kept even when it is old, so the sequence carries on.
    world.advance(timedelta(days=31).total_seconds())
    world.uploader.loop(max_passes=1)
    (highest,), = world.kiosk_query("SELECT MAX(seq) FROM rating")
    (count,), = world.kiosk_query("SELECT COUNT(*) FROM rating")
    assert count == 2  # the newest, and the one the quarantined follow-up cites
    (next_rating,) = world.record(1, followup_every=0)
    assert world.kiosk_query("SELECT seq FROM rating WHERE id = ?", (next_rating,)) == [(highest + 1,)]
    world.uploader.loop(max_passes=1)
    world.assert_exactly_once(kiosk_ids=[i for i in world.recorded if i != quarantined])
    assert "GAP:" not in world.status_lines()


def test_wrong_token_refused_then_rows_recorded_before_enrollment_ship(make_world):
    local_question = {"id": "counter", "version": 3, "text": {"fi": "Miten palvelimme?", "en": "How did we serve you?"}}
    world = make_world(enroll=False, question=local_question)
    before = world.record(6)
    with pytest.raises(NotEnrolled):
        world.uploader.run_pass()
    assert world.uploader.loop(max_passes=2) == 2  # the loop waits for enrollment, it does not crash
    assert "central:         not enrolled" in world.status_lines()

    enrollment_file = world.config.data_dir / "enrollment.json"
    for token in ("hymy_k_" + "A" * 43, "letmein"):
        result = world.enroll(token=token)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hymy: central refused the token"), result.output
        assert not enrollment_file.exists()
    assert world.central_query("SELECT device_id FROM kiosk") == [(None,)]

    result = world.enroll()
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(enrollment_file.stat().st_mode) == 0o600
    assert world.central_query("SELECT device_id FROM kiosk") == [(world.kiosk_id,)]
    world.uploader.loop(max_passes=1)
    world.assert_exactly_once(kiosk_ids=before)
    # The batch carried its question's text, kept as this kiosk's declaration, never published.
    texts = world.central_query("SELECT texts FROM declared_question WHERE key = 'counter' AND version = 3")
    assert json.loads(texts[0][0])["fi"] == "Miten palvelimme?"
    assert world.central_query("SELECT COUNT(*) FROM question WHERE key = 'counter'") == [(0,)]
