"""What counts as central's answer, and what happens to rows central calls bad.

Rows leave the outbox only for a 2xx whose JSON names them: a captive
portal's page, another service's JSON or an answer naming other rows marks
nothing synced. A row central rejects is quarantined: kept, shown, no longer
sent, never pruned; the rest of the backlog goes on."""
import uuid
from datetime import timedelta

from tests.helpers.backlog import WALL_FORMAT
from tests.helpers.proxy import FAKE_ACK, FOREIGN_JSON, FORWARD, PORTAL
from tests.helpers.world import forge_followup


def test_captive_portal_and_foreign_json_mark_nothing_synced(make_world):
    mode = {"all": None, "batches": FORWARD}

    def decide(exchange):
        return mode["all"] or (mode["batches"] if exchange.is_batch else FORWARD)

    world = make_world(proxy={"decide": decide})
    ids = world.record(12)

    expected_errors = {
        PORTAL: "HTTP 200 without JSON (a proxy or captive portal?)",
        FOREIGN_JSON: "HTTP 200: not central's answer",
        FAKE_ACK: "central acknowledged none of the batch",
    }
    mode["all"] = PORTAL  # airport Wi-Fi answers every request with its login page
    world.uploader.loop(max_passes=1)
    assert world.pending() == len(ids)
    assert expected_errors[PORTAL] in world.status_lines()
    mode["all"] = None
    for action, error in expected_errors.items():  # central gets the rows; the kiosk never sees its answer
        mode["batches"] = action
        world.uploader.loop(max_passes=1)
        assert world.pending() == len(ids), action
        status = world.status_lines()
        assert error in status and "last success:    never" in status, status
    assert world.central_count() == len(ids)  # central did commit behind the intruders

    mode["batches"] = FORWARD
    world.sync_until_empty(passes=2)
    world.assert_exactly_once()
    last = world.proxy.answered_batches()[-1].answer
    assert (last["accepted"], last["duplicates"]) == (0, len(ids))


def forge_rating(world, question_version):
    """A rating citing a question version nobody defined, put in with raw SQL."""
    rating_id = str(uuid.uuid4())
    with world.kiosk_db() as db:
        (seq,), = db.execute("SELECT MAX(seq) + 1 FROM rating")
        db.execute("INSERT INTO rating (id, seq, kiosk_id, question_id, question_version, rating, source, recorded_at,"
                   " clock_trusted, boot_id, monotonic, filtered) VALUES (?, ?, ?, 'service', ?, 3, 'touch', ?, 1, ?,"
                   " ?, NULL)", (rating_id, seq, world.kiosk_id, question_version,
                                 world.clock.now().strftime(WALL_FORMAT), world.clock.boot_id(),
                                 world.clock.monotonic()))
        db.execute("INSERT INTO outbox (kind, item_id) VALUES ('rating', ?)", (rating_id,))
    return rating_id, seq


def test_rows_central_rejects_are_quarantined_shown_and_never_pruned(world):
    world.record(9)
    (rated,) = world.record(1, followup_every=0)
    bad_followup = forge_followup(world, rated, "staff", "outcome")  # central files "staff" under attitude
    world.advance(5)
    bad_rating, bad_seq = forge_rating(world, question_version=99)
    world.record(6)  # good rows after the bad ones still go

    world.uploader.loop(max_passes=1)
    assert world.pending() == 0
    quarantined = world.quarantined()
    assert set(quarantined) == {bad_followup, bad_rating}
    assert "central's reason 'staff' is in group 'attitude'" in quarantined[bad_followup]
    assert "question_version: unknown to central" in quarantined[bad_rating]
    world.assert_exactly_once(holes={bad_seq})  # every good row arrived once; neither bad one is at central

    status = world.status_lines()
    assert "quarantined:     2" in status
    assert f"quarantined followup {bad_followup}: " in status and f"quarantined rating {bad_rating}: " in status
    assert f"gaps {bad_seq}-{bad_seq}" in status  # central sees the hole the bad rating leaves ...
    assert "GAP:" not in status  # ... and the kiosk knows why: no gap error

    # Not retried forever: later passes send no batch at all.
    batches_before = len(world.access_log.of("POST", "/api/v1/batches"))
    world.uploader.loop(max_passes=3)
    assert len(world.access_log.of("POST", "/api/v1/batches")) == batches_before
    assert set(world.quarantined()) == {bad_followup, bad_rating}

    # Never pruned: long past retention, the quarantined rows (and the rating the bad follow-up cites) stay.
    world.advance(timedelta(days=world.config.retention_days + 5).total_seconds())
    world.record(1, followup_every=0)
    world.uploader.loop(max_passes=1)
    assert world.pending() == 0
    kept = {row for (row,) in world.kiosk_query("SELECT id FROM rating UNION ALL SELECT id FROM followup")}
    assert {bad_followup, bad_rating, rated} <= kept
    assert set(world.quarantined()) == {bad_followup, bad_rating}
    assert len(kept) == 4  # the three above and the newest rating; every synced old row was pruned
    assert "quarantined:     2" in world.status_lines()
