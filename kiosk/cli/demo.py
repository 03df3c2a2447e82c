"""``hymy demo``: a kiosk with simulated buttons and a realistic seeded week.

The seeded ratings go through the same :class:`~kiosk.recorder.Recorder` as
live presses, driven by a :class:`~kiosk.clock.FakeClock` walked through the
past days, so they look exactly like rows a kiosk would have written. The
seeded days follow a counter open 8-20 (``FOOTFALL``): quiet mornings, a lunch
peak, and on the day before today one bad hour (``BAD_HOUR``, a queue: unhappy
customers naming the waiting), so the manager screen has something to show.
The demo site itself is open around the clock, so the taps of an evening demo
count. The demo sets a random manager PIN and prints it.
"""
import random
import secrets
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import click

from kiosk.db import connection
from kiosk.enrollment import EnrollmentError
from kiosk.pin import set_pin
from kiosk.recorder import Recorder
from sync.common.clock import FakeClock
from sync.uploader import Uploader

from .demo_central import DemoCentral, start_demo_central
from .demo_terminal import read_presses
from .errors import CommandError

# Typical footfall by local hour at a service counter open 8-20 (visits per hour).
FOOTFALL = {8: 6, 9: 10, 10: 14, 11: 22, 12: 30, 13: 26, 14: 16, 15: 14, 16: 20, 17: 26, 18: 18, 19: 8}
# Busy hours get worse ratings: weights for faces 1..4 when quiet and at the peak.
QUIET_WEIGHTS = (3, 7, 40, 50)
PEAK_WEIGHTS = (8, 13, 40, 39)
#: The day before today, 16-17: one cashier off sick and a queue to the door.
BAD_HOUR = 16
BAD_WEIGHTS = (30, 32, 28, 10)
UNHAPPY_REASONS = ("waiting", "staff", "information", "problem_handling", "outcome", "premises")
HAPPY_REASONS = ("staff", "outcome", "waiting", "information", "premises", "reliability")
HAPPY_COMMENTS = ("Ystävällinen palvelu!", "Snabb och trevlig service", "Friendly staff, thanks",
                  "Sain hyviä neuvoja")
UNHAPPY_COMMENTS = ("Jono oli tosi pitkä", "Could not find what I needed", "Ingen kunde svara på min fråga",
                    "Hyllyt olivat sekaisin")
QUEUE_COMMENTS = ("Jono oli tosi pitkä", "Kassalla vain yksi ihminen", "Waited 20 minutes", "Lång kö")


def _followup(rng, rating, bad_hour, offered):
    """``(reason, comment)`` a customer gives, or None when they skip the question."""
    if bad_hour and rating <= 2:
        if rng.random() < 0.75:
            return "waiting", rng.choice(QUEUE_COMMENTS) if rng.random() < 0.3 else None
        return None
    if rng.random() < (0.45 if rating <= 2 else 0.2):
        pool = [r for r in (UNHAPPY_REASONS if rating <= 2 else HAPPY_REASONS) if r in offered]
        if pool:
            comments = UNHAPPY_COMMENTS if rating <= 2 else HAPPY_COMMENTS
            return rng.choice(pool), rng.choice(comments) if rng.random() < 0.15 else None
    return None


def seed_ratings(kiosk_id, content_store, zone, days, rng=None, today=None):
    """Record *days* days of plausible ratings before *today*; return the count."""
    rng = rng or random.Random(7)
    today = today or datetime.now(zone).date()
    clock = FakeClock(trusted=True, boot_id="demo-seed")
    recorder = Recorder(clock, kiosk_id, content_store)
    offered = {reason.key for reason in content_store.current().reasons}
    count = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        weekend_factor = 0.6 if day.weekday() >= 5 else 1.0
        for hour, visits in FOOTFALL.items():
            busy = visits / max(FOOTFALL.values())
            weights = [q + (p - q) * busy for q, p in zip(QUIET_WEIGHTS, PEAK_WEIGHTS, strict=True)]
            bad_hour = back == 1 and hour == BAD_HOUR
            if bad_hour:
                weights = BAD_WEIGHTS
            local = datetime.combine(day, time(hour), tzinfo=zone)
            # A customer's minute and a child's repeats stay inside the hour (the counter closes at 20).
            moments = sorted(rng.uniform(0, 3600 - 120) for _ in range(int(visits * weekend_factor)))
            for offset in moments:
                clock.set_wall((local + timedelta(seconds=offset)).astimezone(timezone.utc))
                clock.advance(60)  # monotonic time moves on between customers
                rating = rng.choices((1, 2, 3, 4), weights)[0]
                recorded = recorder.record(rating, rng.choice(("touch", "button")))
                count += 1
                if rng.random() < 0.03:  # a child hammering the button: stored, flagged repeat
                    for _ in range(rng.randint(2, 4)):
                        clock.advance(0.5)
                        recorder.record(rng.randint(1, 4), "button")
                        count += 1
                answer = _followup(rng, rating, bad_hour, offered)
                if answer and answer[0] in offered:
                    recorder.record_followup(recorded.id, *answer)
    return count


def _enroll(kiosk, central):
    """Enrol the demo kiosk with the demo central, as `hymy enroll` does."""
    from sync.enrollment import enrol

    try:
        with connection():
            enrol(kiosk.config.data_dir, kiosk.kiosk_id, central.url, central.kiosk_token, kiosk.clock)
    except EnrollmentError as error:
        raise CommandError(f"enrolling with the demo central: {error}") from None


@dataclass
class Demo:
    """A seeded kiosk app enrolled with a demo central, both on a temporary *root*."""

    root: Path
    app: object
    central: DemoCentral
    seeded: int
    days: int
    today: date  # the site's local date; the seeded days end the day before
    manager_pin: str = None  # the PIN of the manager screen, set for this demo
    _sync: tuple = None  # (stop event, thread) while the uploader runs

    @property
    def kiosk(self):
        return self.app.extensions["hymy"]

    def export_command(self):
        """The ``curl`` line for the CSV export of the seeded days and today, into a file.

        ``from`` and ``to`` are the site's local dates, both included, as the export reads them.
        """
        url = f"{self.central.url}/api/v1/ratings?from={self.today - timedelta(days=self.days)}&to={self.today}"
        return f"curl -o ratings.csv -H 'Authorization: Bearer {self.central.api_token}' '{url}'"

    def announcement(self, url, terminal_buttons=False):
        """What the demo prints once the kiosk answers at *url*."""
        config = self.kiosk.config
        lines = [
            f"Hymy demo kiosk: {url}",
            f"  {self.seeded} ratings seeded over {self.days} days; data in {self.root} (removed on exit)",
            f"  health: {url}healthz",
            f"  manager screen: {url}manager with PIN {self.manager_pin} (on the kiosk's own screen: press the "
            "top-left corner for three seconds)" + (f"; yesterday had a bad hour at {BAD_HOUR}-{BAD_HOUR + 1}"
                                                    if self.days else ""),
            f"Central server: {self.central.url}/  (the kiosk syncs every {config.sync_interval:g} s)",
            f"  head office: log in at {self.central.url}/ as {self.central.user} (admin), password "
            f"{self.central.password}; or as {self.central.viewer} (viewer of one site), password "
            f"{self.central.viewer_password}",
            f"  {self.central.network_ratings} ratings of the last two months seeded across three sites and six kiosks",
            f"  export: {self.export_command()}",
            "  the demo site is open around the clock: a tap counts at any hour",
        ]
        if terminal_buttons:
            lines.append("  type 1, 2, 3 or 4 and Enter to press a physical button; Ctrl+C stops")
        return lines

    def start_sync(self):
        """Run the uploader every ``sync_interval`` seconds, as ``sync_in_kiosk`` does in
        ``hymy kiosk``, on a thread :meth:`close` stops and waits for before the data goes."""
        kiosk = self.kiosk
        uploader = Uploader(kiosk.config, kiosk.kiosk_id, kiosk.clock, kiosk.recorder.content_store)
        stop = threading.Event()
        thread = threading.Thread(target=uploader.loop, args=(stop,), name="hymy-sync", daemon=True)
        thread.start()
        self._sync = (stop, thread)

    def close(self):
        """Stop syncing (waiting for a pass under way), then central, then the kiosk's pins."""
        if self._sync is not None:
            stop, thread = self._sync
            stop.set()
            thread.join(timeout=self.kiosk.config.sync_connect_timeout + self.kiosk.config.sync_read_timeout)
            self._sync = None
        self.central.close()
        self.kiosk.close()


def build_demo_app(root, host=None, port=None, clock=None, pin_factory=None):
    """The demo kiosk's app on *root*/kiosk: mock buttons, a sync every 5 s.

    ``sync_in_kiosk`` is off because :meth:`Demo.start_sync` runs the uploader
    itself, so it can stop it before the data dir is removed.
    """
    from .kiosk_commands import build_app, ready_config

    overrides = {"data_dir": str(root / "kiosk"), "pin_factory": "mock", "sync_interval": 5, "sync_in_kiosk": False}
    overrides.update({k: v for k, v in (("host", host), ("port", port)) if v is not None})
    return build_app(ready_config(overrides=overrides), clock=clock, pin_factory=pin_factory)


def start_demo(app, root, days=7, central_port=8100):
    """Seed *app*'s kiosk with *days* days, start the demo central on *root*/central and enrol with it."""
    kiosk = app.extensions["hymy"]
    zone = kiosk.config.opening_hours.zone
    today = kiosk.clock.now().astimezone(zone).date()
    with connection():
        seeded = seed_ratings(kiosk.kiosk_id, kiosk.recorder.content_store, zone, days, today=today)
    manager_pin = f"{secrets.randbelow(10_000):04d}"
    set_pin(kiosk.config.data_dir, manager_pin)
    try:
        central = start_demo_central(root / "central", kiosk.config.host, central_port)
    except OSError as error:
        raise CommandError(f"central port {central_port}: {error.strerror}") from None
    try:
        _enroll(kiosk, central)
    except CommandError:
        central.close()
        raise
    return Demo(root, app, central, seeded, days, today, manager_pin)


def run_demo(host=None, port=None, days=7, central_port=8100):
    """Seed a kiosk, start a central server, enrol the kiosk, serve both until Ctrl+C."""
    from .log_setup import configure_logging
    from .serve import kiosk_running, serve
    from .stopping import end_streams_on_signals

    root = Path(tempfile.mkdtemp(prefix="hymy-demo-"))
    app = demo = None
    try:
        app = build_demo_app(root, host, port)
        config = app.config["HYMY"]
        configure_logging(config)
        demo = start_demo(app, root, days, central_port)
        terminal_buttons = demo.kiosk.buttons is not None and sys.stdin is not None and sys.stdin.isatty()

        def on_ready(url):
            for line in demo.announcement(url, terminal_buttons):
                click.echo(line)
            end_streams_on_signals(demo.kiosk.events)
            demo.start_sync()
            if terminal_buttons:
                threading.Thread(target=read_presses, args=(sys.stdin, demo.kiosk.buttons, click.echo),
                                 name="hymy-demo-keys", daemon=True).start()

        with kiosk_running(config.data_dir) as running:  # a fresh data dir: only doctor and restore look
            serve(app, config.host, config.port, running, on_ready=on_ready)
    except KeyboardInterrupt:
        pass  # Ctrl+C before the kiosk listened: stop as after
    finally:
        if demo is not None:
            demo.close()
        elif app is not None:
            app.extensions["hymy"].close()
        shutil.rmtree(root, ignore_errors=True)
