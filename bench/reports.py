"""Head office's reports at fleet scale, read from the rollups.

A fresh central database per backend (made by central's own schema code)
gets a network of 1,000 kiosks at 100 sites in four time zones, three
services and five providers, and a year of rollups: per kiosk and local day
(``rollup_day``, with reason rows) and per kiosk and UTC hour of opening time
(``rollup_hour``), plus a sample of raw rows (which the reports must never
need). Then, timed over repeated runs:

- the 30-day overview: every site's figures and the previous 30 days for the
  trend (what ``/overview?period=30d`` computes);
- one site's 12-month trend (what a site's drill-down draws);
- one site's weekday x hour map over 30 days (from the hour rollups).

    python bench/reports.py [--backend sqlite|postgresql|both] [--kiosks 1000] [--runs 40]

Goal: p99 under 300 ms on PostgreSQL for the overview and the trend.
"""
import argparse
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import peewee
from _common import percentile, postgres_cluster, print_table, temp_dir, verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.central import reports  # noqa: E402
from sync.central.db import connection, open_central_database, write_transaction  # noqa: E402
from sync.central.models import (  # noqa: E402
    Device,
    Provider,
    Rating,
    RollupDay,
    RollupDayReason,
    RollupHour,
    Service,
    Site,
    central_db,
)

ZONES = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Lisbon", "Asia/Kolkata")
REASONS = ("waiting", "staff", "outcome", "information")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
GOAL_MS = 300


def build_network(kiosks, rng):
    sites = kiosks // 10
    with connection(), write_transaction():
        Site.insert_many([{"name": f"site-{n:03d}", "timezone": ZONES[n % len(ZONES)], "opening_hours": {}}
                          for n in range(sites)]).execute()
        Service.insert_many([{"name": name} for name in ("checkout", "returns", "info")]).execute()
        Provider.insert_many([{"name": f"provider-{n}"} for n in range(5)]).execute()
        site_ids = [s.id for s in Site.select(Site.id).order_by(Site.id)]
        service_ids = [s.id for s in Service.select(Service.id)]
        provider_ids = [p.id for p in Provider.select(Provider.id)]
        Device.insert_many([{"name": f"kiosk-{n:04d}", "site": site_ids[n // 10], "service": rng.choice(service_ids),
                             "provider": rng.choice(provider_ids), "token_hash": f"{n:064d}",
                             "created_at": NOW, "device_id": f"00000000-0000-4000-8000-{n:012d}"}
                            for n in range(kiosks)]).execute()
    return [k.id for k in Device.select(Device.id)]


def bulk_insert(model, rows):
    """Rows straight through the driver (executemany / execute_values): peewee's query builder would
    spend minutes rendering millions of generated rows."""
    fields = [f for f in model._meta.sorted_fields if not isinstance(f, peewee.AutoField)]
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    columns = [f.name for f in fields]
    table = model._meta.table_name
    values = [[_db_value(f, row.get(f.name, f.default)) for f in fields] for row in rows]
    cursor = central_db.cursor()
    if isinstance(central_db.obj, peewee.PostgresqlDatabase):
        from psycopg2.extras import execute_values

        execute_values(cursor, f'INSERT INTO "{table}" ({names}) VALUES %s', values, page_size=5000)
    else:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})', values)


def _db_value(field, value):
    value = field.db_value(value)
    return value.isoformat(" ") if isinstance(value, datetime) and not isinstance(
        central_db.obj, peewee.PostgresqlDatabase) else value


def _faces(rng, n):
    weights = (rng.random() * 0.1, rng.random() * 0.15, 0.3 + rng.random() * 0.2, 0.3 + rng.random() * 0.3)
    total = sum(weights)
    counts = [int(n * w / total) for w in weights]
    return counts


def fill_rollups(kiosk_ids, rng, days=365):
    """A year of day rollups and opening-hour hour rollups for every kiosk."""
    first = NOW.date() - timedelta(days=days - 1)
    rows_day, rows_reason, rows_hour = 0, 0, 0
    for kiosk_id in kiosk_ids:
        day_rows, reason_rows, hour_rows = [], [], []
        for offset in range(days):
            day = first + timedelta(days=offset)
            faces = _faces(rng, rng.randint(20, 90))
            day_rows.append({"kiosk": kiosk_id, "day": day, "very_unhappy": faces[0], "unhappy": faces[1],
                             "happy": faces[2], "very_happy": faces[3], "repeat": rng.randint(0, 3),
                             "followups": faces[0] + faces[1] // 2})
            for reason in REASONS[:rng.randint(1, 4)]:
                reason_rows.append({"kiosk": kiosk_id, "day": day, "reason": reason, "given": rng.randint(0, 5),
                                    "unhappy": rng.randint(0, 3)})
            start = datetime(day.year, day.month, day.day, 7, tzinfo=timezone.utc)
            for hour in range(12):
                share = _faces(rng, rng.randint(1, 8))
                hour_rows.append({"kiosk": kiosk_id, "hour": start + timedelta(hours=hour), "very_unhappy": share[0],
                                  "unhappy": share[1], "happy": share[2], "very_happy": share[3]})
        with connection(), write_transaction():
            for model, rows in ((RollupDay, day_rows), (RollupDayReason, reason_rows), (RollupHour, hour_rows)):
                bulk_insert(model, rows)
        rows_day, rows_reason, rows_hour = rows_day + len(day_rows), rows_reason + len(reason_rows), \
            rows_hour + len(hour_rows)
    return rows_day, rows_reason, rows_hour


def add_raw_sample(kiosk_ids, rng, count=20_000):
    """Raw rows beside the rollups, as a real database holds them (the reports must not read them)."""
    rows = []
    for seq in range(1, count + 1):
        moment = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
        rows.append({"id": str(uuid.uuid4()), "kiosk": rng.choice(kiosk_ids), "seq": seq, "question_key": "service",
                     "question_version": 1, "rating": rng.randint(1, 4), "source": "button", "recorded_at": moment,
                     "clock_trusted": True, "boot_id": "bench", "monotonic": float(seq), "occurred_at": moment,
                     "time_basis": "kiosk", "received_at": NOW})
    with connection(), write_transaction():
        bulk_insert(Rating, rows)
    return count


def timed(action, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        with connection():
            action()
        samples.append(time.perf_counter() - started)
    return percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000


def run_backend(name, database_url, args):
    rng = random.Random(7)
    open_central_database(database_url)
    started = time.perf_counter()
    kiosk_ids = build_network(args.kiosks, rng)
    counts = fill_rollups(kiosk_ids, rng)
    raw = add_raw_sample(kiosk_ids, rng)
    with connection():
        central_db.execute_sql("ANALYZE")
    print(f"{name}: {args.kiosks} kiosks, rollup_day {counts[0]:,} rows, rollup_day_reason {counts[1]:,}, "
          f"rollup_hour {counts[2]:,}, raw ratings {raw:,}; generated in {time.perf_counter() - started:.0f} s")
    thirty = reports.Period.parse("30d")
    with connection():
        site = Site.select().order_by(Site.id).first()
    results = [
        (f"30-day overview ({args.kiosks // 10} sites)",
         timed(lambda: reports.figures_by("site", reports.Scope(), thirty, NOW), args.runs)),
        ("one site's 12-month trend", timed(lambda: reports.months(site, reports.Scope(), NOW), args.runs)),
        ("one site's weekday x hour, 30 days",
         timed(lambda: reports.heat_map(site, reports.Scope(), thirty, NOW), args.runs)),
    ]
    central_db.obj.close()
    return [(f"{name}: {label}", p50, p99) for label, (p50, p99) in results]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    rows = []
    with temp_dir("hymy-bench-reports-") as work:
        if args.backend in ("sqlite", "both"):
            rows += run_backend("sqlite", f"sqlite:///{work / 'central.sqlite3'}", args)
        if args.backend in ("postgresql", "both"):
            with postgres_cluster() as cluster:
                if cluster is not None:
                    rows += run_backend("postgresql", cluster.create_database("bench_reports"), args)
    print_table(f"Head office's reports from the rollups, {args.runs} runs each", ["report", "p50 ms", "p99 ms"],
                [[label, p50, p99] for label, p50, p99 in rows])
    for label, _, p99 in rows:
        if label.startswith("postgresql") and "weekday" not in label:
            print(f"{label}: {verdict(p99, GOAL_MS, 'ms p99')}")


if __name__ == "__main__":
    main()
