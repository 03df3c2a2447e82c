"""A month offline at a busy gate: drain a 1,000,000-rating kiosk backlog to central.

The kiosk's database is made by the kiosk's own migrations, and its first
rating and follow-up by the real recorder (so the question texts and the boot
record are the kiosk's own). The rest of the backlog is then copied in with
plain ``executemany`` in large transactions, rating, follow-up and outbox rows
alike: only to build the fixture in seconds instead of an hour of durable
presses; the rows are the same as the recorder writes.

Then the real thing, timed: the kiosk is enrolled with ``hymy enroll`` and
drained by one ``hymy sync`` (the uploader's ``run_pass``: batches of 500
oldest first, each settled against central's answer) into a real
``hymy central serve`` (gunicorn) on loopback. At the end central must hold
exactly every rating and follow-up of the backlog, and the kiosk none pending.

    python bench/drain.py [--ratings 1000000] [--followup-every 10] [--backend sqlite|postgresql] [--workers 2]
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from _common import (
    CentralAdmin,
    central_counts,
    central_env,
    hymy_command,
    postgres_cluster,
    print_table,
    start_central,
    temp_dir,
    verdict,
)

GOAL_SECONDS = 120.0
COPY_CHUNK = 100_000  # rows per fixture transaction
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the kiosk's stored time format
OFFLINE = timedelta(days=30)


def kiosk_env(work):
    return {"HYMY_DATA_DIR": str(work / "kiosk-data"), "HYMY_CLOCK_TRUSTED": "always", "HYMY_LOG_LEVEL": "warning"}


def build_backlog(work, ratings, followup_every):
    """Fill a kiosk database with *ratings* pending ratings (and follow-ups); return the follow-up count."""
    from kiosk.config import load_config
    from kiosk.storage.content import Content
    from kiosk.storage.content_store import ContentStore
    from kiosk.storage.db import close_database, connection, database, open_database
    from kiosk.storage.identity import kiosk_id
    from kiosk.storage.recorder import Recorder
    from sync.common.clock import FakeClock

    config = load_config(environ=kiosk_env(work))
    start = datetime.now(timezone.utc) - OFFLINE
    clock = FakeClock(start, boot_id=str(uuid.uuid4()))
    open_database(config.database_path, config.busy_timeout_ms)
    try:
        content = ContentStore(Content.from_config(config), config.data_dir)
        recorder = Recorder(clock, kiosk_id(config.data_dir), content)
        with connection():
            first = recorder.record(4, "button")
            recorder.record_followup(first.id, "staff", "Quick and friendly.")
    finally:
        close_database()
        database.close()
    return copy_rows(config.database_path, ratings, followup_every, clock, start)


def copy_rows(path, ratings, followup_every, clock, start):
    """Append ratings 2..*ratings* after the recorder's first, in large transactions."""
    step = OFFLINE.total_seconds() / ratings  # spread over the month offline
    connection = sqlite3.connect(path, isolation_level=None)
    template = connection.execute(
        "SELECT kiosk_id, question_id, question_version, boot_id, monotonic FROM rating WHERE seq = 1").fetchone()
    kiosk, question_id, question_version, boot_id, monotonic = template
    reasons = connection.execute("SELECT reason, reason_group FROM followup").fetchone()
    followups = 1
    try:
        for first_seq in range(2, ratings + 1, COPY_CHUNK):
            rating_rows, followup_rows, outbox_rows = [], [], []
            for seq in range(first_seq, min(first_seq + COPY_CHUNK, ratings + 1)):
                moment = (start + timedelta(seconds=seq * step)).strftime(TIME_FORMAT)
                rating_id = str(uuid.uuid4())
                rating_rows.append((rating_id, seq, kiosk, question_id, question_version, seq % 4 + 1,
                                    "button" if seq % 3 else "touch", moment, 1, boot_id,
                                    monotonic + seq * step, "repeat" if seq % 50 == 0 else None))
                outbox_rows.append(("rating", rating_id))
                if followup_every and seq % followup_every == 0:
                    followup_id = str(uuid.uuid4())
                    followup_rows.append((followup_id, rating_id, *reasons, None, moment, 1, boot_id,
                                          monotonic + seq * step + 3))
                    outbox_rows.append(("followup", followup_id))
            connection.execute("BEGIN")
            connection.executemany("INSERT INTO rating (id, seq, kiosk_id, question_id, question_version, rating, "
                                   "source, recorded_at, clock_trusted, boot_id, monotonic, filtered) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rating_rows)
            connection.executemany("INSERT INTO followup (id, rating_id, reason, reason_group, comment, "
                                   "recorded_at, clock_trusted, boot_id, monotonic) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", followup_rows)
            connection.executemany("INSERT INTO outbox (kind, item_id) VALUES (?, ?)", outbox_rows)
            connection.execute("COMMIT")
            followups += len(followup_rows)
        pending = connection.execute("SELECT count(*) FROM outbox WHERE quarantined_at IS NULL").fetchone()[0]
    finally:
        connection.close()
    if pending != ratings + followups:
        raise RuntimeError(f"fixture: {pending} pending, expected {ratings + followups}")
    return followups


def hymy(work, *args, stdin=None):
    """Run a ``hymy`` kiosk-side command on the bench kiosk (*stdin* on its standard input); return its output."""
    result = subprocess.run(hymy_command() + list(args), env={**os.environ, **kiosk_env(work)},
                            capture_output=True, text=True, input=stdin)
    if result.returncode != 0:
        raise RuntimeError(f"hymy {' '.join(args)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def drain(work, database_url, args):
    """Build the backlog, drain it; return the table's rows."""
    started = time.perf_counter()
    followups = build_backlog(work, args.ratings, args.followup_every)
    built = time.perf_counter() - started

    admin = CentralAdmin(central_env(work, database_url))
    admin.add_organisation()
    token = admin.add_kiosk("bench-gate-1")
    with start_central(work, database_url, workers=args.workers) as server:
        hymy(work, "enroll", server.url, stdin=token + "\n")  # as an installer's script gives it: never in argv
        started = time.perf_counter()
        answer = hymy(work, "sync")
        seconds = time.perf_counter() - started
    held = central_counts(database_url)
    if held != (args.ratings, followups):
        raise RuntimeError(f"central holds {held} (ratings, follow-ups); the kiosk had {(args.ratings, followups)}")
    status = hymy(work, "sync", "--status")
    pending = next(line for line in status.splitlines() if line.startswith("pending:")).split()[-1]
    if pending != "0":
        raise RuntimeError(f"the kiosk still has {pending} pending after the drain:\n{status}")
    print(f"hymy sync: {answer}; fixture built in {built:.1f} s")
    rows = args.ratings + followups
    return seconds, [[f"{args.ratings:,} ratings + {followups:,} follow-ups", seconds, rows / seconds,
                      f"{held[0]:,} + {held[1]:,}"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--followup-every", type=int, default=10, help="a follow-up on every Nth rating (0: none)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (central's default: 2)")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-drain-") as work:
        if args.backend == "sqlite":
            seconds, rows = drain(work, f"sqlite:///{work / 'central' / 'central.sqlite3'}", args)
        else:
            with postgres_cluster() as cluster:
                if cluster is None:
                    print("PostgreSQL: no server here")
                    return 1
                seconds, rows = drain(work, cluster.create_database("bench_drain"), args)

    print_table(
        f"Kiosk backlog drained by one hymy sync to central on loopback "
        f"({args.backend}, gunicorn {args.workers} workers, 500-row batches)",
        ["backlog", "seconds", "rows/s", "central holds"],
        rows,
    )
    print(verdict(seconds, GOAL_SECONDS, "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
