"""``hymy demo``: a kiosk with simulated buttons and a realistic seeded week.

The demo kiosk is Helsinki Kamppi's first kiosk (its checkout, ``kamppi-checkout-1``), one of
the six kiosks of the small network on the demo's central (sync/central/cli/demo_network.py). Central
holds its year; the demo's data dir holds its last ``--days`` days and today so far, recorded
here. The data dir is new, so the kiosk numbers its ratings on above the year central holds, as
a kiosk restored from a backup does (kiosk/storage/outbox.py): the uploader learns central's highest
number at its first pass.

The seeded ratings go through the same :class:`~kiosk.storage.recorder.Recorder` as
live presses, driven by a :class:`~sync.common.clock.FakeClock` walked through the
past days, so they look exactly like rows a kiosk would have written. How many
customers come each hour of each day, and how they feel, is the demo's traffic
model (sync/central/cli/demo_traffic.py), the one central's year of this kiosk follows:
a counter open 8-20, quiet mornings, a lunch peak, quieter weekends, noise from day
to day. On the day before today one hour goes wrong (``BAD_HOUR``, a queue: unhappy
customers naming the waiting), so the manager screen has something to show; today
is seeded up to the present moment, so its Today page is alive at first sight.
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
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import click
from flask import Flask

from kiosk.cli.demo_terminal import read_presses
from kiosk.manager.pin import set_pin
from kiosk.storage.content_store import ContentStore
from kiosk.storage.db import connection
from kiosk.storage.enrollment import EnrollmentError
from kiosk.storage.outbox import SequenceShift
from kiosk.storage.recorder import Recorder
from kiosk.web.parts import KioskParts
from sync.central.cli.demo_central import DemoCentral, start_demo_central
from sync.central.cli.demo_network import DEMO, DEMO_COUNTER
from sync.common.cli_errors import CommandError, address_error, check_address
from sync.common.clock import FakeClock
from sync.uploader.loop import Uploader
from sync.wire.protocol import format_time

#: The day before today, 16-17: one cashier off sick and a queue to the door.
BAD_HOUR = 16
BAD_WEIGHTS = (30, 32, 28, 10)
UNHAPPY_REASONS = DEMO.reasons
HAPPY_REASONS = DEMO.happy_reasons
HAPPY_COMMENTS = ("Ystävällinen palvelu!", "Snabb och trevlig service", "Friendly staff, thanks",
                  "Sain hyviä neuvoja")
UNHAPPY_COMMENTS = ("Jono oli tosi pitkä", "Could not find what I needed", "Ingen kunde svara på min fråga",
                    "Hyllyt olivat sekaisin")
QUEUE_COMMENTS = ("Jono oli tosi pitkä", "Kassalla vain yksi ihminen", "Waited 20 minutes", "Lång kö")
#: Today's seeded presses continue the past days' monotonic clock from far above it, so no
#: press of today can look like a repeat of the last seeded one.
TODAY_MONOTONIC = 400 * 86400.0


def _followup(rng: random.Random, rating: int, bad_hour: bool, offered: set[str]) -> tuple[str, str | None] | None:
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


def seed_ratings(
    kiosk_id: str,
    content_store: ContentStore,
    zone: tzinfo,
    days: int,
    rng: random.Random | None = None,
    today: date | None = None,
) -> int:
    """Record *days* days of plausible ratings before *today*; return the count."""
    rng = rng or random.Random(7)
    today = today or datetime.now(zone).date()
    clock = FakeClock(trusted=True, boot_id="demo-seed")
    recorder = Recorder(clock, kiosk_id, content_store)
    offered = {reason.key for reason in content_store.current().reasons}
    count = 0
    for back in range(days, 0, -1):
        count += _record_day(recorder, clock, today - timedelta(days=back), today, zone, rng, offered,
                             bad_hour=BAD_HOUR if back == 1 else None)
    return count


def seed_today(
    kiosk_id: str, content_store: ContentStore, zone: tzinfo, now: datetime, rng: random.Random | None = None
) -> int:
    """Record today's ratings up to *now* (none later): the counter's day so far; return the count."""
    rng = rng or random.Random(8)
    clock = FakeClock(trusted=True, boot_id="demo-seed", monotonic=TODAY_MONOTONIC)
    recorder = Recorder(clock, kiosk_id, content_store)
    offered = {reason.key for reason in content_store.current().reasons}
    today = now.astimezone(zone).date()
    return _record_day(recorder, clock, today, today, zone, rng, offered, before=now)


def _record_day(
    recorder: Recorder,
    clock: FakeClock,
    day: date,
    today: date,
    zone: tzinfo,
    rng: random.Random,
    offered: set[str],
    bad_hour: int | None = None,
    before: datetime | None = None,
) -> int:
    """Record *day*'s customers (those before *before*, when given) through *recorder*; return the count."""
    count = 0
    for hour, visits in DEMO_COUNTER.customers(day, today).items():
        weights = BAD_WEIGHTS if hour == bad_hour else DEMO_COUNTER.faces(day, hour, today)
        local = datetime.combine(day, time(hour), tzinfo=zone)
        # A customer's minute and a child's repeats stay inside the hour (the counter closes at 20).
        for offset in sorted(rng.uniform(0, 3600 - 120) for _ in range(visits)):
            moment = (local + timedelta(seconds=offset)).astimezone(timezone.utc)
            if before is not None and moment + timedelta(seconds=75) > before:
                return count  # the rest of the day has not happened yet
            clock.set_wall(moment)
            clock.advance(60)  # monotonic time moves on between customers
            rating = rng.choices((1, 2, 3, 4), weights)[0]
            recorded = recorder.record(rating, rng.choice(("touch", "button")))
            count += 1
            if rng.random() < 0.03:  # a child hammering the button: stored, flagged repeat
                for _ in range(rng.randint(2, 4)):
                    clock.advance(0.5)
                    recorder.record(rng.randint(1, 4), "button")
                    count += 1
            answer = _followup(rng, rating, hour == bad_hour, offered)
            if answer and answer[0] in offered:
                recorder.record_followup(recorded.id, *answer)
    return count


def _enroll(kiosk: KioskParts, central: DemoCentral) -> None:
    """Enroll the demo kiosk with the demo central, as `hymy enroll` does."""
    from sync.uploader.enrollment import enroll

    try:
        with connection():
            enroll(kiosk.config.data_dir, kiosk.kiosk_id, central.url, central.kiosk_token, kiosk.clock)
    except EnrollmentError as error:
        raise CommandError(f"enrolling with the demo central: {error}") from None


@dataclass
class Demo:
    """A seeded kiosk app enrolled with a demo central, both on a temporary *root*."""

    root: Path
    app: Flask
    central: DemoCentral
    seeded: int  # the kiosk's past days and today so far
    days: int
    today: date  # the site's local date; the seeded days end the day before
    manager_pin: str | None = None  # the PIN of the manager screen, set for this demo
    _sync: tuple[threading.Event, threading.Thread] | None = None  # while the uploader runs

    @property
    def kiosk(self) -> KioskParts:
        parts: KioskParts = self.app.extensions["hymy"]
        return parts

    def export_command(self) -> str:
        """The ``curl`` line for the CSV export of the seeded days and today, into a file.

        ``from`` and ``to`` are the site's local dates, both included, as the export reads them.
        """
        url = f"{self.central.url}/api/v1/ratings?from={self.today - timedelta(days=self.days)}&to={self.today}"
        return f"curl -o ratings.csv -H 'Authorization: Bearer {self.central.api_token}' '{url}'"

    def announcement(self, url: str, terminal_buttons: bool = False) -> list[str]:
        """What the demo prints once the kiosk answers at *url*."""
        config = self.kiosk.config
        lines = [
            f"Hymy demo kiosk: {url}",
            f"  {DEMO.site}'s first kiosk ({DEMO.name}): {self.seeded} ratings seeded over {self.days} days and "
            f"today so far; data in {self.root} (removed on exit)",
            f"  health: {url}healthz",
            f"  manager screen: {url}manager with PIN {self.manager_pin} (on the kiosk's own screen: press the "
            "top-left corner for three seconds)" + (f"; yesterday had a bad hour at {BAD_HOUR}-{BAD_HOUR + 1}"
                                                    if self.days else ""),
            f"Central server: {self.central.url}/  (the kiosk syncs every {config.sync_interval:g} s)",
            f"  head office: log in at {self.central.url}/ as {self.central.user} (admin), password "
            f"{self.central.password}; or as {self.central.viewer} (viewer of one site), password "
            f"{self.central.viewer_password}",
            f"  a year of the network: {self.central.network_ratings} ratings across three sites and six kiosks, "
            "this kiosk's year before its own days among them",
            f"  export: {self.export_command()}",
            "  the demo site is open around the clock: a tap counts at any hour",
        ]
        if terminal_buttons:
            lines.append("  type 1, 2, 3 or 4 and Enter to press a physical button; Ctrl+C stops")
        return lines

    def start_sync(self) -> None:
        """Run the uploader every ``sync_interval`` seconds, as ``sync_in_kiosk`` does in
        ``hymy kiosk``, on a thread :meth:`close` stops and waits for before the data goes."""
        kiosk = self.kiosk
        uploader = Uploader(kiosk.config, kiosk.kiosk_id, kiosk.clock, kiosk.content_store)
        stop = threading.Event()
        thread = threading.Thread(target=uploader.loop, args=(stop,), name="hymy-sync", daemon=True)
        thread.start()
        self._sync = (stop, thread)

    def close(self) -> None:
        """Stop syncing, then central, then the kiosk's pins and database.

        A stopping uploader sends no further batch, so the pass under way ends with the answer
        to the batch in flight, which central (in this process) gives in milliseconds: it is
        waited for while central still serves, so the batch is neither cut off nor retried. Only
        a pass that outlasts the connect timeout (a central that hangs) sees central stop under
        it, and so fails at once instead of holding Ctrl+C for its read timeout.
        """
        if self._sync is not None:
            self._sync[0].set()
            self._sync[1].join(timeout=self.kiosk.config.sync_connect_timeout)
        self.central.close()
        if self._sync is not None:
            self._sync[1].join(timeout=self.kiosk.config.sync_connect_timeout)
            self._sync = None
        self.kiosk.close()


def build_demo_app(
    root: Path, host: str | None = None, port: int | None = None, clock: Any = None, pin_factory: Any = None
) -> Flask:
    """The demo kiosk's app on *root*/kiosk: mock buttons, a sync every 5 s.

    ``sync_in_kiosk`` is off because :meth:`Demo.start_sync` runs the uploader
    itself, so it can stop it before the data dir is removed.
    """
    from kiosk.cli.kiosk_commands import build_app, ready_config

    overrides = {"data_dir": str(root / "kiosk"), "pin_factory": "mock", "sync_interval": 5, "sync_in_kiosk": False}
    overrides.update({k: v for k, v in (("host", host), ("port", port)) if v is not None})
    return build_app(ready_config(overrides=overrides), clock=clock, pin_factory=pin_factory)


def check_ports(host: str, port: int, central_port: int) -> None:
    """Both of the demo's ports free to listen on, or one line naming each busy one and the
    option that frees it (0: any free port, nothing to check)."""
    problems = []
    for number, option in ((port, "--port"), (central_port, "--central-port")):
        if number:
            try:
                check_address(host, number, option=option)
            except CommandError as error:
                problems.append(error)
    if problems:  # a host this machine does not have is one problem, not one per port
        raise CommandError("; ".join(dict.fromkeys(error.message for error in problems)),
                           exit_code=max(error.exit_code for error in problems))


def start_demo(app: Flask, root: Path, days: int = 7, central_port: int = 8100) -> Demo:
    """Seed *app*'s kiosk with *days* days and today so far, start the demo central on *root*/central
    (the network's year, the kiosk's among it) and enroll the kiosk with it."""
    kiosk = app.extensions["hymy"]
    zone = kiosk.config.opening_hours.zone
    now = kiosk.clock.now()
    today = now.astimezone(zone).date()
    with connection():
        # The data dir is new and central holds the kiosk's year: its ratings go above central's
        # (kiosk/storage/outbox.py).
        SequenceShift().continued_after(0, format_time(now)).save()
        seeded = seed_ratings(kiosk.kiosk_id, kiosk.content_store, zone, days, today=today)
        seeded += seed_today(kiosk.kiosk_id, kiosk.content_store, zone, now)
    manager_pin = f"{secrets.randbelow(10_000):04d}"
    set_pin(kiosk.config.data_dir, manager_pin)
    try:
        central = start_demo_central(root / "central", kiosk.config.host, central_port, now=now,
                                     kiosk_id=kiosk.kiosk_id, kiosk_days=days)
    except OSError as error:
        raise address_error(kiosk.config.host, central_port, error, option="--central-port") from None
    try:
        _enroll(kiosk, central)
    except CommandError:
        central.close()
        raise
    return Demo(root, app, central, seeded, days, today, manager_pin)


def run_demo(host: str | None = None, port: int | None = None, days: int = 7, central_port: int = 8100) -> None:
    """Seed a kiosk, start a central server, enroll the kiosk, serve both until Ctrl+C."""
    from kiosk.cli.serve import kiosk_running, serve
    from kiosk.cli.stopping import Stopping
    from sync.common.cli_logging import configure_logging

    root = Path(tempfile.mkdtemp(prefix="hymy-demo-"))
    app = demo = stopping = None
    try:
        app = build_demo_app(root, host, port)
        config = app.config["HYMY"]
        check_ports(config.host, config.port, central_port)  # before the seeding: a busy port is said at once
        configure_logging(config)
        demo = start_demo(app, root, days, central_port)
        terminal_buttons = demo.kiosk.buttons is not None and sys.stdin is not None and sys.stdin.isatty()
        stopping = Stopping(demo.kiosk.events).install()

        def on_ready(url) -> None:
            for line in demo.announcement(url, terminal_buttons):
                click.echo(line)
            demo.start_sync()
            if terminal_buttons:
                threading.Thread(target=read_presses, args=(sys.stdin, demo.kiosk.buttons, click.echo),
                                 name="hymy-demo-keys", daemon=True).start()

        with kiosk_running(config.data_dir) as running:  # a fresh data dir: only doctor and restore look
            serve(app, config.host, config.port, running, on_ready=on_ready, stopping=stopping)
    except KeyboardInterrupt:
        pass  # Ctrl+C while seeding, before the kiosk listened: stop as after
    finally:
        if demo is not None:
            demo.close()
        elif app is not None:
            app.extensions["hymy"].close()
        shutil.rmtree(root, ignore_errors=True)
        if stopping is not None:
            stopping.restore()
