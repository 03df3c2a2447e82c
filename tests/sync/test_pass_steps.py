"""Each step of an uploader pass on its own, against a real central over loopback HTTP:
the content pull, the shipper, the poison locator, the sequence guard and the heartbeat.
(The pass as a whole, its order and its faults are tests/sync/test_pass_order_and_stop.py,
test_outages.py, test_poison_rows.py and test_crashes.py.)"""
from contextlib import contextmanager

import pytest

from kiosk.storage.db import connection
from kiosk.storage.enrollment import load_enrollment
from kiosk.storage.models import Outbox
from kiosk.storage.outbox import SequenceShift
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralClient
from sync.uploader.content_pull import pull_content
from sync.uploader.heartbeat import heartbeat_document, send_heartbeat
from sync.uploader.poison import FailingBatch
from sync.uploader.poison_search import locate, send_alone
from sync.uploader.sequence_guard import check_sequence, continue_sequence
from sync.uploader.shipper import PassProgress, Shipper
from sync.wire.protocol import HEARTBEAT_FIELDS, check_row, format_time


@contextmanager
def central_client(world):
    client = CentralClient(load_enrollment(world.config.data_dir))
    try:
        with connection():
            yield client
    finally:
        client.close()


def shipper_for(world, client, batch_size=20, in_flight=2):
    run = PassProgress(shift=SequenceShift.load())
    return Shipper(client, world.kiosk_id, world.clock, run, world.kiosk.content_store.current(), batch_size,
                   in_flight)


def requests_to(world, method, path):
    return len(world.access_log.of(method, path))


def refuse_at_central(world, rating_id):
    """Central's database refuses this one row, as a bug or a value it cannot hold would."""
    world.central_execute(f"CREATE TRIGGER refuse_one BEFORE INSERT ON rating WHEN NEW.id = '{rating_id}' "
                          "BEGIN SELECT RAISE(ABORT, 'poison'); END")


def rating_without_followup(world, ids):
    with_followup = {r for (r,) in world.kiosk_query("SELECT rating_id FROM followup")}
    ratings = {r for (r,) in world.kiosk_query("SELECT id FROM rating")}
    return next(i for i in ids[len(ids) // 2:] if i in ratings and i not in with_followup)


# -- content pull ---------------------------------------------------------------------------------

def test_the_content_pull_applies_central_content_and_then_asks_with_its_etag(world):
    with central_client(world) as client:
        pull_content(client, world.kiosk.content_store)
        etag = sync_state.config_etag
        assert etag and sync_state.config_error is None
        pull_content(client, world.kiosk.content_store)
        assert sync_state.config_etag == etag
    answers = [status for _, _, status, _ in world.access_log.of("GET", "/api/v1/config")]
    assert answers[-2:] == [200, 304]


def test_without_a_content_store_the_content_pull_asks_nothing(world):
    before = requests_to(world, "GET", "/api/v1/config")
    with central_client(world) as client:
        pull_content(client, None)
    assert requests_to(world, "GET", "/api/v1/config") == before


# -- shipper ----------------------------------------------------------------------------------

def test_the_shipper_sends_the_backlog_in_batches_and_counts_what_central_answered(world):
    world.backlog(50, followup_every=5)  # and the one rating it records first: 51 ratings, 10 follow-ups
    with central_client(world) as client:
        shipper = shipper_for(world, client, batch_size=20)
        shipper.ship()
    run = shipper.run
    assert run.sent == 61 and run.quarantined == 0 and not run.errors
    assert run.answered == 4  # 20 + 20 + 20 + 1 rows
    assert run.sequence["contiguous"] == run.sequence["highest"] == 51
    assert world.pending() == 0
    world.assert_exactly_once()


def test_the_shipper_leaves_out_the_rows_it_is_told_to_skip(world):
    ids = world.backlog(30, followup_every=0)
    skipped = ids[10]
    with central_client(world) as client:
        shipper = shipper_for(world, client)
        shipper.ship(skip=frozenset({skipped}))
    assert shipper.run.sent == 30  # 31 ratings (the backlog records one first) but the one skipped
    with connection():
        assert [item.item_id for item in Outbox.pending()] == [skipped]


def test_the_shipper_stops_at_a_failing_batch_and_remembers_it(world):
    ids = world.backlog(60, followup_every=0)
    refuse_at_central(world, ids[45])
    with central_client(world) as client:
        shipper = shipper_for(world, client, batch_size=20, in_flight=1)
        shipper.ship()
    run = shipper.run
    assert run.sent == 40 and run.failure is not None and run.failure.size == 20
    assert ids[45] in run.failure.batch.item_ids and run.errors == [run.failure.error]
    assert world.pending() == 21


# -- poison locator ---------------------------------------------------------------------------

def test_the_locator_halves_the_failing_batch_down_to_the_row_central_refuses(world):
    ids = world.backlog(40, followup_every=4)
    bad = rating_without_followup(world, ids)
    refuse_at_central(world, bad)
    with central_client(world) as client:
        first = Outbox.pending().order_by(Outbox.position).first().position
        failing = FailingBatch(first, world.pending(), failures=3, error="HTTP 500")
        shipper = shipper_for(world, client)
        skip = locate(shipper, failing)
    assert skip == frozenset({bad})
    assert shipper.run.lone.batch.item_ids == [bad] and shipper.run.lone.error.status == 500
    with central_client(world) as client:
        shipper_for(world, client).ship(skip)  # everything else ships around it
    assert world.pending() == 1 and world.quarantined() == {}


def test_a_row_sent_alone_that_central_still_refuses_is_left_out_of_the_rest(world):
    ids = world.backlog(10, followup_every=0)
    refuse_at_central(world, ids[0])
    with central_client(world) as client:
        position = Outbox.get(Outbox.item_id == ids[0]).position
        shipper = shipper_for(world, client)
        skip = send_alone(shipper, FailingBatch(position, 1, failures=1, error="HTTP 500", alone=True))
    assert skip == frozenset({ids[0]}) and shipper.run.sent == 0 and shipper.run.lone.error.status == 500
    assert world.pending() == 11


# -- sequence guard ---------------------------------------------------------------------------

def test_after_a_restore_the_guard_learns_where_central_s_sequence_continues(world):
    world.backlog(5, followup_every=0)
    world.sync_until_empty()
    with connection():
        SequenceShift().continued_after(2, format_time(world.clock.now())).save()  # a backup that ended at seq 2
    with central_client(world) as client:
        shift = continue_sequence(client, lambda gap: heartbeat_document(world.kiosk_id, world.clock,
                                                                         world.config.data_dir, gap))
    assert sync_state.central_sequence["highest"] == 6  # the backlog and the rating it records first
    assert shift.known and shift.wire(3) == 7  # the kiosk's next 3 goes above central's 6


def test_the_guard_names_a_gap_only_once_nothing_is_pending(world):
    world.backlog(5, followup_every=0)
    with connection():
        shift = SequenceShift.load()
        sync_state.gap_error = None
        # 6 ratings (the backlog records one first); central's view below is made up to show a gap
        assert check_sequence({"contiguous": 2, "highest": 6, "gaps": [[3, 3]]}, shift) is None  # rows pending
    world.sync_until_empty()
    with connection():
        gap = check_sequence({"contiguous": 2, "highest": 6, "gaps": [[3, 3]]}, shift)
        assert gap == "central lacks 1 rating(s) after a full sync, first seq 3" == sync_state.gap_error
        assert check_sequence({"contiguous": 6, "highest": 6, "gaps": []}, shift) is None
        assert sync_state.gap_error is None


# -- heartbeat --------------------------------------------------------------------------------

@pytest.mark.parametrize("waiting", [0, 7])
def test_the_heartbeat_says_what_waits_in_the_protocol_s_shape_and_central_takes_it(world, waiting):
    if waiting:
        world.backlog(waiting, followup_every=0)
    with central_client(world) as client:
        document = heartbeat_document(world.kiosk_id, world.clock, world.config.data_dir, None)
        assert check_row(document, HEARTBEAT_FIELDS)["wall"] == world.clock.now()
        assert document["wall"] == format_time(world.clock.now())
        assert document["pending"] == (waiting + 1 if waiting else 0)  # the backlog records one rating first
        assert (document["oldest_pending_seconds"] is None) == (not waiting)
        reply = send_heartbeat(client, document)
    assert reply["sequence"]["highest"] == 0
