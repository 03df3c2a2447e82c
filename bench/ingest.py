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

Last, what central's row checks (``sync.protocol.check_row``, the same for
both backends) cost per row, timed in this process on the same bodies freshly
parsed, beside what one row costs the bare insert.

    python bench/ingest.py [--backend sqlite|postgresql|both] [--batches 200] [--workers 2]
"""
import argparse
import gzip
import json
import sqlite3
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests
from _common import (
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

def ingest_over_http(work, database_url, batches, warmup, workers, in_flight):
    """Post every batch to a real central; return (rows/s, per-batch durations)."""
    device_id = str(uuid.uuid4())
    token = prepare_central(work, database_url, "bench-ingest")
    bodies = [encode_batch(batch_document(device_id, ratings, followups)) for ratings, followups in batches]
    with start_central(work, database_url, workers=workers) as server:
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

        # As the uploader drains a backlog: `in_flight` batches on the wire at once.
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as senders:
            durations = list(senders.map(timed, range(warmup, len(batches))))
        elapsed = time.perf_counter() - started
        client.close()
    check_held(database_url, batches)
    return rows_in(batches[warmup:]) / elapsed, durations


def rows_in(batches):
    return sum(len(ratings) + len(followups) for ratings, followups in batches)


def check_held(database_url, batches):
    """Central must hold exactly the rows sent, once each."""
    expected = (sum(len(r) for r, _ in batches), sum(len(f) for _, f in batches))
    held = central_counts(database_url)
    if held != expected:
        raise RuntimeError(f"central holds {held} (ratings, follow-ups); sent {expected}")


# --- the limit: bare executemany into central's schema -----------------------------------------

def central_tuples(kiosk_pk, batches):
    """Each batch's rows as central stores them: (rating tuples, follow-up tuples).

    Values go through the wire checks and central's own field conversions, so
    the bare inserts write exactly what ingest writes; this happens before the
    clock starts.
    """
    from sync.central.models import Followup, Rating
    from sync.clock_correction import KIOSK
    from sync.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, check_row

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
    from sync.central.models import Followup, Rating

    statements = []
    for model in (Rating, Followup):
        fields = model._meta.sorted_fields
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        statements.append(f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES {one_row_marks(len(fields))}')
    return statements


def bare_database(work, database_url):
    """A fresh central database (central's schema code) with the bench kiosk; return its key."""
    from sync.central.models import Device

    prepare_central(work, database_url, "bench-bare")
    with central_database(database_url):
        return Device.get(Device.name == "bench-bare").id


def bare_sqlite(work, database_url, batches, warmup):
    """sqlite3 executemany, WAL + synchronous=FULL as central's own connection; return rows/s."""
    from sync.central.db import make_database

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
    from sync.protocol import FOLLOWUP_FIELDS, RATING_FIELDS, check_row

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
    """One table row: (backend, central rows/s, bare rows/s, ratio, p50, p99)."""
    if backend == "sqlite":
        served_url = f"sqlite:///{work / 'served' / 'central.sqlite3'}"
        bare_url = f"sqlite:///{work / 'bare' / 'central.sqlite3'}"
        bare = bare_sqlite
    else:
        served_url = cluster.create_database("bench_ingest_served")
        bare_url = cluster.create_database("bench_ingest_bare")
        bare = bare_postgresql
    served, durations = ingest_over_http(work / "served", served_url, batches, WARMUP_BATCHES, args.workers,
                                           args.in_flight)
    limit = bare(work / "bare", bare_url, batches, WARMUP_BATCHES)
    latency = summary_ms(durations)
    return [backend, served, limit, served / limit, latency["p50"], latency["p99"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--batches", type=int, default=200, help=f"timed {BATCH_ROWS}-row batches (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (central's default: 2)")
    parser.add_argument("--in-flight", type=int, default=2,
                        help="batches on the wire at once (the uploader's sync_in_flight default: 2)")
    args = parser.parse_args(argv)

    rows = []
    batches = make_batches(str(uuid.uuid4()), args.batches + WARMUP_BATCHES)
    with temp_dir("hymy-bench-ingest-") as work:
        if args.backend in ("sqlite", "both"):
            rows.append(run_backend("sqlite", args, work / "sqlite", batches))
        if args.backend in ("postgresql", "both"):
            with postgres_cluster() as cluster:
                if cluster is None:
                    print("PostgreSQL: skipped (no server here)")
                else:
                    rows.append(run_backend("postgresql", args, work / "postgresql", batches, cluster))
    check_us = row_check_cost(batches)

    print_table(
        f"Central ingest over HTTP, {BATCH_ROWS}-row batches ({args.batches} timed, one kiosk with "
        f"{args.in_flight} in flight, gunicorn {args.workers} workers) beside a bare executemany into the same schema",
        ["backend", "central rows/s", "bare rows/s", "ratio", "batch p50 ms", "batch p99 ms"],
        rows,
    )
    for row in rows:
        print(f"{row[0]}: " + verdict(row[3], GOAL_RATIO, "of the bare limit", at_least=True))
    print(f"row checks (sync.protocol.check_row, every field of every rating and follow-up): {check_us:.1f} µs per row"
          + "".join(f"; {row[0]}'s bare insert takes {1e6 / row[2]:.1f} µs per row" for row in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
