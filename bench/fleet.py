"""200 kiosks syncing at once for a minute against one central: batch-call latency and errors.

One ``hymy central serve`` (gunicorn, central's default workers) on
PostgreSQL when a throwaway cluster can be started here, else on SQLite (the
table says which). Every simulated kiosk is added with ``hymy central
add-kiosk``, gets its own token and enrolls its own UUID over HTTP. Then each
kiosk runs the uploader's loop with the uploader's own client (no retries, so
every failure counts): every few seconds, with jitter, a pass pulls the config
(ETag), posts a small batch of the rows recorded since (a few ratings, some
with follow-ups) and reports a heartbeat. Kiosks run as threads spread over a
few processes, so the client side is not one interpreter's lock.

An error is anything but central's full answer: a refused or failed call, a
timeout, or a batch whose rows are not all named as stored. At the end central
must hold exactly the ratings the kiosks were told it stored.

    python bench/fleet.py [--kiosks 200] [--seconds 60] [--processes 4] [--backend auto|sqlite|postgresql]
"""
import argparse
import random
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timezone

from _common import (
    CentralAdmin,
    batch_document,
    central_client,
    central_counts,
    central_env,
    kiosk_rows,
    percentile,
    postgres_cluster,
    print_table,
    start_central,
    take_rows,
    temp_dir,
)

#: A kiosk's pass every 2 to 6 seconds, each with 1 to 5 new rows.
INTERVAL_SECONDS = (2.0, 6.0)
ROWS_PER_PASS = (1, 5)
ENROLL_MARGIN_SECONDS = 15.0  # time for every process to enroll its kiosks before the common start
MAX_ERRORS_KEPT = 20


class SimulatedKiosk(threading.Thread):
    """One kiosk's uploader loop, from its own enrollment to the end of the run."""

    def __init__(self, url, token, start_at, stop_at, seed):
        super().__init__(daemon=True)
        self.client = central_client(url, token)
        self.device_id = str(uuid.uuid4())
        self.rows = kiosk_rows(self.device_id)
        self.start_at, self.stop_at = start_at, stop_at
        self.rng = random.Random(seed)
        self.batch_seconds = []
        self.errors = []
        self.ratings_stored = 0
        self.etag = None
        self.boot_id = str(uuid.uuid4())

    def run(self):
        try:
            self.client.enroll(self.device_id)
        except Exception as error:
            self.errors.append(f"enroll: {error}")
            return
        # Kiosks are not in lockstep: each starts somewhere in its first interval.
        self._sleep_until(self.start_at + self.rng.uniform(0, INTERVAL_SECONDS[1]))
        while time.time() < self.stop_at:
            try:
                self._pass()
            except Exception as error:
                self.errors.append(f"{type(error).__name__}: {error}")
            self._sleep_until(min(self.stop_at, time.time() + self.rng.uniform(*INTERVAL_SECONDS)))
        self.client.close()

    @staticmethod
    def _sleep_until(moment):
        time.sleep(max(0.0, moment - time.time()))

    def _pass(self):
        """What ``Uploader.run_pass`` does on a kiosk with a few new rows: config, batch, heartbeat."""
        document, etag = self.client.fetch_config(self.etag)
        if document is not None:
            self.etag = etag
        ratings, followups = take_rows(self.rows, self.rng.randint(*ROWS_PER_PASS))
        batch = batch_document(self.device_id, ratings, followups, self.boot_id)
        begun = time.perf_counter()
        answer = self.client.send_batch(batch)
        self.batch_seconds.append(time.perf_counter() - begun)
        expected = {row["id"] for row in ratings + followups}
        if set(answer["stored"]) != expected or answer["rejected"] or answer["conflicts"]:
            raise RuntimeError(f"batch answer: {len(answer['stored'])} of {len(expected)} stored, "
                               f"rejected {answer['rejected'][:2]}, conflicts {answer['conflicts'][:2]}")
        self.ratings_stored += len(ratings)
        self.client.heartbeat(self._heartbeat())

    def _heartbeat(self):
        from sync.wire.protocol import format_time

        return {
            "kiosk_id": self.device_id, "software_version": "bench", "pending": 0, "oldest_pending_seconds": None,
            "quarantined": 0, "boot_id": self.boot_id, "wall": format_time(datetime.now(timezone.utc)),
            "monotonic": time.monotonic(), "clock_trusted": True,
            "free_disk_bytes": shutil.disk_usage("/").free, "gap_error": None,
        }


def run_kiosks(url, tokens, start_at, stop_at, seed):
    """One client process: a thread per kiosk; return (batch durations, errors, ratings stored)."""
    kiosks = [SimulatedKiosk(url, token, start_at, stop_at, seed + i) for i, token in enumerate(tokens)]
    for kiosk in kiosks:
        kiosk.start()
    for kiosk in kiosks:
        kiosk.join()
    return ([s for k in kiosks for s in k.batch_seconds],
            [e for k in kiosks for e in k.errors],
            sum(k.ratings_stored for k in kiosks))


def run_fleet(work, database_url, args):
    """Add and run the fleet; return (durations, errors, ratings stored, ratings held)."""
    admin = CentralAdmin(central_env(work, database_url))
    admin.add_organisation()
    tokens = [admin.add_kiosk(f"bench-gate-{i + 1:03d}") for i in range(args.kiosks)]
    with start_central(work, database_url) as server:
        start_at = time.time() + ENROLL_MARGIN_SECONDS
        stop_at = start_at + args.seconds
        shares = [tokens[i::args.processes] for i in range(args.processes)]
        with ProcessPoolExecutor(args.processes) as pool:
            futures = [pool.submit(run_kiosks, server.url, share, start_at, stop_at, 1000 * i)
                       for i, share in enumerate(shares)]
            results = [future.result() for future in futures]
    durations = [s for r in results for s in r[0]]
    errors = [e for r in results for e in r[1]]
    stored = sum(r[2] for r in results)
    return durations, errors, stored, central_counts(database_url)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=4, help="client processes the kiosks are spread over")
    parser.add_argument("--backend", choices=("auto", "sqlite", "postgresql"), default="auto")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-fleet-") as work, ExitStack() as stack:
        cluster = stack.enter_context(postgres_cluster()) if args.backend != "sqlite" else None
        if cluster is None and args.backend == "postgresql":
            return 1
        if cluster is not None:
            backend, database_url = "postgresql", cluster.create_database("bench_fleet")
        else:
            backend, database_url = "sqlite", f"sqlite:///{work / 'central' / 'central.sqlite3'}"
        durations, errors, stored, held = run_fleet(work, database_url, args)

    if stored != held:
        errors.append(f"central holds {held} ratings; kiosks were told {stored} were stored")
    print_table(
        f"{args.kiosks} kiosks syncing at once for {args.seconds:g} s against one central "
        f"({backend}, gunicorn with central's default workers), kiosks spread over {args.processes} processes",
        ["backend", "batch calls", "ratings stored", "batch p50 ms", "batch p99 ms", "batch max ms", "errors"],
        [[backend, len(durations), stored, percentile(durations, 0.5) * 1000, percentile(durations, 0.99) * 1000,
          max(durations) * 1000, len(errors)]],
    )
    for error in errors[:MAX_ERRORS_KEPT]:
        print(f"  error: {error}")
    print(f"goal: 0 errors; measured {len(errors)}: {'MET' if not errors else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
