"""Head office's reports at fleet scale, read from the rollups.

A fresh central database per backend (made by central's own schema code)
gets a network of 1,000 kiosks at 100 sites in four time zones, three
services and five providers, and a year of rollups: per kiosk and local day
(``rollup_day``, with reason rows) and per kiosk and UTC hour of opening time
(``rollup_hour``, with reason rows, as the uploads write them), plus a sample of raw rows (which the reports must never
need), and a history of alert episodes (one rule per site, a few closed
episodes each, a few still open). Then, timed over repeated runs:

- the 30-day overview: every call head office's ``/overview?period=30d``
  makes for an admin (``sync.central.web.pages.overview``), in its order and
  through its own helpers: the sites, every site's figures with the previous
  30 days for the trend (``reports.figures_by``), each site's kiosk count,
  the empty figures, the sort, the whole network's figures with its own
  previous period (``reports.total_figures``), the open alert episodes
  (``alerts_page.visible_episodes``) and what the page frame asks for (the
  brand target, the service and provider choices). Only the template's
  rendering is left out;
- one site's 12-month trend (what a site's drill-down draws);
- one site's weekday x hour map over 30 days (from the hour rollups);
- the network document (``GET /api/v1/network``) for every kiosk of the network, one after another,
  as the kiosks' hourly asks would make central compute them: the total time;
- an action's before and after (28 local days each side, from the site's rollups) for an hours
  target on weekdays (the hour rollups) and a reason target (the day reason rollups).

    python bench/reports.py [--backend sqlite|postgresql|both] [--kiosks 1000] [--runs 40]

Goals on PostgreSQL: p99 under 300 ms for the overview and the trend; the network document for
every kiosk of 1,000 under 60 s in all; an action's before and after p99 under 50 ms.
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
from flask import Flask, g

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.central import reports
from sync.central.reports.effects import action_effect  # noqa: E402
from sync.central.reports.network import network_document  # noqa: E402
from sync.central.store.db import connection, open_central_database, write_transaction  # noqa: E402
from sync.central.store.models import (  # noqa: E402
    Alert,
    AlertRule,
    Kiosk,
    Provider,
    Rating,
    RollupDay,
    RollupDayReason,
    RollupHour,
    RollupHourReason,
    Service,
    Site,
    central_db,
)
from sync.central.web import pages  # noqa: E402
from sync.central.web.alerts_page import visible_episodes  # noqa: E402

ZONES = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Lisbon", "Asia/Kolkata")
REASONS = (("waiting", "accessibility"), ("staff", "attitude"), ("outcome", "outcome"),
           ("information", "communication"))
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
GOAL_MS = 300
ACTION_GOAL_MS = 50
NETWORK_GOAL_S = 60
#: The timed actions: started three weeks before NOW, so both sides hold data.
ACTION_START = (NOW - timedelta(days=21)).date()
LUNCH = {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 14}
QUEUE = {"kind": "reason", "reason": "waiting"}


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
        Kiosk.insert_many([{"name": f"kiosk-{n:04d}", "site": site_ids[n // 10], "service": rng.choice(service_ids),
                             "provider": rng.choice(provider_ids), "token_hash": f"{n:064d}",
                             "created_at": NOW, "uuid": f"00000000-0000-4000-8000-{n:012d}"}
                            for n in range(kiosks)]).execute()
    return [k.id for k in Kiosk.select(Kiosk.id)]


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
    """A year of day rollups and opening-hour hour rollups for every kiosk, each with its reason rows."""
    first = NOW.date() - timedelta(days=days - 1)
    rows_day, rows_reason, rows_hour, rows_hour_reason = 0, 0, 0, 0
    for kiosk_id in kiosk_ids:
        day_rows, reason_rows, hour_rows, hour_reason_rows = [], [], [], []
        for offset in range(days):
            day = first + timedelta(days=offset)
            faces = _faces(rng, rng.randint(20, 90))
            day_rows.append({"kiosk": kiosk_id, "day": day, "very_unhappy": faces[0], "unhappy": faces[1],
                             "happy": faces[2], "very_happy": faces[3], "repeat": rng.randint(0, 3),
                             "followups": faces[0] + faces[1] // 2})
            for reason, group in REASONS[:rng.randint(1, 4)]:
                reason_rows.append({"kiosk": kiosk_id, "day": day, "reason": reason, "reason_group": group,
                                    "given": rng.randint(0, 5), "unhappy": rng.randint(0, 3)})
            start = datetime(day.year, day.month, day.day, 7, tzinfo=timezone.utc)
            for hour in range(12):
                share = _faces(rng, rng.randint(1, 8))
                hour_rows.append({"kiosk": kiosk_id, "hour": start + timedelta(hours=hour), "very_unhappy": share[0],
                                  "unhappy": share[1], "happy": share[2], "very_happy": share[3]})
                for reason, group in rng.sample(REASONS, rng.randint(0, 2)):
                    hour_reason_rows.append({"kiosk": kiosk_id, "hour": start + timedelta(hours=hour), "reason": reason,
                                             "reason_group": group, "given": rng.randint(1, 2),
                                             "unhappy": rng.randint(0, 1)})
        with connection(), write_transaction():
            for model, rows in ((RollupDay, day_rows), (RollupDayReason, reason_rows), (RollupHour, hour_rows),
                                (RollupHourReason, hour_reason_rows)):
                bulk_insert(model, rows)
        rows_day, rows_reason = rows_day + len(day_rows), rows_reason + len(reason_rows)
        rows_hour, rows_hour_reason = rows_hour + len(hour_rows), rows_hour_reason + len(hour_reason_rows)
    return rows_day, rows_reason, rows_hour, rows_hour_reason


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


def add_alerts(rng, closed_per_site=10, open_share=0.1):
    """One unhappy-share rule per site, a year of closed episodes each, and some still open."""
    with connection(), write_transaction():
        site_ids = [s.id for s in Site.select(Site.id).order_by(Site.id)]
        AlertRule.insert_many([{"site": site_id, "unhappy_share": 30, "window_minutes": 60, "min_responses": 10,
                                "silent_minutes": 120, "emails": ["ops@example.com"], "secret": f"{site_id:032d}",
                                "created_at": NOW - timedelta(days=365)} for site_id in site_ids]).execute()
        rows = []
        for rule in AlertRule.select(AlertRule.id):
            for _ in range(closed_per_site):
                started = NOW - timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
                rows.append({"rule": rule.id, "kind": "unhappy", "started_at": started,
                             "ended_at": started + timedelta(minutes=rng.randrange(30, 300)),
                             "detail": {"share": rng.randint(30, 80)}, "sent_at": started})
            if rng.random() < open_share:
                started = NOW - timedelta(minutes=rng.randrange(5, 120))
                rows.append({"rule": rule.id, "kind": "unhappy", "started_at": started, "ended_at": None,
                             "detail": {"share": rng.randint(30, 80)}, "sent_at": started})
        Alert.insert_many(rows).execute()
    return len(rows)


#: An app context to hold ``flask.g`` for the page helpers that keep request state there.
PAGE_CONTEXT_APP = Flask("bench-reports")


def overview(period, now):
    """What ``pages.overview`` computes for an admin (every site; sorted by name), short of rendering.

    The same calls in the same order, through the page's own helpers, in an
    app context whose ``flask.g`` holds what the request would: an admin's
    ``viewer_site_ids()`` is None.
    """
    with PAGE_CONTEXT_APP.app_context():
        g.viewer_site_ids = None
        scope = reports.Scope()
        args = pages.ReportArgs(period, scope, None, None, "name", False, None, {})
        sites = reports.sites_in(scope)
        by_site = reports.figures_by("site", scope, period, now)
        kiosk_counts = pages._kiosk_counts(scope)
        empty = reports.empty_figures()
        rows = pages._sorted([(site, by_site.get(site.id, empty)) for site in sites], args)
        total = reports.total_figures(scope, period, now, by_site=by_site)
        open_alerts = visible_episodes(open_only=True)
        below = sum(1 for _, f in rows if f.below_target)
        target, choices = reports.brand_settings()[0], pages._choices()  # what _page adds for the frame
    return rows, total, kiosk_counts, below, open_alerts, target, choices


def open_alerts():
    """The overview's open alert episodes alone, as an admin's request reads them."""
    with PAGE_CONTEXT_APP.app_context():
        g.viewer_site_ids = None
        return visible_episodes(open_only=True)


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
    alert_count = add_alerts(rng)
    with connection():
        central_db.execute_sql("ANALYZE")
    print(f"{name}: {args.kiosks} kiosks, rollup_day {counts[0]:,} rows, rollup_day_reason {counts[1]:,}, "
          f"rollup_hour {counts[2]:,}, rollup_hour_reason {counts[3]:,}, raw ratings {raw:,}, "
          f"alert episodes {alert_count:,}; generated in {time.perf_counter() - started:.0f} s")
    thirty = reports.Period.parse("30d")
    with connection():
        site = Site.select().order_by(Site.id).first()
    results = [  # (label, (p50, p99), held to the goal)
        (f"30-day overview page's calls ({args.kiosks // 10} sites)", timed(lambda: overview(thirty, NOW), args.runs),
         "page"),
        ("  its parts alone: figures_by('site')",
         timed(lambda: reports.figures_by("site", reports.Scope(), thirty, NOW), args.runs), None),
        ("  total_figures", timed(lambda: reports.total_figures(reports.Scope(), thirty, NOW), args.runs), None),
        ("  open alert episodes (visible_episodes)", timed(open_alerts, args.runs), None),
        ("one site's 12-month trend", timed(lambda: reports.months(site, reports.Scope(), NOW), args.runs), "page"),
        ("one site's weekday x hour, 30 days",
         timed(lambda: reports.heat_map(site, reports.Scope(), thirty, NOW), args.runs), None),
    ]
    results += [
        ("an action's before and after, hours on weekdays",
         timed(lambda: action_effect(site, ACTION_START, LUNCH, NOW), args.runs), "action"),
        ("an action's before and after, a reason",
         timed(lambda: action_effect(site, ACTION_START, QUEUE, NOW), args.runs), "action"),
    ]
    every_kiosk = every_network_document()
    print(f"{name}: the network document for each of {args.kiosks} kiosks: {every_kiosk:.1f} s in all "
          f"({every_kiosk / args.kiosks * 1000:.1f} ms a kiosk)")
    central_db.obj.close()
    return [(name, label, p50, p99, goal) for label, (p50, p99), goal in results], (name, every_kiosk)


def every_network_document():
    """Seconds to make the network document of every kiosk, one after another."""
    with connection():
        kiosks = list(Kiosk.select().order_by(Kiosk.id))
    started = time.perf_counter()
    for kiosk in kiosks:
        with connection():
            network_document(kiosk, NOW, share_names=False)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    rows, sweeps = [], []
    with temp_dir("hymy-bench-reports-") as work:
        if args.backend in ("sqlite", "both"):
            timed_rows, sweep = run_backend("sqlite", f"sqlite:///{work / 'central.sqlite3'}", args)
            rows, sweeps = rows + timed_rows, sweeps + [sweep]
        if args.backend in ("postgresql", "both"):
            with postgres_cluster() as cluster:
                if cluster is not None:
                    timed_rows, sweep = run_backend("postgresql", cluster.create_database("bench_reports"), args)
                    rows, sweeps = rows + timed_rows, sweeps + [sweep]
    print_table(f"Head office's reports from the rollups, {args.runs} runs each", ["report", "p50 ms", "p99 ms"],
                [[f"{backend}: {label}", p50, p99] for backend, label, p50, p99, _ in rows])
    for backend, label, _, p99, goal in rows:
        if backend == "postgresql" and goal:
            print(f"{backend}: {label}: {verdict(p99, GOAL_MS if goal == 'page' else ACTION_GOAL_MS, 'ms p99')}")
    for backend, seconds in sweeps:
        if backend == "postgresql":
            print(f"{backend}: the network document for every kiosk: {verdict(seconds, NETWORK_GOAL_S, 's in all')}")


if __name__ == "__main__":
    main()
