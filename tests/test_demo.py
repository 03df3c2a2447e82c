"""``hymy demo``: one true story. The demo kiosk is Helsinki Kamppi's first kiosk; central holds
a year of its network (its own year among it) with the shape a real year has; the kiosk's seeded
days and today continue that year without a jump. A running kiosk a new user can press from the
terminal, an export line that writes a file, a start within 30 s, one line per problem, and a
clean Ctrl+C."""
import csv
import io
import logging
import os
import pty
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

import peewee
import pytest
import requests
from gpiozero.pins.mock import MockFactory

from kiosk.cli.demo import build_demo_app, seed_ratings, seed_today, start_demo
from kiosk.cli.demo_terminal import HELP, read_presses
from kiosk.cli.stopping import Stopping
from kiosk.storage.content_store import CENTRAL_CONTENT_FILE
from kiosk.storage.db import connection
from kiosk.storage.models import Followup, Rating
from sync.central.cli.demo_central import DEMO_KIOSK, DEMO_SITE
from sync.central.cli.demo_network import DEMO_COUNTER, KIOSKS, NETWORK_DAYS
from sync.central.store import migrations
from sync.central.store.db import connection as central_connection
from sync.central.store.models import Kiosk, RollupDay, Site
from sync.common.clock import FakeClock
from sync.uploader.loop import Uploader
from tests.helpers.central import WebSession
from tests.helpers.kiosk_db import stored_ratings
from tests.helpers.live import LiveServer, free_port, wait_for

#: The demo's tests run on one worker: each checks that its demo leaves no "hymy-demo-*" directory
#: behind, which another demo running beside it would.
pytestmark = pytest.mark.xdist_group("demo")

HELSINKI = ZoneInfo("Europe/Helsinki")
#: 23:30 on a Monday evening in Helsinki (UTC+2 in January): hours after a counter open 8-20 has closed.
EVENING = datetime(2026, 1, 5, 21, 30, tzinfo=timezone.utc)


def test_seeded_week_looks_like_a_real_counter(kiosk):
    zone = ZoneInfo("Europe/Helsinki")
    with connection():
        count = seed_ratings(kiosk.kiosk_id, kiosk.content_store, zone, days=7, today=date(2026, 11, 23))
        rows = list(Rating.select())
        followups = list(Followup.select())
    assert count == len(rows) > 700
    days = Counter(r.recorded_at.astimezone(zone).date() for r in rows)
    assert sorted(days) == [date(2026, 11, d) for d in range(16, 23)]
    assert days[date(2026, 11, 21)] < days[date(2026, 11, 20)]  # Saturday is quieter than Friday
    hours = {r.recorded_at.astimezone(zone).hour for r in rows}
    assert min(hours) >= 8 and max(hours) <= 19
    faces = Counter(r.rating for r in rows)
    assert faces[4] > faces[1] > 0 and faces[2] > 0 and faces[3] > 0
    assert 0 < sum(r.filtered == "repeat" for r in rows) < len(rows) * 0.1
    assert len(followups) > len(rows) * 0.1
    assert any(f.comment for f in followups)
    assert [r.seq for r in sorted(rows, key=lambda r: r.seq)] == list(range(1, len(rows) + 1))


def test_today_is_seeded_up_to_the_present_moment(kiosk):
    """The Today pages are alive at first sight: today's customers so far, none of the rest of the day."""
    zone = ZoneInfo("Europe/Helsinki")
    now = datetime(2026, 11, 23, 14, 30, tzinfo=zone)  # a Monday afternoon
    with connection():
        past = seed_ratings(kiosk.kiosk_id, kiosk.content_store, zone, days=1, today=now.date())
        today = seed_today(kiosk.kiosk_id, kiosk.content_store, zone, now)
        rows = [r for r in Rating.select().order_by(Rating.seq) if r.recorded_at.astimezone(zone).date() == now.date()]
        every = list(Rating.select().order_by(Rating.seq))
    assert today == len(rows) > 50 and past > 100
    assert max(r.recorded_at for r in rows) < now
    assert {r.recorded_at.astimezone(zone).hour for r in rows} == set(range(8, 15))  # 8:00 up to this hour
    assert not any(r.filtered for r in rows[:1])  # the day's first press is no repeat of yesterday's last
    assert [r.seq for r in every] == list(range(1, len(every) + 1))
    with connection():
        assert seed_today(kiosk.kiosk_id, kiosk.content_store, zone,
                          datetime(2026, 11, 24, 7, 0, tzinfo=zone)) == 0  # before opening: nobody yet


def test_the_network_has_the_shape_of_a_real_year():
    """Weekday shape, day-to-day noise, the seasons, a slow trend, bad days: the same numbers each time."""
    today = date(2026, 12, 4)
    year = [today - timedelta(days=back) for back in range(NETWORK_DAYS, -1, -1)]
    per_day = {day: sum(DEMO_COUNTER.customers(day, today).values()) for day in year}
    assert per_day == {day: sum(DEMO_COUNTER.customers(day, today).values()) for day in year}  # deterministic
    weekdays = [n for day, n in per_day.items() if day.weekday() < 5]
    saturdays = [n for day, n in per_day.items() if day.weekday() == 5]
    assert len(set(weekdays)) > 50 and mean(saturdays) < 0.75 * mean(weekdays)
    assert mean(n for d, n in per_day.items() if d.month == 7) < mean(n for d, n in per_day.items() if d.month == 12)
    hours = DEMO_COUNTER.customers(today - timedelta(days=1), today)
    assert hours[8] < hours[12] and min(hours) == 8 and max(hours) == 19

    def happy_share(counter, day):
        weights = [counter.faces(day, hour, today) for hour in counter.hours]
        return mean((w[2] + w[3]) / sum(w) for w in weights)

    tampere, stockholm = (next(k.counter for k in KIOSKS if k.name == name)
                          for name in ("tampere-checkout-1", "stockholm-checkout-1"))
    assert tampere.customers(date(2026, 11, 29), today) == {}  # closed on Sundays
    months_ago = [today - timedelta(days=back) for back in range(300, 330)]
    lately = [today - timedelta(days=back) for back in range(20, 50)]
    assert mean(happy_share(stockholm, d) for d in lately) > mean(happy_share(stockholm, d) for d in months_ago)
    assert mean(happy_share(tampere, d) for d in lately) < mean(happy_share(tampere, d) for d in months_ago)
    bad = today - timedelta(days=tampere.bad_days[0].days_ago)
    assert happy_share(tampere, bad) < min(happy_share(tampere, bad + timedelta(days=n)) for n in (-2, 1, 2))


def typed(clock, *keys, pause=1.0):
    """Lines as typed at the terminal, *pause* seconds of kiosk time apart."""
    for key in keys:
        yield f"{key}\n"
        clock.advance(pause)


def test_terminal_keys_press_the_real_buttons_and_say_what_was_stored(make_app, clock):
    app = make_app(pin_factory=MockFactory())
    panel = app.extensions["hymy"].buttons
    lines = []
    read_presses(typed(clock, "4", "2", "x", "", "1", pause=2.0), panel, lines.append)
    assert lines == [
        "stored: 4 (very happy), counted",
        "stored: 2 (unhappy), filtered: repeat (pressed again within 3 s)",
        HELP,
        HELP,
        "stored: 1 (very unhappy), counted",  # 6 s after the last stored press
    ]
    assert HELP.startswith("keys: 1 (very unhappy), 2, 3 or 4 (very happy) and Enter") and "Ctrl+C stops" in HELP
    assert [(r.rating, r.source, r.filtered) for r in stored_ratings()] == [
        (4, "button", None), (2, "button", "repeat"), (1, "button", None)]


def test_terminal_keys_say_closed_and_unverified_and_a_dropped_bounce(make_app):
    hours = {"opening_hours": {"mon": ["08:00-20:00"]}}
    evening = FakeClock(EVENING)
    app = make_app(clock=evening, pin_factory=MockFactory(), **hours)
    lines = []
    panel = app.extensions["hymy"].buttons
    read_presses(typed(evening, "3", pause=10), panel, lines.append)
    evening.set_trusted(False)  # NTP has not synchronised yet
    read_presses(["3\n"], panel, lines.append)
    read_presses(["3\n"], panel, lines.append)  # the same button again on the same instant: contact bounce
    assert lines == [
        "stored: 3 (happy), filtered: closed (outside opening hours)",
        "stored: 3 (happy), filtered: unverified (the clock is not synchronised yet; central decides once it "
        "knows the time)",
        "not stored: a bounce (the same button again within 50 ms) or the database refused it (see the log)",
    ]
    assert [r.filtered for r in stored_ratings()] == ["closed", "unverified"]


def test_a_tap_on_the_screen_is_not_taken_for_a_terminal_press(make_app, clock):
    app = make_app(pin_factory=MockFactory())
    panel, client = app.extensions["hymy"].buttons, app.test_client()

    def keys():
        yield "4\n"
        clock.advance(10)
        assert client.post("/api/ratings", json={"rating": 1}).status_code == 201  # another thread's tap
        clock.advance(10)

    lines = []
    reader = threading.Thread(target=read_presses, args=(keys(), panel, lines.append))
    reader.start()
    reader.join(timeout=10)
    assert lines == ["stored: 4 (very happy), counted"]
    assert [r.source for r in stored_ratings()] == ["button", "touch"]


@pytest.fixture
def demo(tmp_path):
    """The demo as run_demo builds it, on a kiosk clock at 23:30 in Helsinki; closed after."""
    clock = FakeClock(EVENING)
    app = build_demo_app(tmp_path, clock=clock, pin_factory=MockFactory())
    built = start_demo(app, tmp_path, days=2, central_port=0)
    yield built
    built.close()


def sync_everything(demo):
    """Sync passes until the kiosk has nothing pending (central's content arrives with the first)."""
    uploader = Uploader(demo.kiosk.config, demo.kiosk.kiosk_id, demo.kiosk.clock, demo.kiosk.content_store)
    client = demo.app.test_client()
    for _ in range(10):
        uploader.run_pass()
        if client.get("/healthz").json["counts"]["pending_sync"] == 0:
            return
    raise AssertionError("still pending after 10 passes")


@pytest.mark.slow
def test_the_demo_site_is_open_around_the_clock(demo):
    sync_everything(demo)
    assert (demo.kiosk.config.data_dir / CENTRAL_CONTENT_FILE).exists()  # central's content is in force
    assert demo.kiosk.clock.now().astimezone(HELSINKI).time().isoformat() == "23:30:00"
    lines = []
    read_presses(typed(demo.kiosk.clock, "4", pause=5), demo.kiosk.buttons, lines.append)
    demo.kiosk.clock.set_trusted(False)  # a laptop whose clock NTP has not synchronised
    read_presses(["2\n"], demo.kiosk.buttons, lines.append)
    assert lines == ["stored: 4 (very happy), counted", "stored: 2 (unhappy), counted"]
    assert "  the demo site is open around the clock: a tap counts at any hour" in demo.announcement("http://k/")

    # The seeded history still follows a counter open 8-20, and nothing of it is closed.
    with connection():
        seeded = list(Rating.select().where(Rating.source != "button").order_by(Rating.seq))
    assert {r.recorded_at.astimezone(HELSINKI).hour for r in seeded} <= set(range(8, 20))
    assert not any(r.filtered in ("closed", "unverified") for r in seeded)


@pytest.mark.slow
def test_the_export_line_writes_the_csv_to_a_file_and_names_every_rating(demo):
    read_presses(typed(demo.kiosk.clock, "4", pause=5), demo.kiosk.buttons, lambda line: None)
    sync_everything(demo)
    announced = [line for line in demo.announcement("http://127.0.0.1:8000/") if line.startswith("  export: ")]
    assert announced == [f"  export: {demo.export_command()}"]
    command = shlex.split(demo.export_command())
    assert command[:5] == ["curl", "-o", "ratings.csv", "-H", f"Authorization: Bearer {demo.central.api_token}"]
    assert command[5] == f"{demo.central.url}/api/v1/ratings?from=2026-01-03&to=2026-01-05"  # the site's dates

    answer = requests.get(command[5], headers=dict([command[4].split(": ", 1)]), timeout=10)
    assert answer.status_code == 200
    rows = [row for row in csv.DictReader(io.StringIO(answer.text)) if row["kiosk"] == DEMO_KIOSK]
    assert len(rows) == demo.seeded + 1  # two seeded days, today and this evening's press
    evening = [row for row in rows if row["local_time"].startswith("2026-01-05T23:30")]
    assert [(row["rating"], row["source"], row["filtered"]) for row in evening] == [("4", "button", "")]


def daily_counts(kiosk_name=None, site_name=None):
    """Counted ratings per local day at central, of one kiosk or one site."""
    counted = RollupDay.very_unhappy + RollupDay.unhappy + RollupDay.happy + RollupDay.very_happy
    query = (RollupDay.select(RollupDay.day, peewee.fn.SUM(counted)).join(Kiosk).join(Site)
             .where((Kiosk.name == kiosk_name) if kiosk_name else (Site.name == site_name))
             .group_by(RollupDay.day).tuples())
    with central_connection():
        return {date.fromisoformat(str(day)): count for day, count in query}


@pytest.mark.slow
def test_the_demo_kiosk_is_kamppis_first_and_its_days_continue_its_year_at_central(demo):
    sync_everything(demo)
    today = demo.today
    assert f"  {DEMO_SITE}'s first kiosk ({DEMO_KIOSK}): {demo.seeded} ratings seeded over 2 days and today so far" \
        in "\n".join(demo.announcement("http://k/"))
    kiosk_days = daily_counts(kiosk_name=DEMO_KIOSK)
    assert min(kiosk_days) == today - timedelta(days=NETWORK_DAYS) and max(kiosk_days) == today
    assert len(kiosk_days) == NETWORK_DAYS + 1  # open every day: a year and today, no day missing
    # No jump where the kiosk's own days (synced just now) take over from its year at central: each
    # of them against the same weekday of the two weeks before, at the kiosk and at its site.
    kamppi = daily_counts(site_name=DEMO_SITE)
    for days in (kiosk_days, kamppi):
        for back in (1, 2):
            own = days[today - timedelta(days=back)]
            earlier = mean(days[today - timedelta(days=back + weeks * 7)] for weeks in (1, 2))
            assert 0.6 * earlier < own < 1.6 * earlier, (back, own, earlier)
    # The kiosk's numbers continue central's: one sequence without gaps, and the kiosk sees none.
    with central_connection():
        device = Kiosk.get(Kiosk.name == DEMO_KIOSK)
    assert device.seq_contiguous == device.seq_highest > demo.seeded
    assert demo.app.test_client().get("/healthz").json["sync"]["gap_error"] is None
    # Today is alive at every site, and every site has each of the last 12 months (the trend's points).
    for site in (DEMO_SITE, "Tampere Koskikeskus", "Stockholm Gallerian"):
        days = daily_counts(site_name=site)
        assert days.get(today, 0) > 20, site
        months = {(day.year, day.month) for day, count in days.items() if count}
        assert len(months) >= 12 and {(today.year, today.month)} <= months, site
        assert len(set(days.values())) > 100, f"{site}: the same count day after day"


def test_a_stream_open_when_the_kiosk_stops_ends_at_once_and_frees_its_thread(make_app):
    app = make_app(stream_heartbeat=10, stream_max_age=60)
    server = LiveServer(app)
    try:
        stream = requests.get(f"{server.url}/events", stream=True, timeout=5)
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 1000"
        events = app.extensions["hymy"].events
        started = time.monotonic()
        events.close()
        assert list(lines) == [": open", ""]  # the body ends: no heartbeat, no wait
        assert time.monotonic() - started < 5
        wait_for(lambda: events.subscriber_count == 0, message="the stream kept its slot")
        late = requests.get(f"{server.url}/events", timeout=5)  # one opened while stopping ends at once too
        assert late.status_code == 200 and late.text == "retry: 1000\n: open\n\n"
    finally:
        server.close()


def test_a_stop_signal_ends_the_streams_and_raises_nothing(make_app):
    """The handler runs wherever the main thread is: it must not raise there, only ask the loop to stop."""
    app = make_app()
    events = app.extensions["hymy"].events
    subscription = events.subscribe()
    previous = signal.getsignal(signal.SIGUSR1)

    def owner(*_):
        """The handler the process had before: a server run inside it hands the signal back."""

    try:
        signal.signal(signal.SIGUSR1, owner)
        stopping = Stopping(events).install(signals=(signal.SIGUSR1,))
        signal.raise_signal(signal.SIGUSR1)  # no exception comes out of here
        assert stopping.requested and subscription.ended
        stopping.restore()
        assert signal.getsignal(signal.SIGUSR1) is owner
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # started with the signal ignored (nohup, a background job)
        ignoring = Stopping(events).install(signals=(signal.SIGUSR1,))
        signal.raise_signal(signal.SIGUSR1)
        assert not ignoring.requested and signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_server_run_inside_a_process_hands_its_signals_back(make_app):
    """serve() handles Ctrl+C and SIGTERM while it serves, and leaves them as it found them."""
    from kiosk.cli.serve import kiosk_running, serve

    app = make_app(sync_in_kiosk=False)
    # A terminal's handlers, whatever this test run inherited (a background job starts with SIGINT ignored).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler), signal.signal(signal.SIGTERM, signal.SIG_DFL)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    during = []

    def ready(url):
        during.append((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))
        raise KeyboardInterrupt  # as Ctrl+C raised here would

    try:
        with kiosk_running(app.config["HYMY"].data_dir) as running:
            serve(app, "127.0.0.1", 0, running, on_ready=ready)
        assert during and during[0] != before and during[0][0] == during[0][1]  # one handler for both, serve's
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    finally:
        signal.signal(signal.SIGINT, inherited[0])
        signal.signal(signal.SIGTERM, inherited[1])


def test_a_screen_leaving_its_event_stream_is_not_logged_at_info(make_app, caplog):
    """A screen changing page ends its stream many times a day: debug, not info."""
    app = make_app(stream_heartbeat=0.05, stream_max_age=60)
    events = app.extensions["hymy"].events
    server = LiveServer(app)
    try:
        for level in (logging.INFO, logging.DEBUG):
            caplog.clear()
            caplog.set_level(level, logger="waitress")
            stream = requests.get(f"{server.url}/events", stream=True, timeout=5)
            assert next(stream.iter_lines(decode_unicode=True)) == "retry: 1000"
            wait_for(lambda: events.subscriber_count == 1, message="the stream is open")
            stream.close()  # the screen goes away; the next heartbeat finds it gone
            # The connection goes from the server's channels only after waitress has handled (and
            # logged) the disconnect: from then on the line is either in the log or never will be.
            wait_for(lambda: events.subscriber_count == 0 and not server.server.active_channels,
                     message="the server noticed and closed the connection")
            said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "waitress"]
            if level == logging.INFO:
                assert said == []
            else:
                assert said == [(logging.DEBUG, "Client disconnected while serving /events")]
    finally:
        server.close()


class Output:
    """A process's lines, read on a thread so a test waits with a timeout, never forever."""

    def __init__(self, stream):
        self.lines, self._queue, self._stream = [], queue.Queue(), stream
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._stream:
            self._queue.put(line.rstrip("\n"))

    def close(self):
        """Once the process has exited: the rest has been read, close the pipe."""
        self._reader.join(timeout=10)
        self._stream.close()

    def wait_for_line(self, pattern, timeout=60):
        """The first line (from the last one taken on) that matches *pattern*."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))


def start_demo_process(log, stdin=subprocess.DEVNULL, args=None, **env):
    """``python -m kiosk.cli demo`` on a free port (``--port`` takes no 0), its stderr in the file *log*.

    Its SIGINT is at the default, as a terminal's foreground program has it: a test run started
    as a shell's background job has SIGINT ignored, and a child would inherit that.
    """
    port = free_port()
    args = args or ["--port", str(port), "--central-port", "0"]
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(log, "w", encoding="utf-8") as stderr:
            process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo", *args], stdin=stdin,
                                       stdout=subprocess.PIPE, stderr=stderr, text=True, env=dict(os.environ, **env))
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return process, port, Output(process.stdout)


def stop(process, data_dir=None):
    """End *process* if a test left it running, and its data dir with it (a good guest's /tmp)."""
    if process.poll() is None:
        process.kill()
        process.wait()
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.slow
def test_ctrl_c_ends_the_demo_at_once_and_cleanly_with_a_screen_open_and_keys_typed(tmp_path):
    terminal, keyboard = pty.openpty()  # stdin is a terminal: the demo reads the keys
    started = time.monotonic()
    process, port, output = start_demo_process(tmp_path / "stderr", stdin=keyboard)
    os.close(keyboard)
    data_dir = None
    try:
        output.wait_for_line(rf"^Hymy demo kiosk: http://127\.0\.0\.1:{port}/$")
        assert time.monotonic() - started < 30, "hymy demo took more than 30 s to print its URLs"
        data_dir = Path(output.wait_for_line(r"data in (\S+) \(removed on exit\)")[1].rstrip(";"))
        output.wait_for_line(r"^  type 1, 2, 3 or 4 and Enter")
        os.write(terminal, b"4\n")
        output.wait_for_line(r"^stored: 4 \(very happy\), counted$", timeout=10)
        os.write(terminal, b"?\n")
        output.wait_for_line(r"^keys: 1 \(very unhappy\)", timeout=10)

        stream = requests.get(f"http://127.0.0.1:{port}/events", stream=True, timeout=10)
        assert next(stream.iter_lines(decode_unicode=True)) == "retry: 1000"  # a server thread is held
        assert data_dir.is_dir()
        signalled = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        stopped_after = time.monotonic() - signalled
    finally:
        stop(process, data_dir)
        os.close(terminal)
        output.close()
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert "Traceback" not in stderr and "still running" not in stderr
    assert not [line for line in stderr.splitlines() if " level=warning " in line or " level=error " in line], stderr
    assert stopped_after < 5, f"waited {stopped_after:.1f} s for the open stream"  # waitress's wait is 5 s
    assert not data_dir.exists()
    stream.close()
    # One line for central's database, whose count is every migration there is; none per migration.
    ready = [line for line in stderr.splitlines() if "central database ready" in line]
    assert len(ready) == 1 and f"central database ready, {len(migrations.MIGRATIONS)} migrations applied" \
        in ready[0], ready
    assert "applying central migration" not in stderr


@pytest.mark.slow
def test_demo_serves_a_seeded_kiosk_that_syncs_to_its_central_and_cleans_up(tmp_path):
    process, port, output = start_demo_process(tmp_path / "stderr", HYMY_LOG_LEVEL="warning")
    data_dir = None
    try:
        output.wait_for_line(rf"^Hymy demo kiosk: http://127\.0\.0\.1:{port}/$")
        data_dir = Path(output.wait_for_line(r"data in (\S+) \(removed on exit\)")[1])
        central_url = output.wait_for_line(r"^Central server: (\S+)/")[1]
        logins = output.wait_for_line(r"^  head office: log in at \S+ as (\S+) \(admin\), password (\S+); "
                                      r"or as (\S+) \(viewer of one site\), password (\S+)$")
        output.wait_for_line(r"^  a year of the network: \d+ ratings across three sites and six kiosks")
        export = output.wait_for_line(r"^  export: (curl .*)$")[1]
        output.wait_for_line(r"^  the demo site is open around the clock")
        health_url = f"http://127.0.0.1:{port}/healthz"
        health = requests.get(health_url, timeout=10).json()
        assert health["counts"]["total"] > 700 and health["buttons"] == "mock"
        assert health["sync"]["enrolled"] is True
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
        assert requests.post(f"http://127.0.0.1:{port}/api/ratings", json={"rating": 4}, timeout=5).status_code == 201
        wait_for(lambda: requests.get(health_url, timeout=5).json()["counts"]["pending_sync"] == 0, 30)

        # The announced line, as a user pastes it: quiet, the CSV in ratings.csv, every rating in it.
        command = shlex.split(export)
        if shutil.which("curl"):
            done = subprocess.run([*command, "--silent", "--fail"], cwd=tmp_path, capture_output=True, timeout=30)
            assert done.returncode == 0 and done.stdout == b""
            text = (tmp_path / "ratings.csv").read_text(encoding="utf-8")
        else:
            text = requests.get(command[5], headers=dict([command[4].split(": ", 1)]), timeout=10).text
        # Every rating of the demo kiosk (the seeded network's kiosks are in the export too).
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sum(row["kiosk"] == DEMO_KIOSK for row in rows) == health["counts"]["total"] + 1
        assert {row["site"] for row in rows} >= {"Tampere Koskikeskus", "Stockholm Gallerian"}

        # The printed logins open head office's pages: the admin sees the network, the viewer one site.
        seen = {}
        for name, password in ((logins[1], logins[2]), (logins[3], logins[4])):
            browser = WebSession(central_url)
            page = browser.post("/login", data={"name": name, "password": password}, csrf_from="/login")
            assert page.url.endswith("/overview"), name
            seen[name] = set(re.findall(r'<tr[^>]* data-site="([^"]+)"', page.text))
        assert {"Tampere Koskikeskus", "Stockholm Gallerian"} <= seen[logins[1]]
        assert len(seen[logins[3]]) == 1 and seen[logins[3]] < seen[logins[1]]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=15) == 0
        finally:
            stop(process, data_dir)
            output.close()
    assert not data_dir.exists()


@pytest.mark.slow
def test_a_second_demo_names_the_option_that_frees_each_busy_port(tmp_path):
    """Both ports taken (a demo already runs): one line at once, naming --port and --central-port,
    before anything is seeded, and no data dir left behind."""
    with socket.socket() as kiosk_port, socket.socket() as central_port:
        for taken in (kiosk_port, central_port):
            taken.bind(("127.0.0.1", 0))
            taken.listen()
        ports = kiosk_port.getsockname()[1], central_port.getsockname()[1]
        before = set(Path(tempfile.gettempdir()).glob("hymy-demo-*"))
        started = time.monotonic()
        process, _, output = start_demo_process(tmp_path / "stderr", args=[
            "--port", str(ports[0]), "--central-port", str(ports[1])])
        try:
            assert process.wait(timeout=30) == 1
        finally:
            stop(process)
            output.close()
        assert time.monotonic() - started < 10  # not after seeding a year
    assert (tmp_path / "stderr").read_text(encoding="utf-8").splitlines() == [
        f"hymy: port {ports[0]}: another program already listens on 127.0.0.1:{ports[0]}; choose a free one "
        f"with --port (config key port); central port {ports[1]}: another program already listens on "
        f"127.0.0.1:{ports[1]}; choose a free one with --central-port"]
    assert set(Path(tempfile.gettempdir()).glob("hymy-demo-*")) <= before
