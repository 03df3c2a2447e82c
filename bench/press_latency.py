"""Button press to committed row: p50/p99, beside a bare durable SQLite commit.

A press goes through the real wiring: gpiozero's MockFactory pin, the kiosk's
ButtonPanel (debounce, LED) and Recorder (validate, filter, commit). A mock
pin calls its callbacks synchronously, so timing ``pin.drive_low()`` times the
press until the row is committed (and the LED lit). Each press is checked to
have been recorded before ``drive_low`` returned, and the row count is
checked at the end.

The bare commit (WAL, synchronous=FULL, one INSERT per transaction, same disk)
is the floor: what is left above it is the kiosk's own overhead. Presses and
bare commits are timed in alternating blocks, so a burst of load from other
work on the machine falls on both and the ratio stays meaningful.

``--breakdown`` then presses again on a fresh kiosk with a stopwatch around
each step a press goes through (gpiozero's dispatch, the debounce, content
lookup, clock readings, each SQL statement, the listeners, the LED), and
prints where the time goes. The stopwatches cost a few microseconds, so that
run's total is a little above the plain run's.

    python bench/press_latency.py [--n 2000] [--dir /path/on/the/kiosk/disk] [--breakdown]
"""
import argparse
import sqlite3
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from functools import partial

from _common import percentile, print_latencies, print_table, summary_ms, temp_dir, verdict
from gpiozero.pins.mock import MockFactory

from kiosk.app import create_app
from kiosk.storage.db import connection, database
from kiosk.storage.models import Rating

GOAL_P99_MS = 5.0
GOAL_RATIO = 3.0
BLOCKS = 20


def build_kiosk(data_dir):
    """A kiosk app on *data_dir* with mock pins and the system clock.

    ``debounce_ms = 0``: the bench presses faster than a hand can, and the
    debounce would (correctly) drop those presses; it costs nothing to skip.
    """
    app = create_app({"data_dir": str(data_dir), "debounce_ms": 0}, pin_factory=MockFactory())
    return app.extensions["hymy"]


class Presser:
    """Presses the kiosk's buttons in turn, timing each press until committed.

    Each press must have been recorded by the time ``drive_low`` returns;
    otherwise the timing would not cover the commit.
    """

    def __init__(self, kiosk):
        self.kiosk = kiosk
        self.recorded = []
        kiosk.recorder.on_recorded.append(self.recorded.append)

    def press(self, i):
        pin = self.kiosk.buttons.button_pin(i % 4 + 1)
        before = len(self.recorded)
        started = time.perf_counter()
        pin.drive_low()
        elapsed = time.perf_counter() - started
        if len(self.recorded) != before + 1:
            raise RuntimeError(f"press {i + 1} was not recorded when drive_low returned")
        pin.drive_high()
        return elapsed


def stored_rows():
    with connection():
        return Rating.select().count()


class BareCommits:
    """Single-INSERT durable transactions on a fresh SQLite file: the floor."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE rating (id INTEGER PRIMARY KEY, rating INTEGER, at REAL)")

    def commit(self, i):
        started = time.perf_counter()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO rating (rating, at) VALUES (?, ?)", (i % 4 + 1, float(i)))
        self.db.execute("COMMIT")
        return time.perf_counter() - started

    def close(self):
        self.db.close()


def measure_alternating(press, commit, count, blocks=BLOCKS):
    """*count* presses and *count* bare commits, in alternating blocks; return both lists of durations."""
    presses, commits = [], []
    size = max(1, count // blocks)
    done = 0
    while done < count:
        block = range(done, min(count, done + size))
        presses.extend(press(i) for i in block)
        commits.extend(commit(i) for i in block)
        done = block.stop
    return presses, commits


# --- where a press's time goes ------------------------------------------------------------

#: Breakdown rows in the order a press meets them: (key, label).
STEPS = (
    ("dispatch", "gpiozero: MockPin edge to the panel's callback"),
    ("debounce", "panel: debounce check"),
    ("content", "recorder: content lookup (ContentStore.current)"),
    ("clock.now", "recorder: wall clock (utcnow)"),
    ("clock.monotonic", "recorder: CLOCK_BOOTTIME"),
    ("clock.trusted", "recorder: clock trusted? (adjtimex)"),
    ("clock.boot_id", "recorder: boot id"),
    ("begin", "SQL: BEGIN IMMEDIATE"),
    ("last_press", "SQL: last press (repeat filter, next seq)"),
    ("insert_rating", "SQL: INSERT rating"),
    ("insert_outbox", "SQL: INSERT outbox"),
    ("other_sql", "SQL: other (boot and question notes, first press only)"),
    ("commit", "SQL: COMMIT (WAL write + fsync)"),
    ("recorder_own", "recorder: own code (validation, lock, filter, ids, row values, glue)"),
    ("listeners", "recorder: listeners after commit (screen push)"),
    ("led", "panel: LED acknowledgement"),
    ("panel_own", "panel: own code around the recorder"),
)


def statement_step(sql):
    """The breakdown step a SQL statement belongs to, by its text."""
    words = sql.lstrip().upper()
    if words.startswith("BEGIN"):
        return "begin"
    if words.startswith("COMMIT"):
        return "commit"
    if words.startswith("SELECT SEQ, BOOT_ID, MONOTONIC FROM RATING"):
        return "last_press"
    if words.startswith('INSERT INTO "RATING"') or words.startswith("INSERT INTO RATING"):
        return "insert_rating"
    if words.startswith('INSERT INTO "OUTBOX"') or words.startswith("INSERT INTO OUTBOX"):
        return "insert_outbox"
    return "other_sql"


class TimedConnection:
    """A sqlite3 connection whose ``execute`` is timed, by statement kind."""

    def __init__(self, connection, stopwatch):
        self._connection = connection
        self._stopwatch = stopwatch

    def execute(self, sql, *args):
        with self._stopwatch.timing(statement_step(sql)):
            return self._connection.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._connection, name)


class Stopwatch:
    """Per-press sums of time spent in each step, filled by wrappers around the kiosk's parts.

    Wrappers go on the instances (the recorder, its clock and content store,
    the panel, the database object), so the kiosk's code runs unchanged. Time
    inside a step that calls another timed step is counted once, in the inner one.
    """

    def __init__(self):
        self.totals = defaultdict(float)  # this press
        self.presses = []  # one dict per press
        self.recording = False
        self._depth_start = []

    class _Timing:
        __slots__ = ("stopwatch", "step", "started")

        def __init__(self, stopwatch, step):
            self.stopwatch, self.step = stopwatch, step

        def __enter__(self):
            self.started = time.perf_counter()
            self.stopwatch._depth_start.append(0.0)

        def __exit__(self, *exc):
            elapsed = time.perf_counter() - self.started
            inner = self.stopwatch._depth_start.pop()
            self.stopwatch.totals[self.step] += elapsed - inner
            if self.stopwatch._depth_start:
                self.stopwatch._depth_start[-1] += elapsed

    def timing(self, step):
        return self._Timing(self, step)

    def wrap(self, owner, name, step, only_while_recording=False):
        """Time every call of ``owner.name`` as *step*."""
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            if only_while_recording and not self.recording:
                return original(*args, **kwargs)
            with self.timing(step):
                return original(*args, **kwargs)

        setattr(owner, name, timed)


def instrument(kiosk, stopwatch, stack):
    """Put stopwatches around each step a press goes through; undone by *stack*."""
    panel, recorder, clock = kiosk.buttons, kiosk.recorder, kiosk.clock
    record = recorder.record

    def timed_record(*args, **kwargs):
        stopwatch.recording = True
        try:
            with stopwatch.timing("recorder_own"):
                return record(*args, **kwargs)
        finally:
            stopwatch.recording = False

    recorder.record = timed_record
    stopwatch.wrap(recorder.content_store, "current", "content")
    for reading in ("now", "monotonic", "trusted", "boot_id"):
        stopwatch.wrap(clock, reading, f"clock.{reading}", only_while_recording=True)
    stopwatch.wrap(panel, "_edge_is_bounce", "debounce")
    stopwatch.wrap(panel, "show", "led")
    recorder.on_recorded[:] = [partial(_timed_listener, stopwatch, listener) for listener in recorder.on_recorded]
    # The database: peewee's own calls (atomic's BEGIN and COMMIT, execute_sql) and the
    # raw connection for code that runs its statements on it directly.
    for name in ("begin", "commit"):
        stopwatch.wrap(database, name, name)
    execute_sql = database.execute_sql

    def timed_execute_sql(sql, *args, **kwargs):
        with stopwatch.timing(statement_step(sql)):
            return execute_sql(sql, *args, **kwargs)

    database.execute_sql = timed_execute_sql
    raw_connection = database.connection
    database.connection = lambda: TimedConnection(raw_connection(), stopwatch)
    # gpiozero calls the panel's callback; time the callback to tell gpiozero's share apart.
    for rating, button in enumerate(panel.buttons, start=1):
        button.when_pressed = partial(_timed_callback, stopwatch, panel._on_press, rating)
    stack.callback(_uninstrument, recorder, clock, panel)


def _uninstrument(recorder, clock, panel):
    for owner, names in ((recorder, ("record",)), (clock, ("now", "monotonic", "trusted", "boot_id")),
                         (panel, ("_edge_is_bounce", "show")),
                         (database, ("begin", "commit", "execute_sql", "connection"))):
        for name in names:
            owner.__dict__.pop(name, None)


def _timed_listener(stopwatch, listener, recorded):
    with stopwatch.timing("listeners"):
        listener(recorded)


def _timed_callback(stopwatch, callback, rating):
    with stopwatch.timing("panel_own"):
        callback(rating)


def measure_breakdown(kiosk, count):
    """Press *count* times with stopwatches on; return (per-step lists in µs, totals in µs)."""
    stopwatch = Stopwatch()
    presser = Presser(kiosk)
    totals = []
    with ExitStack() as stack:
        instrument(kiosk, stopwatch, stack)
        for i in range(count):
            stopwatch.totals = defaultdict(float)
            elapsed = presser.press(i)
            stopwatch.totals["dispatch"] = elapsed - sum(stopwatch.totals.values())
            stopwatch.presses.append(stopwatch.totals)
            totals.append(elapsed * 1e6)
    steps = {key: [press.get(key, 0.0) * 1e6 for press in stopwatch.presses] for key, _ in STEPS}
    return steps, totals


def print_breakdown(steps, totals, plain_p50_ms):
    mean_total = sum(totals) / len(totals)
    rows = []
    for key, label in STEPS:
        samples = steps[key]
        mean = sum(samples) / len(samples)
        rows.append([label, percentile(samples, 0.5), percentile(samples, 0.99), mean, 100 * mean / mean_total])
    rows.append(["total (with stopwatches)", percentile(totals, 0.5), percentile(totals, 0.99), mean_total, 100.0])
    print_table(
        f"Where a press's time goes ({len(totals)} presses with stopwatches; without them p50 was "
        f"{plain_p50_ms * 1000:.0f} µs)",
        ["step", "p50 µs", "p99 µs", "mean µs", "% of mean"],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="presses and bare commits (default 2000)")
    parser.add_argument("--dir", help="where to put the temporary data dir (default: the system temp dir)")
    parser.add_argument("--breakdown", action="store_true", help="then show where a press's time goes")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-press-", args.dir) as work:
        kiosk = build_kiosk(work / "data")
        bare = BareCommits(str(work / "bare.sqlite3"))
        try:
            presses, commits = measure_alternating(Presser(kiosk).press, bare.commit, args.n)
            rows = stored_rows()
        finally:
            bare.close()
            kiosk.close()
        if rows != args.n:
            raise SystemExit(f"expected {args.n} stored ratings, found {rows}")
        if args.breakdown:
            kiosk = build_kiosk(work / "breakdown")
            try:
                steps, totals = measure_breakdown(kiosk, args.n)
            finally:
                kiosk.close()

    press, floor = summary_ms(presses), summary_ms(commits)
    print_latencies(
        f"Button press to committed row ({args.n} presses; rows verified: {rows}), "
        f"in {BLOCKS} blocks alternating with the bare commits",
        "path",
        [("kiosk press (MockPin -> ButtonPanel -> Recorder)", press),
         ("bare SQLite commit (WAL, synchronous=FULL)", floor)],
    )
    ratio50, ratio99 = press["p50"] / floor["p50"], press["p99"] / floor["p99"]
    print(f"press / bare commit: {ratio50:.2f}x at p50, {ratio99:.2f}x at p99")
    print(verdict(press["p99"], GOAL_P99_MS, "ms p99"))
    print(verdict(ratio50, GOAL_RATIO, "x the bare commit at p50"))
    if args.breakdown:
        print()
        print_breakdown(steps, totals, press["p50"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
