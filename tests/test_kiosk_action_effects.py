"""An action's before and after on the kiosk, from its own hourly tables, on generated data with a
fixed seed: a planted +15-point lunch-hour change is "better", the same hours with nothing planted
"no clear change", a reason whose share fell "better", a young action shows its short after side,
and each side's counts equal those summed by hand from the rows written."""

import random
import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from kiosk.manager.effects import action_effect
from kiosk.storage.hourly import hour_text
from sync.wire.effects import BETTER, NO_CLEAR_CHANGE, TOO_FEW

HELSINKI = ZoneInfo("Europe/Helsinki")
STARTED_ON = date(2026, 2, 2)  # a Monday
TODAY = STARTED_ON + timedelta(days=27)  # both sides whole
LUNCH = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}


def _write_hours(kiosk, lunch_before, lunch_after, queue_before=0.5, queue_after=0.2, seed=7):
    """56 days of hourly counts around STARTED_ON, 8-20; returns the hand-summed lunch sides."""
    rng = random.Random(seed)
    sides = {"before": [0, 0], "after": [0, 0]}
    hours, reasons = [], []
    for back in range(-28, 28):
        day = STARTED_ON + timedelta(days=back)
        after = back >= 0
        for hour in range(8, 20):
            lunch = day.isoweekday() <= 5 and 11 <= hour < 14
            share = (lunch_after if after else lunch_before) if lunch else 0.75
            faces = [0, 0, 0, 0]
            for _ in range(8 if lunch else 4):
                happy = rng.random() < share
                faces[rng.choice((2, 3)) if happy else rng.choice((0, 1))] += 1
            start = datetime.combine(day, time(hour), tzinfo=HELSINKI).astimezone(timezone.utc)
            hours.append((hour_text(start), day.isoformat(), hour, *faces))
            unhappy = faces[0] + faces[1]
            naming = sum(rng.random() < (queue_after if after else queue_before) for _ in range(unhappy))
            if naming:
                reasons.append((hour_text(start), "waiting", "accessibility", naming, naming))
            if unhappy - naming:
                reasons.append((hour_text(start), "staff", "attitude", unhappy - naming, unhappy - naming))
            if lunch:
                side = sides["after" if after else "before"]
                side[0] += faces[2] + faces[3]
                side[1] += sum(faces)
    with closing(sqlite3.connect(kiosk.config.database_path)) as db, db:
        db.executemany("INSERT INTO hourly_count (hour_start, local_day, local_hour, face_1, face_2, face_3, face_4)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", hours)
        db.executemany("INSERT INTO hourly_reason (hour_start, reason, reason_group, followups, unhappy)"
                       " VALUES (?, ?, ?, ?, ?)", reasons)
    return sides


def test_a_planted_lunch_hour_change_is_better_and_its_sides_are_the_rows(kiosk):
    sides = _write_hours(kiosk, lunch_before=0.65, lunch_after=0.80)
    effect = action_effect(STARTED_ON, LUNCH, TODAY, min_responses=5)
    assert effect.verdict == BETTER and effect.gain >= 10
    assert (effect.before.part, effect.before.whole, effect.before.days) == (*sides["before"], 28)
    assert (effect.after.part, effect.after.whole, effect.after.days) == (*sides["after"], 28)
    queue = action_effect(STARTED_ON, {"kind": "reason", "reason": "waiting"}, TODAY, min_responses=5)
    assert queue.verdict == BETTER and queue.points < 0  # its share fell: better news


def test_nothing_planted_is_no_clear_change_and_a_young_action_says_how_young(kiosk):
    _write_hours(kiosk, lunch_before=0.75, lunch_after=0.75, queue_before=0.4, queue_after=0.4)
    assert action_effect(STARTED_ON, LUNCH, TODAY, min_responses=5).verdict == NO_CLEAR_CHANGE
    young = action_effect(STARTED_ON, LUNCH, STARTED_ON + timedelta(days=2), min_responses=5)
    assert young.after.days == 3 and young.before.days == 28
    assert action_effect(STARTED_ON, LUNCH, TODAY, min_responses=10_000).verdict == TOO_FEW
