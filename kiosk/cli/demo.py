"""``hymy demo``: a kiosk with simulated buttons and a realistic seeded week.

The seeded ratings go through the same :class:`~kiosk.recorder.Recorder` as
live presses, driven by a :class:`~kiosk.clock.FakeClock` walked through the
past days, so they look exactly like rows a kiosk would have written.
"""
import random
import shutil
import sys
import tempfile
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import click

from kiosk.db import connection
from kiosk.recorder import Recorder
from sync.common.clock import FakeClock

# Typical footfall by local hour at a service counter open 8-20 (visits per hour).
FOOTFALL = {8: 6, 9: 10, 10: 14, 11: 22, 12: 30, 13: 26, 14: 16, 15: 14, 16: 20, 17: 26, 18: 18, 19: 8}
# Busy hours get worse ratings: weights for faces 1..4 when quiet and at the peak.
QUIET_WEIGHTS = (3, 7, 40, 50)
PEAK_WEIGHTS = (12, 18, 38, 32)
UNHAPPY_REASONS = ("waiting", "staff", "information", "problem_handling", "outcome", "premises")
HAPPY_REASONS = ("staff", "outcome", "waiting", "information", "premises", "reliability")
COMMENTS = (
    "Jono oli tosi pitkä", "Ystävällinen palvelu!", "Kassalla vain yksi ihminen",
    "Snabb och trevlig service", "Friendly staff, thanks", "Could not find what I needed",
)


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
            local = datetime.combine(day, time(hour), tzinfo=zone)
            moments = sorted(rng.uniform(0, 3600) for _ in range(int(visits * weekend_factor)))
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
                if rng.random() < (0.45 if rating <= 2 else 0.2):
                    pool = [r for r in (UNHAPPY_REASONS if rating <= 2 else HAPPY_REASONS) if r in offered]
                    if pool:
                        comment = rng.choice(COMMENTS) if rng.random() < 0.15 else None
                        recorder.record_followup(recorded.id, rng.choice(pool), comment)
    return count


def _read_presses(panel):
    """Let the person at the terminal press the simulated buttons: 1-4 + Enter."""
    for line in sys.stdin:
        key = line.strip()
        if key in ("1", "2", "3", "4"):
            panel.press(int(key))


def _enroll(kiosk, central):
    """Enrol the demo kiosk with the demo central, as `hymy enroll` does."""
    from sync.enrollment import enrol

    with connection():
        enrol(kiosk.config.data_dir, kiosk.kiosk_id, central.url, central.kiosk_token, kiosk.clock)


def run_demo(host=None, port=None, days=7, central_port=8100):
    """Seed a kiosk, start a central server, enrol the kiosk, serve both."""
    from .demo_central import start_demo_central
    from .errors import CommandError
    from .kiosk_commands import build_app
    from .serve import configure_logging, serve

    root = Path(tempfile.mkdtemp(prefix="hymy-demo-"))
    central = None
    try:
        overrides = {"data_dir": str(root / "kiosk"), "pin_factory": "mock", "sync_interval": 5}
        overrides.update({k: v for k, v in (("host", host), ("port", port)) if v is not None})
        app = build_app(config=overrides)
        config = app.config["HYMY"]
        configure_logging(config.log_level)
        kiosk = app.extensions["hymy"]
        with connection():
            seeded = seed_ratings(kiosk.kiosk_id, kiosk.recorder.content_store, config.opening_hours.zone, days)
        try:
            central = start_demo_central(root / "central", config.host, central_port)
        except OSError as error:
            raise CommandError(f"central port {central_port}: {error.strerror}") from None
        _enroll(kiosk, central)

        def announce(url):
            click.echo(f"Hymy demo kiosk: {url}")
            click.echo(f"  {seeded} ratings seeded over {days} days; data in {root} (removed on exit)")
            click.echo(f"  health: {url}healthz")
            click.echo(f"Central server: {central.url}/  (the kiosk syncs every {config.sync_interval:g} s)")
            click.echo(f"  head-office user: {central.user}, password {central.password}")
            click.echo(f"  export: curl -H 'Authorization: Bearer {central.api_token}' "
                       f"'{central.url}/api/v1/ratings?from={date.today() - timedelta(days=days)}&to={date.today()}'")
            if sys.stdin is not None and sys.stdin.isatty():
                click.echo("  type 1, 2, 3 or 4 and Enter to press a physical button; Ctrl+C stops")
                threading.Thread(target=_read_presses, args=(kiosk.buttons,), daemon=True).start()

        serve(app, config.host, config.port, on_ready=announce)
    finally:
        if central is not None:
            central.close()
        shutil.rmtree(root, ignore_errors=True)
