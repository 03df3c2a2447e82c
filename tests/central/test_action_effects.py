"""An action's before and after at central, from the rollups, on generated data with a fixed seed.

Kamppi's lunch hours (11-14 on weekdays, Helsinki time) go from 65 % to 80 % happy when the action
starts, every other hour stays at 75 %; Tampere changes nothing. The hours target of the lunch
action is "better", the same action at Tampere "no clear change"; the follow-ups naming the queue
fall from half of the unhappy ones to a fifth, so a reason target is "better" although its share
fell, and so is one naming a reason of a kiosk's own that central never published; a quiet site is
"too few". Each side's counts equal those worked out by hand from the raw rows
(tests/helpers/network.py's reading of them), on both backends.
"""

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.central.reports.effects import action_effect
from sync.wire.effects import BETTER, NO_CLEAR_CHANGE, TOO_FEW, Side, compare, windows
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.network import read_stored

HELSINKI = ZoneInfo("Europe/Helsinki")
STARTED_ON = date(2026, 2, 2)  # a Monday
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)  # 28 days after the start: both sides full
LUNCH = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}
SITE = {"kind": "site"}
QUEUE = {"kind": "reason", "reason": "waiting"}
PARKING = {"kind": "reason", "reason": "parking"}  # a reason central never published


def _traffic(rng, day, lunch_happy):
    """``(local moment, rating, reason or None)`` of one day's customers at a counter open 8-20."""
    for hour in range(8, 20):
        lunch = day.isoweekday() <= 5 and 11 <= hour < 14
        for _ in range(6 if lunch else 3):
            moment = datetime.combine(day, time(hour), tzinfo=HELSINKI) + timedelta(minutes=rng.randint(0, 59))
            happy = rng.random() < (lunch_happy if lunch else 0.75)
            rating = rng.choice((3, 4)) if happy else rng.choice((1, 2))
            yield moment, rating


def _send(central, name, site, rng, lunch_before, lunch_after, queue_before=0.5, queue_after=0.2, days=28,
          queue="waiting"):
    token, device = central.enrolled_kiosk(name, site=site)
    ratings, followups, seq = [], [], 0
    for back in range(-days, days):
        day = STARTED_ON + timedelta(days=back)
        after = back >= 0
        for moment, rating in _traffic(rng, day, lunch_after if after else lunch_before):
            seq += 1
            row = rating_row(seq, recorded_at=moment.astimezone(timezone.utc), monotonic=float(seq), rating=rating)
            ratings.append(row)
            if rating <= 2:
                queued = rng.random() < (queue_after if after else queue_before)
                followups.append(followup_row(row, reason=queue if queued else "staff",
                                              reason_group="accessibility" if queued else "attitude"))
    for start in range(0, len(ratings), 600):
        part = ratings[start:start + 600]
        ids = {r["id"] for r in part}
        answer = central.post_batch(token, batch(device, part, [f for f in followups if f["rating_id"] in ids],
                                                 sent_at=NOW, monotonic=float(seq + 100)))
        assert answer.status_code == 200, answer.text


@pytest.fixture
def planted(central):
    central.clock.set_wall(NOW)  # the batches arrive now, after every row they carry
    central.add_site("Kamppi")
    central.add_site("Tampere")
    central.add_site("Quiet")
    central.add_site("Own")
    _send(central, "kamppi-1", "Kamppi", random.Random(15), 0.65, 0.80)
    _send(central, "tampere-1", "Tampere", random.Random(16), 0.65, 0.65, queue_before=0.4, queue_after=0.4)
    _send(central, "quiet-1", "Quiet", random.Random(17), 0.65, 0.80, days=1)
    # A kiosk with a reason of its own, which central never published (an UnpublishedReason at central):
    # a target naming it counts its follow-ups all the same.
    _send(central, "own-1", "Own", random.Random(18), 0.65, 0.65, queue="parking")
    return central


def _effect(central, site_name, target):
    def read(models):
        site = models.Site.get(models.Site.name == site_name)
        return action_effect(site, STARTED_ON, target, NOW)
    return central.query(read)


def _by_hand(stored, site, target):
    """``(before, after)`` Sides from the raw rows: local days, local hours and weekdays, counted ratings."""
    today = NOW.astimezone(HELSINKI).date()
    spans = windows(STARTED_ON, today)
    sides = []
    for first, last in spans:
        if target["kind"] == "reason":
            unhappy = [reason for rating, reason in stored.followups if rating.site == site and rating.rating <= 2
                       and rating.filtered is None and first <= rating.day <= last]
            sides.append(Side(unhappy.count(target["reason"]), len(unhappy), (last - first).days + 1))
            continue
        chosen = [r for r in stored.ratings if r.site == site and r.filtered is None and first <= r.day <= last]
        if target["kind"] == "hours":
            chosen = [r for r in chosen if r.occurred_at.astimezone(HELSINKI).isoweekday() in target["weekdays"]
                      and target["from_hour"] <= r.occurred_at.astimezone(HELSINKI).hour < target["to_hour"]]
        sides.append(Side(sum(1 for r in chosen if r.rating >= 3), len(chosen), (last - first).days + 1))
    return tuple(sides)


@pytest.mark.parametrize("site, target, verdict", [
    ("Kamppi", LUNCH, BETTER),
    ("Tampere", LUNCH, NO_CLEAR_CHANGE),
    ("Kamppi", QUEUE, BETTER),
    ("Tampere", QUEUE, NO_CLEAR_CHANGE),
    ("Quiet", LUNCH, TOO_FEW),
    ("Own", PARKING, BETTER),
])
def test_a_planted_change_is_found_and_a_planted_nothing_is_not(planted, site, target, verdict):
    effect = _effect(planted, site, target)
    assert (effect.before, effect.after) == _by_hand(read_stored(planted), site, target)
    assert effect.verdict == verdict, effect
    if site == "Kamppi" and target is LUNCH:
        assert 12 <= effect.points <= 18 and effect.before.days == effect.after.days == 28


def test_a_young_action_compares_the_days_it_has_and_says_how_many(planted):
    young = datetime(2026, 2, 8, 10, 0, tzinfo=timezone.utc)  # a week after the start
    effect = planted.query(lambda m: action_effect(m.Site.get(m.Site.name == "Kamppi"), STARTED_ON, SITE, young))
    assert effect.before.days == 28 and effect.after.days == 7
    future = planted.query(lambda m: action_effect(m.Site.get(m.Site.name == "Kamppi"), date(2026, 3, 9), SITE, NOW))
    assert future.after.days == 0 and future.verdict == TOO_FEW


def test_the_z_test_itself():
    # 65 % of 360 against 80 % of 360: z = 4.5, well past 1.96.
    assert compare(Side(234, 360, 28), Side(288, 360, 28), 5).verdict == BETTER
    assert compare(Side(288, 360, 28), Side(234, 360, 28), 5).verdict == "worse"
    # A share that fell is better for a reason target.
    assert compare(Side(50, 100, 28), Side(20, 100, 28), 5, lower_is_better=True).verdict == BETTER
    # 75 % against 77 % of 100: a coin's noise.
    assert compare(Side(75, 100, 28), Side(77, 100, 28), 5).verdict == NO_CLEAR_CHANGE
    assert compare(Side(3, 4, 28), Side(40, 40, 28), 5).verdict == TOO_FEW
    # All happy on both sides: nothing varies, nothing to say.
    assert compare(Side(10, 10, 28), Side(20, 20, 28), 5).verdict == NO_CLEAR_CHANGE
