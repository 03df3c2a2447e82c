"""Kiosk process peak RSS after a day's worth of traffic and more.

Starts the real ``hymy kiosk`` as a subprocess, keeps a few ``/events``
streams open as screens do (reopening them when the server ends them), posts
ratings over HTTP from a few clients (every tenth with a follow-up), then
reads the kiosk's peak resident set size (VmHWM in /proc/PID/status). The goal
is set by the smallest target board, a 512 MB Pi Zero 2 W.

    python bench/memory.py [--n 20000] [--streams 3] [--clients 4] [--followup-every 10]
"""
import argparse
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from _common import print_table, read_proc_status, start_kiosk, temp_dir, verdict

GOAL_PEAK_MB = 80.0
REASONS = ("staff", "waiting", "outcome", "premises")


class EventReader(threading.Thread):
    """One open screen: reads ``/events`` and reopens it, like EventSource."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = f"{url}/events"
        self.events = 0
        self._stop_event = threading.Event()
        self._response = None

    def run(self):
        while not self._stop_event.is_set():
            try:
                with requests.get(self.url, stream=True, timeout=(2, 30)) as self._response:
                    for line in self._response.iter_lines():
                        if line.startswith(b"event: rating"):
                            self.events += 1
                        if self._stop_event.is_set():
                            return
            except (requests.RequestException, AttributeError, ValueError):
                # Closed under us by stop(), or the server went away.
                self._stop_event.wait(0.2)

    def stop(self):
        self._stop_event.set()
        if self._response is not None:
            self._response.close()
        self.join(timeout=5)


def post_ratings(url, indices, followup_every):
    """Post one client's share of ratings; return (ratings, follow-ups) stored."""
    ratings = followups = 0
    with requests.Session() as session:
        for i in indices:
            response = session.post(f"{url}/api/ratings", json={"rating": i % 4 + 1})
            if response.status_code != 201:
                raise RuntimeError(f"rating {i}: {response.status_code} {response.text[:200]}")
            ratings += 1
            if followup_every and i % followup_every == 0:
                created = response.json()  # the follow-up key comes with the rating, as the screen gets it
                body = {"reason": REASONS[i % len(REASONS)], "comment": f"Bench comment number {i}.",
                        "followup_key": created["followup_key"]}
                followup = session.post(f"{url}/api/ratings/{created['id']}/followup", json=body)
                if followup.status_code != 201:
                    raise RuntimeError(f"follow-up {i}: {followup.status_code} {followup.text[:200]}")
                followups += 1
    return ratings, followups


def post_all(url, count, clients, followup_every):
    """Spread *count* ratings over *clients* concurrent sessions."""
    with ThreadPoolExecutor(clients) as pool:
        shares = [range(c, count, clients) for c in range(clients)]
        results = list(pool.map(lambda share: post_ratings(url, share, followup_every), shares))
    return sum(r for r, _ in results), sum(f for _, f in results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="ratings to post (default 20000)")
    parser.add_argument("--streams", type=int, default=3, help="open /events streams (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument("--followup-every", type=int, default=10, help="a follow-up every Nth rating (default 10)")
    args = parser.parse_args(argv)

    with temp_dir("hymy-bench-memory-") as work, start_kiosk(work) as kiosk:
        started_mb = read_proc_status(kiosk.pid, "VmRSS")
        readers = [EventReader(kiosk.url) for _ in range(args.streams)]
        for reader in readers:
            reader.start()
        try:
            ratings, followups = post_all(kiosk.url, args.n, args.clients, args.followup_every)
        finally:
            for reader in readers:
                reader.stop()
        counts = requests.get(f"{kiosk.url}/healthz").json()["counts"]
        current_mb = read_proc_status(kiosk.pid, "VmRSS")
        peak_mb = read_proc_status(kiosk.pid, "VmHWM")

    if counts["total"] != ratings or counts["followups"] != followups:
        raise SystemExit(f"posted {ratings} ratings and {followups} follow-ups, kiosk counts {counts}")
    print_table(
        f"Kiosk memory: {ratings} ratings, {followups} follow-ups, {args.clients} clients, "
        f"{args.streams} open /events streams ({sum(r.events for r in readers)} events received)",
        ["measure", "MB"],
        [
            ["RSS after start", started_mb],
            ["RSS at the end", current_mb],
            ["peak RSS (VmHWM)", peak_mb],
        ],
    )
    print(verdict(peak_mb, GOAL_PEAK_MB, "MB peak RSS"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
