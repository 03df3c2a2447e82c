"""Outages and faults on the wire: central down for a day, replies lost after
central committed, and 500/503/timeouts at random over a thousand batches.
Every rating the kiosk acknowledged arrives once."""
import random
import time

import pytest

from tests.helpers.proxy import DROP, ERROR_500, ERROR_503, ERROR_503_AFTER, FORWARD, TIMEOUT

DAY = 24 * 3600


@pytest.mark.slow
def test_central_down_for_a_simulated_day_then_up(world):
    clock, uploader = world.clock, world.uploader
    world.record(20)
    uploader.loop(max_passes=1)
    assert world.pending() == 0

    world.central.close()
    clock.sleeps.clear()
    outage_started, real_started = clock.monotonic(), time.monotonic()
    recorded_during_outage = 0
    while clock.monotonic() - outage_started < DAY:
        recorded_during_outage += len(world.record(2))  # the customers keep answering
        uploader.loop(max_passes=1)
        assert time.monotonic() - real_started < 60, "the simulated day is taking real time"
    real_seconds = time.monotonic() - real_started
    delays = list(clock.sleeps)

    # Backoff, read from the kiosk's clock: exponential from the base, capped, with jitter.
    base, cap = world.config.sync_backoff_base, world.config.sync_backoff_cap
    assert len(delays) > 50
    for failures, delay in enumerate(delays):
        assert base <= delay <= min(cap, base * 2 ** failures) + 1e-9, (failures, delay)
    assert delays[0] == base and max(delays[:4]) <= 40
    capped = delays[10:]
    assert max(capped) > cap / 2, "the delays never grew towards the cap"
    assert len({round(d, 3) for d in capped}) > len(capped) // 2, "no jitter: kiosks would retry in lockstep"
    assert real_seconds < 30, f"a simulated day of outage took {real_seconds:.1f} s of real time"

    # Nothing was lost while central was away, nothing was set aside, and the kiosk says why it is behind.
    assert world.pending() == recorded_during_outage and world.quarantined() == {}
    status = world.status_lines()
    assert "central unreachable" in status and f"pending:         {recorded_during_outage}" in status

    world.restart_central()
    clock.sleeps.clear()
    world.sync_until_empty(passes=3)
    world.assert_exactly_once()
    # After a success the loop is back on its interval (with jitter) and the backoff is reset.
    interval = world.config.sync_interval
    assert 0.8 * interval <= clock.sleeps[-1] <= 1.2 * interval
    assert uploader.backoff.failures == 0


def test_reply_lost_after_central_committed(make_world):
    batch_number = 0
    dropped = {1, 2, 3, 6}  # the first batch's answer lost three times (urllib3's retries too); one more later

    def decide(exchange):
        nonlocal batch_number
        if not exchange.is_batch:
            return FORWARD
        batch_number += 1
        return DROP if batch_number in dropped else FORWARD

    # One batch on the wire at a time: the test follows the exact order of requests.
    world = make_world(proxy={"decide": decide}, sync_batch_size=10, sync_in_flight=1)
    ids = world.record(30)
    assert len(ids) == 40

    world.uploader.loop(max_passes=1)  # the first pass fails: central committed, the kiosk never heard
    batches = world.proxy.batches()
    assert [b.action for b in batches] == [DROP, DROP, DROP]
    assert [b.answer["accepted"] for b in batches] == [10, 0, 0]
    assert [b.answer["duplicates"] for b in batches] == [0, 10, 10]
    assert world.pending() == 40 and world.central_count() == 10

    world.sync_until_empty(passes=3)
    world.assert_exactly_once()
    assert world.quarantined() == {}
    answers = [b.answer for b in world.proxy.answered_batches()]
    delivered = [b for b in world.proxy.batches() if b.action == FORWARD]
    # The resent first batch came back as duplicates, and nothing was ever accepted twice.
    assert delivered[0].answer["duplicates"] == 10 and delivered[0].answer["accepted"] == 0
    assert sum(a["accepted"] for a in answers) == 40
    assert all(a["conflicts"] == [] and a["rejected"] == [] for a in answers)
    assert world.proxy.batches()[5].action == DROP and world.proxy.batches()[6].answer["duplicates"] == 10


@pytest.mark.slow
def test_random_500_503_and_timeouts_over_a_thousand_batches(make_world):
    rng = random.Random(20260105)
    faults = ((0.05, ERROR_500), (0.10, ERROR_503), (0.14, ERROR_503_AFTER), (0.17, DROP), (0.18, TIMEOUT))

    def decide(exchange):
        draw = rng.random()
        return next((action for limit, action in faults if draw < limit), FORWARD)

    world = make_world(proxy={"decide": decide, "hold_seconds": 2.0}, sync_batch_size=2, sync_read_timeout=0.4)
    world.backlog(1600, followup_every=4)
    assert world.pending() == 2001

    started = time.monotonic()
    passes = 0
    while world.pending() or world.uploader.backoff.failures:  # drained, and a pass (heartbeat too) went through
        passes += world.uploader.loop(max_passes=1)
        assert time.monotonic() - started < 90, f"{world.pending()} still pending after {passes} passes"
    world.assert_exactly_once()
    assert world.quarantined() == {}, "random faults set rows aside"

    batches = world.proxy.batches()
    actions = {action: sum(b.action == action for b in batches) for _, action in faults}
    assert len(world.proxy.answered_batches()) >= 1000
    assert all(count >= 5 for count in actions.values()), actions
    answers = [b.answer for b in world.proxy.answered_batches()]
    assert sum(a["accepted"] for a in answers) == 2001
    assert sum(a["duplicates"] for a in answers) > 0
    assert world.uploader.backoff.failures == 0 and passes > 10
