"""Central ingest over HTTP, rows per second, beside the database's own limit.

For each backend, the same rows go into central twice in the same run:

1. over HTTP to the real ``hymy central serve`` (gunicorn, in a subprocess,
   on a temporary database): one enrolled kiosk posts 500-row batches one
   after another, as its uploader drains a backlog; each answer is checked
   (every row stored), and the rows central holds are counted at the end;
2. straight into a second fresh database made by central's own schema code
   (same tables, indexes and pragmas): one ``executemany`` (SQLite) or
   ``execute_values`` (PostgreSQL) per table per batch, one durable
   transaction per 500 rows. Nothing can ingest faster than this, so it is
   the limit central is measured against.

Rows are ratings in the wire protocol's shape, every tenth with its
follow-up. Bodies are encoded (and gzipped) as the uploader encodes them
before the clock starts, so the figure describes central, not the client. A
few warm-up batches (not timed) go first on both sides.

Then, what the rollups cost ingest: central keeps them in ingest's own
transaction (``sync.central.store.rollups``, tallied and upserted by
``sync.central.ingest.batch.ingest_batch``). The same rows go over HTTP to the
same real ``hymy central serve`` once as it runs in the field and once with
only the rollup step turned off, each time into a fresh database, for
``--repeats`` rounds that alternate which goes first (with, without;
without, with; …). The medians are compared; the slowdown is the extra time
per row, ``without / with - 1``. Central without its rollups runs through
:func:`serve_without_rollups` (in this file): in the gunicorn master, before
any worker is forked or builds the app, it puts a no-op tally in place of
``rollups.Tally`` and then runs the ``hymy`` CLI as it is, so every worker
serves the production code with that one step empty. Nothing in central
knows about the bench. After each run the rollup tables are checked: they
count every row sent (with) or nothing (without). The "central rows/s"
above is the median of the runs with rollups.

Wall time on a small machine moves with whatever else runs on it, so each
run also counts the CPU time the timed batches cost on the server side:
gunicorn's master and workers and, on PostgreSQL, the postmaster and its
backends (live ones read from /proc, ended ones through their parent's
reaped-children times). That cost per row, with and without rollups, is
what the rollups add, even when the wall figures are noisy; both are
printed, each with its verdict.

Last, what central's row checks (``sync.wire.protocol.check_row``, the same for
both backends) cost per row, timed in this process on the same bodies freshly
parsed, beside what one row costs the bare insert.

    python bench/ingest.py [--backend sqlite|postgresql|both] [--batches 200] [--workers 2] [--repeats 5]

Goals: central at least 70 % of the bare limit; at most 15 % slower with the
rollups than without them.
"""
import argparse
import gzip
import json
import os
import sqlite3
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests
from _common import (
    BENCH_DIR,
    CentralAdmin,
    batch_document,
    central_client,
    central_counts,
    central_database,
    central_env,
    encode_batch,
    kiosk_rows,
    postgres_cluster,
    print_table,
    start_central,
    summary_ms,
    take_rows,
    temp_dir,
    verdict,
)

GOAL_RATIO = 0.7
GOAL_ROLLUP_SLOWDOWN_PERCENT = 15
BATCH_ROWS = 500
WARMUP_BATCHES = 5


def make_batches(kiosk_id, count):
    """*count* batches of :data:`BATCH_ROWS` rows each, as ``(ratings, follow-ups)`` lists."""
    rows = kiosk_rows(kiosk_id)
    return [take_rows(rows, BATCH_ROWS) for _ in range(count)]


def prepare_central(work, database_url, name):
    """A central database with the bench organisation and one kiosk; return the kiosk's token."""
    admin = CentralAdmin(central_env(work, database_url))
    admin.add_organisation()
    return admin.add_kiosk(name)


# --- over HTTP ------------------------------------------------------------------------------

def ingest_over_http(work, database_url, batches, warmup, workers, in_flight, rollups=True, database_pid=None):
    """Post every batch to a real central; return (rows/s, per-batch durations, server CPU µs per row).

    Without *rollups*, central runs through :func:`serve_without_rollups`.
    The CPU is central's process tree's and, given *database_pid* (the
    postmaster), the database server's, over the timed batches only.
    """
    device_id = str(uuid.uuid4())
    token = prepare_central(work, database_url, "bench-ingest")
    bodies = [encode_batch(batch_document(device_id, ratings, followups)) for ratings, followups in batches]
    hymy = None if rollups else without_rollups_command()
    with start_central(work, database_url, hymy=hymy, workers=workers) as server:
        client = central_client(server.url, token)
        client.enroll(device_id)
        endpoint = client.enrollment.endpoint("/api/v1/batches")

        def post(i):
            body, headers = bodies[i]
            try:
                response = client.session.post(endpoint, data=body, headers=headers)
            except requests.RequestException as error:
                raise RuntimeError(f"batch {i}: {error}\ncentral's log:\n{server.log_tail()}") from None
            if response.status_code != 200:
                raise RuntimeError(f"batch {i}: HTTP {response.status_code} {response.text[:300]}")
            answer = response.json()
            expected = sum(map(len, batches[i]))
            if len(answer["stored"]) != expected or answer["rejected"]:
                raise RuntimeError(f"batch {i}: {len(answer['stored'])} of {expected} stored, "
                                   f"rejected {answer['rejected'][:3]}")

        for i in range(warmup):
            post(i)

        def timed(i):
            begun = time.perf_counter()
            post(i)
            return time.perf_counter() - begun

        servers = [server.pid] + ([database_pid] if database_pid else [])
        # As the uploader drains a backlog: `in_flight` batches on the wire at once.
        cpu_before = sum(map(tree_cpu_seconds, servers))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as senders:
            durations = list(senders.map(timed, range(warmup, len(batches))))
        elapsed = time.perf_counter() - started
        cpu = sum(map(tree_cpu_seconds, servers)) - cpu_before
        client.close()
    check_held(database_url, batches)
    check_rollups(database_url, batches if rollups else [])
    rows = rows_in(batches[warmup:])
    return rows / elapsed, durations, cpu / rows * 1e6


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid):
    """User + system CPU seconds of *pid* and every descendant, live or ended and reaped.

    Each process counts its own time and its reaped children's (fields 14-17 of
    /proc/PID/stat); live children are found through /proc and counted in turn.
    """
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            parents.setdefault(int(fields[1]), []).append((int(entry.name), fields))
    total, stack = 0, [pid]
    own = {child: fields for children in parents.values() for child, fields in children}
    while stack:
        current = stack.pop()
        if current in own:
            total += sum(int(value) for value in own[current][11:15])
        stack += [child for child, _ in parents.get(current, ())]
    return total / CLOCK_TICKS


def postmaster_pid(cluster):
    """The PostgreSQL server's main process (the first line of its postmaster.pid)."""
    return int((cluster.datadir / "postmaster.pid").read_text().split()[0])


def rows_in(batches):
    return sum(len(ratings) + len(followups) for ratings, followups in batches)


def check_held(database_url, batches):
    """Central must hold exactly the rows sent, once each."""
    expected = (sum(len(r) for r, _ in batches), sum(len(f) for _, f in batches))
    held = central_counts(database_url)
    if held != expected:
        raise RuntimeError(f"central holds {held} (ratings, follow-ups); sent {expected}")


def check_rollups(database_url, batches):
    """The day rollups must count every rating of *batches* once (none: the rollup step was off)."""
    from peewee import fn

    from sync.central.store.models import RollupDay
    from sync.wire.figures import HOUR_COUNTS

    with central_database(database_url):
        counted = RollupDay.select(*(fn.COALESCE(fn.SUM(getattr(RollupDay, c)), 0) for c in HOUR_COUNTS
                                     if c != "followups")).tuples().first()
    expected = sum(len(ratings) for ratings, _ in batches)
    if sum(counted) != expected:
        raise RuntimeError(f"the day rollups count {sum(counted)} ratings; expected {expected}")


# --- central without its rollups: the same code, the rollup step a no-op -------------------------

def serve_without_rollups(argv):
    """Run the ``hymy`` CLI (*argv*: ``central serve …``) with central's rollup tally a no-op.

    This runs in the gunicorn master, which imports ``sync.central.store.rollups``
    and replaces its ``Tally`` before any worker is forked; the workers build
    the app after the fork (``preload_app`` is off) and inherit the patched
    module, so ingest runs unchanged but tallies and writes nothing. Only the
    rollups are left out: rows, checks, conflicts and reconciliation stay.
    """
    from kiosk.cli import main as hymy
    from sync.central.store import rollups

    class NoRollups(rollups.Tally):
        def add_rating(self, *args, **kwargs):
            pass

        def add_followup(self, *args, **kwargs):
            pass

        def write(self, database=None):
            pass

    rollups.Tally = NoRollups
    hymy.main(args=list(argv), prog_name="hymy")


def without_rollups_command():
    """The command that stands for ``hymy`` in :func:`start_central` for central without its rollups."""
    code = (f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); "
            "import ingest; ingest.serve_without_rollups(sys.argv[1:])")
    return [sys.executable, "-c", code]


# --- the limit: bare executemany into central's schema -----------------------------------------

def central_tuples(kiosk_pk, batches):
    """Each batch's rows as central stores them: (rating tuples, follow-up tuples).

    Values go through the wire checks and central's own field conversions, so
    the bare inserts write exactly what ingest writes; this happens before the
    clock starts.
    """
    from sync.central.store.models import Followup, Rating
    from sync.wire.clock_correction import KIOSK
    from sync.wire.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, check_row

    received_at = datetime.now(timezone.utc)
    prepared = []
    for ratings, followups in batches:
        rating_rows = []
        for wire in ratings:
            row = check_row(wire, RATING_FIELDS)
            values = dict(row, kiosk=kiosk_pk, question_key=row["question_id"], kiosk_filter=row["filtered"],
                          occurred_at=row["recorded_at"], time_basis=KIOSK, received_at=received_at)
            rating_rows.append(tuple(f.db_value(values[f.name]) for f in Rating._meta.sorted_fields))
        followup_rows = []
        for wire in followups:
            row = check_row(wire, FOLLOWUP_FIELDS)
            values = dict(row, rating=row["rating_id"], received_at=received_at)
            followup_rows.append(tuple(f.db_value(values[f.name]) for f in Followup._meta.sorted_fields))
        prepared.append((rating_rows, followup_rows))
    return prepared


def insert_statements(one_row_marks):
    """INSERTs naming every column of central's rating and follow-up tables.

    *one_row_marks* makes the VALUES part from the column count: ``(?, ?, …)``
    for sqlite3's executemany, a single ``%s`` for psycopg2's execute_values.
    """
    from sync.central.store.models import Followup, Rating

    statements = []
    for model in (Rating, Followup):
        fields = model._meta.sorted_fields
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        statements.append(f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES {one_row_marks(len(fields))}')
    return statements


def bare_database(work, database_url):
    """A fresh central database (central's schema code) with the bench kiosk; return its key."""
    from sync.central.store.models import Kiosk

    prepare_central(work, database_url, "bench-bare")
    with central_database(database_url):
        return Kiosk.get(Kiosk.name == "bench-bare").id


def bare_sqlite(work, database_url, batches, warmup):
    """sqlite3 executemany, WAL + synchronous=FULL as central's own connection; return rows/s."""
    from sync.central.store.db import make_database

    prepared = central_tuples(bare_database(work, database_url), batches)
    rating_sql, followup_sql = insert_statements(lambda n: "(" + ", ".join("?" * n) + ")")
    database = make_database(database_url)
    connection = sqlite3.connect(database.database, isolation_level=None)
    try:
        for pragma, value in database._pragmas:
            connection.execute(f"PRAGMA {pragma} = {value}")

        def write(ratings, followups):
            connection.execute("BEGIN")
            connection.executemany(rating_sql, ratings)
            connection.executemany(followup_sql, followups)
            connection.execute("COMMIT")

        return timed_writes(write, prepared, warmup)
    finally:
        connection.close()


def bare_postgresql(work, database_url, batches, warmup):
    """psycopg2 execute_values, one committed transaction per batch; return rows/s."""
    import psycopg2
    from psycopg2.extras import execute_values

    prepared = central_tuples(bare_database(work, database_url), batches)
    rating_sql, followup_sql = insert_statements(lambda n: "%s")
    connection = psycopg2.connect(database_url)
    try:
        def write(ratings, followups):
            with connection.cursor() as cursor:
                execute_values(cursor, rating_sql, ratings, page_size=BATCH_ROWS)
                if followups:
                    execute_values(cursor, followup_sql, followups, page_size=BATCH_ROWS)
            connection.commit()

        return timed_writes(write, prepared, warmup)
    finally:
        connection.close()


def timed_writes(write, prepared, warmup):
    for ratings, followups in prepared[:warmup]:
        write(ratings, followups)
    started = time.perf_counter()
    for ratings, followups in prepared[warmup:]:
        write(ratings, followups)
    elapsed = time.perf_counter() - started
    return sum(len(r) + len(f) for r, f in prepared[warmup:]) / elapsed


# --- the row checks ----------------------------------------------------------------------

def row_check_cost(batches):
    """Median over *batches* of what checking one row costs, in µs.

    Each body is encoded as the uploader sends it and parsed again first (not
    timed), so the checks see fresh objects, as central's do.
    """
    from sync.wire.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, check_row

    per_row = []
    for ratings, followups in batches:
        body, headers = encode_batch(batch_document(str(uuid.uuid4()), ratings, followups))
        document = json.loads(gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body)
        started = time.perf_counter()
        for row in document["ratings"]:
            check_row(row, RATING_FIELDS)
        for row in document["followups"]:
            check_row(row, FOLLOWUP_FIELDS)
        per_row.append((time.perf_counter() - started) / (len(ratings) + len(followups)))
    return statistics.median(per_row) * 1e6


# --- runs --------------------------------------------------------------------------------

def run_backend(backend, args, work, batches, cluster=None):
    """``(limit row, rollups row, every run's figures)`` of one backend.

    The limit row is (backend, central rows/s, bare rows/s, ratio, p50, p99),
    central's figures from the runs with rollups (median rows/s; latencies of
    all their batches); the rollups row is (backend, rows/s with, without,
    ratio, slowdown %, CPU µs per row with, without, CPU slowdown %), medians
    over ``args.repeats`` alternating rounds.
    """
    def database(name):
        if backend == "sqlite":
            return f"sqlite:///{work / name / 'central.sqlite3'}"
        return cluster.create_database(f"bench_ingest_{name}")

    runs = {True: [], False: []}
    cpu = {True: [], False: []}
    durations = []
    database_pid = postmaster_pid(cluster) if cluster is not None else None
    for round_ in range(args.repeats):
        for rollups in ((True, False) if round_ % 2 == 0 else (False, True)):
            name = f"{'with' if rollups else 'without'}_{round_}"
            rate, batch_durations, cpu_us = ingest_over_http(work / name, database(name), batches, WARMUP_BATCHES,
                                                             args.workers, args.in_flight, rollups=rollups,
                                                             database_pid=database_pid)
            runs[rollups].append(rate)
            cpu[rollups].append(cpu_us)
            if rollups:
                durations += batch_durations
    bare = bare_sqlite if backend == "sqlite" else bare_postgresql
    limit = bare(work / "bare", database("bare"), batches, WARMUP_BATCHES)
    served, without = statistics.median(runs[True]), statistics.median(runs[False])
    cpu_with, cpu_without = statistics.median(cpu[True]), statistics.median(cpu[False])
    latency = summary_ms(durations)
    return ([backend, served, limit, served / limit, latency["p50"], latency["p99"]],
            [backend, served, without, served / without, (without / served - 1) * 100,
             cpu_with, cpu_without, (cpu_with / cpu_without - 1) * 100], {"rows/s": runs, "cpu": cpu})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--batches", type=int, default=200, help=f"timed {BATCH_ROWS}-row batches (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (central's default: 2)")
    parser.add_argument("--in-flight", type=int, default=2,
                        help="batches on the wire at once (the uploader's sync_in_flight default: 2)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="rounds of central with and without rollups, alternating (default 5)")
    args = parser.parse_args(argv)

    rows, rollup_rows, runs = [], [], {}
    batches = make_batches(str(uuid.uuid4()), args.batches + WARMUP_BATCHES)
    with temp_dir("hymy-bench-ingest-") as work:
        if args.backend in ("sqlite", "both"):
            row, rollup_row, runs["sqlite"] = run_backend("sqlite", args, work / "sqlite", batches)
            rows.append(row)
            rollup_rows.append(rollup_row)
        if args.backend in ("postgresql", "both"):
            with postgres_cluster() as cluster:
                if cluster is None:
                    print("PostgreSQL: skipped (no server here)")
                else:
                    row, rollup_row, runs["postgresql"] = run_backend("postgresql", args, work / "postgresql",
                                                                      batches, cluster)
                    rows.append(row)
                    rollup_rows.append(rollup_row)
    check_us = row_check_cost(batches)

    print_table(
        f"Central ingest over HTTP, {BATCH_ROWS}-row batches ({args.batches} timed, one kiosk with "
        f"{args.in_flight} in flight, gunicorn {args.workers} workers) beside a bare executemany into the same schema",
        ["backend", "central rows/s", "bare rows/s", "ratio", "batch p50 ms", "batch p99 ms"],
        rows,
    )
    for row in rows:
        print(f"{row[0]}: " + verdict(row[3], GOAL_RATIO, "of the bare limit", at_least=True))
    print()
    print_table(
        f"Central ingest with its rollups beside the same central with the rollup step off: the same rows, "
        f"median of {args.repeats} alternating runs each, a fresh database per run",
        ["backend", "with rollups rows/s", "without rows/s", "ratio", "slowdown %",
         "CPU µs/row with", "CPU µs/row without", "CPU slowdown %"],
        rollup_rows,
    )
    for backend, figures in runs.items():
        rates, cpu = figures["rows/s"], figures["cpu"]
        paired = [(without / with_ - 1) * 100 for with_, without in zip(rates[True], rates[False], strict=True)]
        print(f"{backend} runs, rows/s: with rollups " + ", ".join(f"{r:.0f}" for r in rates[True])
              + "; without " + ", ".join(f"{r:.0f}" for r in rates[False])
              + "; slowdown per round % " + ", ".join(f"{d:.1f}" for d in paired)
              + f" (median {statistics.median(paired):.1f})")
        print(f"{backend} runs, server CPU µs per row: with rollups " + ", ".join(f"{c:.1f}" for c in cpu[True])
              + "; without " + ", ".join(f"{c:.1f}" for c in cpu[False]))
    for row in rollup_rows:
        print(f"{row[0]}: " + verdict(row[4], GOAL_ROLLUP_SLOWDOWN_PERCENT, "% slower with rollups (wall, rows/s)"))
        print(f"{row[0]}: " + verdict(row[7], GOAL_ROLLUP_SLOWDOWN_PERCENT, "% more server CPU per row with rollups"))
    print(f"row checks (sync.wire.protocol.check_row, every field of every rating and follow-up): "
          f"{check_us:.1f} µs per row"
          + "".join(f"; {row[0]}'s bare insert takes {1e6 / row[2]:.1f} µs per row" for row in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
