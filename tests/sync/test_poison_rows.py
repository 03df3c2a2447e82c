"""No row can block the queue. A row central cannot store (here: a trigger on
central's own database refuses it, so every batch that carries it gets a 500)
is found by halving, set aside with what central answered, and everything else
arrives once; heartbeats go on meanwhile; ``hymy sync --requeue`` sends it
again once central is fixed. An outage, or a central that fails every batch,
sets nothing aside."""
import json

import pytest

from sync.uploader.poison import STATE_KEY, STRIKES
from tests.helpers.proxy import DROP, ERROR_500, ERROR_503, FORWARD, PORTAL, TIMEOUT

CENTRAL_500 = "HTTP 500: internal error; the server logged the detail"


def poison(world, table, item_id):
    """Central's database refuses this one row, as a bug or a value it cannot hold would."""
    world.central_execute(f"CREATE TRIGGER poison_{table} BEFORE INSERT ON {table} WHEN NEW.id = '{item_id}' "
                          "BEGIN SELECT RAISE(ABORT, 'poison'); END")


def cure(world, table):
    world.central_execute(f"DROP TRIGGER poison_{table}")


def failing_batch(world):
    rows = world.kiosk_query("SELECT value FROM sync_state WHERE key = ?", (STATE_KEY,))
    return json.loads(rows[0][0]) if rows else None


def heartbeats(world):
    return sum(status == 200 for _, _, status, _ in world.access_log.of("POST", "/api/v1/heartbeat"))


def seq_of(world, rating_id):
    return world.kiosk_query("SELECT seq FROM rating WHERE id = ?", (rating_id,))[0][0]


def without_followup(world, ids):
    """A rating id from the middle of *ids* that has no follow-up."""
    with_followup = {r for (r,) in world.kiosk_query("SELECT rating_id FROM followup")}
    ratings = {r for (r,) in world.kiosk_query("SELECT id FROM rating")}
    return next(i for i in ids[len(ids) // 2:] if i in ratings and i not in with_followup)


def pass_by_pass(world, passes=20):
    """Loop single passes until nothing is pending; check a heartbeat reached central in each.
    Returns how many rows were pending after each pass."""
    pending = []
    for n in range(1, passes + 1):
        before = heartbeats(world)
        world.uploader.loop(max_passes=1)
        assert heartbeats(world) > before, f"pass {n} sent no heartbeat"
        pending.append(world.pending())
        if pending[-1] == 0:
            return pending
    raise AssertionError(f"still {world.pending()} pending after {passes} passes")


def health(world):
    with world.app.test_client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    return response.get_json()


def test_a_row_central_cannot_store_is_set_aside_and_everything_else_arrives(world):
    ids = world.backlog(3000, followup_every=5)
    bad = without_followup(world, ids)
    poison(world, "rating", bad)

    pending = pass_by_pass(world)
    quarantined = world.quarantined()
    assert list(quarantined) == [bad]
    assert quarantined[bad] == f"central failed on this row {STRIKES} times: {CENTRAL_500}"
    world.assert_exactly_once(kiosk_ids=[i for i in world.recorded if i != bad], holes={seq_of(world, bad)})
    # Three failures of its batch, then halving (everything else ships), then the row alone until it failed
    # three times itself.
    assert all(count > 1 for count in pending[:STRIKES])
    assert pending[STRIKES:] == [1] * (STRIKES - 1) + [0] and failing_batch(world) is None
    batches = world.access_log.of("POST", "/api/v1/batches")
    assert sum(status == 500 for _, _, status, _ in batches) <= 3 * STRIKES + 12  # 3,600 rows: at most 12 halvings

    report = health(world)
    assert report["status"] == "degraded"
    assert report["reasons"] == ["1 row quarantined: see hymy sync --status (hymy sync --requeue once central is "
                                 "fixed)"]
    status = world.status_lines()
    assert status.startswith("status:          degraded\n  - 1 row quarantined")
    assert f"quarantined rating {bad}: central failed on this row {STRIKES} times: HTTP 500" in status

    # Central is fixed: the row goes back in the queue and arrives.
    cure(world, "rating")
    result = world.kiosk_cli("sync", "--requeue")
    assert result.exit_code == 0 and result.output == "requeued 1 quarantined row; the next pass sends it\n"
    world.uploader.loop(max_passes=1)
    assert world.pending() == 0 and world.quarantined() == {}
    world.assert_exactly_once()
    assert health(world)["status"] == "ok"
    assert world.kiosk_cli("sync", "--requeue").output == "no quarantined rows to requeue\n"


def test_a_poison_followup_is_set_aside_and_its_rating_arrives(make_world):
    world = make_world(sync_batch_size=50)
    world.backlog(600, followup_every=5)
    bad_followup, rating = world.kiosk_query(
        "SELECT id, rating_id FROM followup ORDER BY rowid LIMIT 1 OFFSET 40")[0]
    poison(world, "followup", bad_followup)

    pass_by_pass(world)
    assert list(world.quarantined()) == [bad_followup]
    assert world.central_query("SELECT COUNT(*) FROM rating WHERE id = ?", (rating,)) == [(1,)]
    world.assert_exactly_once(kiosk_ids=[i for i in world.recorded if i != bad_followup])

    # Requeued by id: an unknown id and a row that is not quarantined are one clear line each.
    for unknown, message in (("00000000-0000-4000-8000-000000000000", "no row"), (rating, "no row")):
        result = world.kiosk_cli("sync", "--requeue", "--id", unknown)
        assert result.exit_code == 1 and result.output.count("\n") == 1 and message in result.output
    assert world.kiosk_cli("sync", "--id", bad_followup).exit_code == 2  # --id goes with --requeue
    cure(world, "followup")
    result = world.kiosk_cli("sync", "--requeue", "--id", bad_followup)
    assert result.exit_code == 0 and "requeued 1 quarantined row" in result.output
    world.uploader.loop(max_passes=1)
    world.assert_exactly_once()


def test_requeue_by_id_of_a_row_still_pending(world):
    (rating,) = world.record(1, followup_every=0)
    result = world.kiosk_cli("sync", "--requeue", "--id", rating)
    assert result.exit_code == 1
    assert result.output == f"hymy: --id: row {rating!r} is not quarantined; it is waiting to be sent\n"


def test_the_failure_count_survives_a_restart_and_one_shot_runs(world):
    ids = world.record(30)
    bad = without_followup(world, ids)
    poison(world, "rating", bad)

    world.uploader.loop(max_passes=1)
    assert failing_batch(world)["failures"] == 1
    result = world.kiosk_cli("sync")  # a one-shot pass: one line, exit 1
    assert result.exit_code == 1 and result.output == f"hymy: {CENTRAL_500}\n"
    assert failing_batch(world)["failures"] == 2

    world.uploader = world.make_uploader(seed=2)  # the kiosk restarted
    world.sync_until_empty(passes=10)
    assert list(world.quarantined()) == [bad]
    world.assert_exactly_once(kiosk_ids=[i for i in world.recorded if i != bad], holes={seq_of(world, bad)})


@pytest.mark.slow
def test_an_outage_sets_nothing_aside(make_world):
    mode = {"all": None, "batches": FORWARD}
    world = make_world(proxy={"decide": lambda exchange: mode["all"] or (mode["batches"] if exchange.is_batch
                                                                          else FORWARD), "hold_seconds": 1.5},
                       sync_batch_size=20, sync_read_timeout=0.6)
    world.record(10)
    world.uploader.loop(max_passes=1)

    # Every answer a 500, a 503, a captive portal's page, or none at all, pass after pass.
    for action in (ERROR_500, ERROR_503, PORTAL, DROP):
        mode["all"] = action
        world.record(3)
        world.uploader.loop(max_passes=STRIKES + 1)
        assert failing_batch(world) is None, action
    # Batches that time out while the heartbeat answers count, but halving stops at the first part with no answer.
    mode["all"], mode["batches"] = None, TIMEOUT
    world.uploader.loop(max_passes=STRIKES + 1)
    assert failing_batch(world)["failures"] == STRIKES and not failing_batch(world)["alone"]
    # The kiosk's token revoked: refused, never the rows' fault.
    mode["batches"] = FORWARD
    world.central_cli("revoke-kiosk", "kamppi-1")
    world.uploader.loop(max_passes=STRIKES + 1)
    assert world.quarantined() == {}

    world.central_execute("UPDATE kiosk SET revoked = 0")
    world.sync_until_empty(passes=2)
    world.assert_exactly_once()
    assert world.quarantined() == {} and failing_batch(world) is None


def test_a_central_failing_every_batch_while_answering_heartbeats_sets_nothing_aside(make_world):
    mode = {"batches": ERROR_500}
    world = make_world(proxy={"decide": lambda exchange: mode["batches"] if exchange.is_batch else FORWARD},
                       sync_batch_size=40)
    world.record(200)
    for _ in range(6 * STRIKES):  # halved, and the first row tried alone, pass after pass
        world.record(2)
        world.uploader.loop(max_passes=1)
    assert world.quarantined() == {}
    assert failing_batch(world)["alone"], "the batch was never halved"

    mode["batches"] = FORWARD
    world.sync_until_empty(passes=2)
    world.assert_exactly_once()
    assert world.quarantined() == {}
