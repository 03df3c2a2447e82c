"""The manager's figures on a kiosk holding 1,000,000 ratings: a day and a week, p50/p99.

A kiosk database is filled with a year and a half of ratings (about 1,800 a
day over 08-20, a tenth filtered, one in four with a follow-up), written
straight into the raw tables for speed; the hourly counts are then built
from them by the same backfill an upgraded kiosk runs. The timed calls are
the ones the manager's pages make (the recorder's ``note_clock``, which
decides unverified rows, then ``kiosk.manager.reports.day_figures`` or
``week_figures``), on random days, and an action's before and after on the Actions page
(``kiosk.manager.effects.action_effect``, 28 local days each side from the hourly counts) for
an hours target on weekdays, started on a random day, beside a bare ``SELECT count(*)`` over
the same rating table.

    python bench/manager.py [--ratings 1000000] [--calls 200]
"""
import argparse
import random
import sqlite3
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from _common import print_latencies, summary_ms, temp_dir, time_each, verdict

from kiosk.app import create_app
from kiosk.manager.effects import action_effect
from kiosk.manager.reports import day_figures, week_figures
from kiosk.storage.db import connection, database
from kiosk.storage.hourly import backfill
from sync.common.clock import FakeClock
from sync.wire.protocol import TIME_FORMAT

GOAL_P99_MS = 50.0
LUNCH = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}
PER_DAY = 1800
REASONS = (("waiting", "process"), ("staff", "attitude"), ("outcome", "outcome"), ("information", "communication"))


def fill(path, ratings, kiosk_id, zone, rng):
    """Write *ratings* raw ratings (and follow-ups) ending today; return the first and last day."""
    days = -(-ratings // PER_DAY)
    last_day = date.today()
    first_day = last_day - timedelta(days=days - 1)
    db = sqlite3.connect(path)
    rating_rows, followup_rows = [], []
    seq = 0
    for n in range(days):
        day = first_day + timedelta(days=n)
        opening = datetime(day.year, day.month, day.day, 8, tzinfo=zone).astimezone(timezone.utc)
        for _ in range(min(PER_DAY, ratings - seq)):
            seq += 1
            moment = opening + timedelta(seconds=rng.uniform(0, 12 * 3600))
            at = moment.strftime(TIME_FORMAT)
            face = rng.choices((1, 2, 3, 4), (8, 12, 40, 40))[0]
            filtered = rng.choices((None, "repeat", "closed"), (90, 8, 2))[0]
            rating_id = str(uuid.uuid4())
            rating_rows.append((rating_id, seq, kiosk_id, "service", 1, face, "touch", at, 1, "bench", 0.0, filtered))
            if rng.random() < 0.25:
                reason, group = rng.choice(REASONS)
                followup_rows.append((str(uuid.uuid4()), rating_id, reason, group, None, at, 1, "bench", 0.0))
        if len(rating_rows) > 50_000 or seq == ratings:
            with db:
                db.executemany("INSERT INTO rating VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rating_rows)
                db.executemany("INSERT INTO followup VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", followup_rows)
            rating_rows, followup_rows = [], []
        if seq == ratings:
            break
    db.close()
    return first_day, last_day


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200, help="timed calls of each kind")
    args = parser.parse_args(argv)
    rng = random.Random(8)
    with temp_dir("hymy-bench-manager-") as work:
        clock = FakeClock(datetime.now(timezone.utc))
        app = create_app({"data_dir": str(work), "pin_factory": "mock"}, clock=clock)
        kiosk = app.extensions["hymy"]
        content = kiosk.content_store.current()
        zone = content.opening_hours.zone
        try:
            started = time.perf_counter()
            first_day, last_day = fill(str(work / "hymy.sqlite3"), args.ratings, kiosk.kiosk_id, zone, rng)
            with connection():
                counted = backfill(zone)
            print(f"{counted} ratings over {(last_day - first_day).days + 1} days written and counted per hour "
                  f"in {time.perf_counter() - started:.0f} s")
            span = (last_day - first_day).days
            days = [first_day + timedelta(days=rng.randint(7, span)) for _ in range(args.calls)]
            with connection():
                note_clock = kiosk.recorder.note_clock
                day = time_each(lambda i: (note_clock(), day_figures(days[i], content)), args.calls)
                week = time_each(lambda i: (note_clock(), week_figures(days[i], content)), args.calls)
                effect = time_each(lambda i: action_effect(days[i], LUNCH, last_day, 10), args.calls)
                bare = time_each(lambda i: database.execute_sql("SELECT count(*) FROM rating").fetchone(), args.calls)
        finally:
            kiosk.close()
    measured = [("day figures (Today page)", summary_ms(day)), ("week figures (Week page)", summary_ms(week)),
                ("an action's before and after (Actions page)", summary_ms(effect)),
                ("bare SELECT count(*) FROM rating", summary_ms(bare))]
    print_latencies(f"The manager's figures over {args.ratings:,} ratings ({args.calls} calls each, random days)",
                    "call", measured)
    print("day:  " + verdict(measured[0][1]["p99"], GOAL_P99_MS, "ms p99"))
    print("week: " + verdict(measured[1][1]["p99"], GOAL_P99_MS, "ms p99"))
    print("action's before and after: " + verdict(measured[2][1]["p99"], GOAL_P99_MS, "ms p99"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
