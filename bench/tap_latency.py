"""Tap to 201 over HTTP on loopback: the real kiosk beside a bare Flask + sqlite3 sketch.

Both servers run as subprocesses on temporary data dirs and are measured the
same way in the same run: one keep-alive ``requests.Session`` posting
``{"rating": n}`` one after another, each timed from send to the 201. A short
warm-up (not counted) opens the connection and fills caches, so the figures
describe a kiosk that has been up for a while, as in the field.

    python bench/tap_latency.py [--n 2000] [--warmup 20]
"""
import argparse
import sys

import requests
from _common import print_latencies, start_kiosk, start_script, summary_ms, temp_dir, time_each, verdict

GOAL_P99_MS = 8.0


def measure_taps(server, count, warmup):
    """Time *count* taps on *server*; check each 201 and the stored total."""
    url = f"{server.url}/api/ratings"
    with requests.Session() as session:
        before = stored_total(session, server)

        def tap(i):
            response = session.post(url, json={"rating": i % 4 + 1})
            if response.status_code != 201:
                raise RuntimeError(f"tap {i + 1}: {response.status_code} {response.text[:200]}")

        time_each(tap, warmup)
        durations = time_each(tap, count)
        stored = stored_total(session, server) - before
    if stored != count + warmup:
        raise RuntimeError(f"{server.url}: {count + warmup} taps acknowledged, {stored} stored")
    return durations


def stored_total(session, server):
    return session.get(f"{server.url}/healthz").json()["counts"]["total"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="timed taps per server (default 2000)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed taps first (default 20)")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-tap-") as work:
        with start_kiosk(work) as kiosk:
            taps = summary_ms(measure_taps(kiosk, args.n, args.warmup))
        with start_script("_bare_app.py", work, "--db", work / "bare.sqlite3") as bare:
            floor = summary_ms(measure_taps(bare, args.n, args.warmup))

    print_latencies(
        f"Tap to 201 over HTTP on loopback ({args.n} taps each, one keep-alive session)",
        "server",
        [("hymy kiosk (waitress, recorder, peewee)", taps), ("bare Flask + sqlite3 (waitress, WAL, FULL)", floor)],
    )
    print(verdict(taps["p99"], GOAL_P99_MS, "ms p99"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
