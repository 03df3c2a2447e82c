"""Button press to committed row: p50/p99, beside a bare durable SQLite commit.

A press goes through the real wiring: gpiozero's MockFactory pin, the kiosk's
ButtonPanel (debounce, LED) and Recorder (validate, filter, commit). A mock
pin calls its callbacks synchronously, so timing ``pin.drive_low()`` times the
press until the row is committed (and the LED started). Each press is checked
to have been recorded before ``drive_low`` returned, and the row count is
checked at the end.

The bare commit (WAL, synchronous=FULL, one INSERT per transaction, same disk)
is the floor: what is left above it is the kiosk's own overhead.

    python bench/press_latency.py [--n 2000] [--dir /path/on/the/kiosk/disk]
"""
import argparse
import sqlite3
import sys
import time

from _common import print_latencies, summary_ms, temp_dir, time_each, verdict
from gpiozero.pins.mock import MockFactory

from kiosk.app import create_app
from kiosk.db import connection
from kiosk.models import Rating

GOAL_P99_MS = 5.0


def build_kiosk(data_dir):
    """A kiosk app on *data_dir* with mock pins and the system clock.

    ``debounce_ms = 0``: the bench presses faster than a hand can, and the
    debounce would (correctly) drop those presses; it costs nothing to skip.
    """
    app = create_app({"data_dir": str(data_dir), "debounce_ms": 0}, pin_factory=MockFactory())
    return app.extensions["hymy"]


def measure_presses(kiosk, count):
    """Time *count* presses, rotating over the four buttons.

    Each press must have been recorded by the time ``drive_low`` returns;
    otherwise the timing would not cover the commit.
    """
    recorded = []
    kiosk.recorder.on_recorded.append(recorded.append)

    def press(i):
        pin = kiosk.buttons.button_pin(i % 4 + 1)
        started = time.perf_counter()
        pin.drive_low()
        elapsed = time.perf_counter() - started
        if len(recorded) != i + 1:
            raise RuntimeError(f"press {i + 1} was not recorded when drive_low returned")
        pin.drive_high()
        return elapsed

    return [press(i) for i in range(count)]


def stored_rows():
    with connection():
        return Rating.select().count()


def measure_bare_commits(path, count):
    """Time *count* single-INSERT durable transactions on a fresh SQLite file."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE rating (id INTEGER PRIMARY KEY, rating INTEGER, at REAL)")

        def commit(i):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO rating (rating, at) VALUES (?, ?)", (i % 4 + 1, float(i)))
            db.execute("COMMIT")

        return time_each(commit, count)
    finally:
        db.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="presses and bare commits (default 2000)")
    parser.add_argument("--dir", help="where to put the temporary data dir (default: the system temp dir)")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-press-", args.dir) as work:
        kiosk = build_kiosk(work / "data")
        try:
            presses = measure_presses(kiosk, args.n)
            rows = stored_rows()
        finally:
            kiosk.close()
        if rows != args.n:
            raise SystemExit(f"expected {args.n} stored ratings, found {rows}")
        bare = measure_bare_commits(str(work / "bare.sqlite3"), args.n)

    press, floor = summary_ms(presses), summary_ms(bare)
    print_latencies(
        f"Button press to committed row ({args.n} presses; rows verified: {rows})",
        "path",
        [("kiosk press (MockPin -> ButtonPanel -> Recorder)", press),
         ("bare SQLite commit (WAL, synchronous=FULL)", floor)],
    )
    print(verdict(press["p99"], GOAL_P99_MS, "ms p99"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
