"""The manager's figures equal an independent recomputation from the raw rows.

Two weeks of generated presses through the real recorder: repeats, presses
outside opening hours, an untrusted clock whose boot later becomes trusted
(its unverified rows decided by the kiosk) and one whose boot never does,
follow-ups with and without comments, and both DST change days in Helsinki.
The expected figures are computed here in plain Python over the raw rows and
the boot table, not with the SQL or the hourly tables under test.
"""
import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from kiosk.manager import reports
from kiosk.storage.db import connection, database
from kiosk.storage.hourly import first_complete_day
from kiosk.storage.models import Boot, Followup, HourlyCount, Rating
from kiosk.storage.retention import prune_synced
from sync.common.clock import FakeClock

HELSINKI = ZoneInfo("Europe/Helsinki")
HOURS = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
REASONS = ("waiting", "staff", "outcome", "information", "premises")
#: 2026-03-29 has 23 hours in Helsinki, 2026-10-25 has 25.
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)


def half_up(numerator, denominator, places=0):
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def is_open(moment):
    local = moment.astimezone(HELSINKI)
    return local.weekday() < 6 and 8 <= local.hour < 20


def generate(kiosk, clock, first_day, days, rng):
    """Presses through the recorder; every tenth day starts on an untrusted clock."""
    recorder = kiosk.recorder
    boots = 0
    for n in range(days):
        day = first_day + timedelta(days=n)
        boots += 1
        untrusted = n % 5 == 2
        start = datetime.combine(day, datetime.min.time(), tzinfo=HELSINKI).astimezone(timezone.utc)
        clock.reboot(f"boot-{boots}", monotonic=10.0)
        clock.set_wall(start + timedelta(hours=5), trusted=not untrusted)
        if untrusted:
            # The clock says a wrong time (two hours behind) until NTP fixes it mid-morning.
            clock.set_wall(start + timedelta(hours=3))
        for hour in range(5, 23):
            for _ in range(rng.randint(0, 6)):
                clock.advance(rng.uniform(60, 500))
                recorded = recorder.record(rng.randint(1, 4), rng.choice(("touch", "button")))
                if rng.random() < 0.1:
                    clock.advance(1)
                    recorder.record(rng.randint(1, 4), "button")  # a repeat
                if rng.random() < 0.4:
                    comment = rng.choice((None, "Jono oli pitkä", "Kiitos!"))
                    recorder.record_followup(recorded.id, rng.choice(REASONS), comment)
            if untrusted and hour == 9 and n != 12:  # day 12's boot never gets a trusted clock
                clock.set_wall(clock.now() + timedelta(hours=2), trusted=True)
                recorder.record(4, "touch")  # the first trusted press notes the boot's trusted moment


def expected_status():
    """Per rating: (face, final filter, real time) by the rules, in plain Python."""
    with connection():
        boots = {b.boot_id: b for b in Boot.select()}
        ratings = list(Rating.select())
        followups = {f.rating_id: f for f in Followup.select()}
    result = {}
    for r in ratings:
        moment, final = r.recorded_at, r.filtered
        if r.filtered == "unverified":
            boot = boots[r.boot_id]
            if boot.trusted_wall is not None:
                moment = boot.trusted_wall - timedelta(seconds=boot.trusted_monotonic - r.monotonic)
                final = None if is_open(moment) else "closed"
        result[r.id] = (r.rating, final, moment, followups.get(r.id))
    return result


def expected_day(day, status):
    local_day = [s for s in status.values() if s[2].astimezone(HELSINKI).date() == day]
    counted = [s for s in local_day if s[1] is None]
    faces = Counter(s[0] for s in counted)
    filtered = Counter(s[1] for s in local_day if s[1] is not None)
    followups = [s for s in counted if s[3] is not None]
    return faces, filtered, followups


@pytest.fixture
def generated(make_app):
    clock = FakeClock(datetime(2026, 3, 20, tzinfo=timezone.utc))
    kiosk = make_app(clock=clock, opening_hours=HOURS, press_interval=3).extensions["hymy"]
    with connection():
        generate(kiosk, clock, date(2026, 3, 20), 14, random.Random(20260329))
        generate(kiosk, clock, date(2026, 10, 19), 14, random.Random(20261025))
        kiosk.recorder.note_clock()  # as the manager's pages do before they count: the trusted clock places rows
    return kiosk, clock


def test_every_day_figure_equals_a_recomputation_from_raw_rows(generated):
    kiosk, _ = generated
    content = kiosk.content_store.current()
    with connection():
        figures_by_day = {date(2026, 3, 20) + timedelta(days=n): None for n in range(14)}
        figures_by_day.update({date(2026, 10, 19) + timedelta(days=n): None for n in range(14)})
        for day in figures_by_day:
            figures_by_day[day] = reports.day_figures(day, content)
    status = expected_status()
    for day, shown in figures_by_day.items():
        faces, filtered, followups = expected_day(day, status)
        counted = sum(faces.values())
        assert shown.counts.faces == tuple(faces[n] for n in (1, 2, 3, 4)), day
        assert shown.counts.filtered == dict(filtered), day
        assert shown.awaiting_clock == filtered.get("unverified", 0)
        assert shown.counts.followups == len(followups)
        assert shown.counts.reasons == dict(Counter(f[3].reason for f in followups))
        assert shown.counts.unhappy_reasons == dict(Counter(f[3].reason for f in followups if f[0] <= 2))
        if counted >= 5:
            assert shown.satisfaction == half_up(100 * (faces[3] + faces[4]), counted)
            points = sum((face - 1) * n for face, n in faces.items())
            assert shown.happy_index == half_up(100 * points, 3 * counted, 1)
        else:
            assert shown.satisfaction is None and shown.happy_index is None
        # Hour by hour, too: each bar holds the ratings whose real time falls in that local hour.
        for bar in shown.hours:
            in_hour = [s for s in status.values() if bar.hour_start <= s[2] < bar.hour_start + timedelta(hours=1)]
            assert bar.counts.faces == tuple(sum(1 for s in in_hour if s[1] is None and s[0] == n)
                                             for n in (1, 2, 3, 4)), (day, bar.label)


def test_dst_days_have_23_and_25_hours(generated):
    kiosk, _ = generated
    with connection():
        spring = reports.day_figures(SPRING, kiosk.content_store.current())
        autumn = reports.day_figures(AUTUMN, kiosk.content_store.current())
    assert len(spring.hours) == 23 and "03" not in [bar.label for bar in spring.hours]
    assert len(autumn.hours) == 25
    assert [bar.label for bar in autumn.hours][3:5] == ["03", "03 (2)"]


def test_some_unverified_rows_were_decided_and_some_stay_apart(generated):
    status = expected_status()
    with connection():
        raw_unverified = Rating.select().where(Rating.filtered == "unverified").count()
    still = sum(1 for s in status.values() if s[1] == "unverified")
    assert raw_unverified > still > 0  # decided ones moved; the never-trusted boot's stay apart


def test_the_week_equals_its_days(generated):
    kiosk, _ = generated
    content = kiosk.content_store.current()
    with connection():
        week = reports.week_figures(date(2026, 3, 30), content)
        days = [reports.day_figures(day, content).counts for day, _ in week.days]
    assert [counts for _, counts in week.days] == days
    heat_total = sum(sum(cell.counted for cell in row) for row in week.heat)
    assert heat_total == sum(counts.counted for counts in days)


def test_hourly_counts_stay_when_raw_rows_are_pruned(generated):
    kiosk, clock = generated
    content = kiosk.content_store.current()
    with connection():
        before = {day: reports.day_figures(day, content) for day in (date(2026, 3, 21), SPRING)}
        hourly_rows = HourlyCount.select().count()
        from kiosk.storage.models import Outbox

        Outbox.delete().execute()  # all synced
        pruned = prune_synced(datetime(2027, 1, 1, tzinfo=timezone.utc), retention_days=30)
        assert pruned > 1000
        assert HourlyCount.select().count() == hourly_rows
        for day, shown in before.items():
            after = reports.day_figures(day, content)
            assert after.counts == shown.counts
            assert after.comments == []  # comments live only in raw rows


def test_the_calendar_starts_at_the_first_whole_day(generated):
    with connection():
        assert first_complete_day() == date(2026, 3, 20)


def test_an_upgraded_kiosk_counts_its_existing_rows_once(make_app, tmp_path):
    """The first start after migration 4 fills the hourly counts from the raw rows an older version kept."""
    clock = FakeClock(datetime(2026, 3, 20, tzinfo=timezone.utc))
    kiosk = make_app(clock=clock, opening_hours=HOURS, press_interval=3).extensions["hymy"]
    with connection():
        generate(kiosk, clock, date(2026, 3, 23), 3, random.Random(4))
        before = {day: reports.day_figures(day, kiosk.content_store.current()).counts
                  for day in (date(2026, 3, 23), date(2026, 3, 24))}
        # As an older version left it: no hourly rows, and the first day's oldest ratings pruned.
        database.execute_sql("DELETE FROM hourly_reason")
        database.execute_sql("DELETE FROM hourly_count")
        database.execute_sql("DELETE FROM clock_decision")
        database.execute_sql("DELETE FROM outbox")
        first = Rating.select().order_by(Rating.seq).first()
        Followup.delete().where(Followup.rating == first.id).execute()
        first.delete_instance()
    again = make_app(clock=clock, opening_hours=HOURS, press_interval=3).extensions["hymy"]
    with connection():
        after = reports.day_figures(date(2026, 3, 24), again.content_store.current()).counts
        assert after == before[date(2026, 3, 24)]
        assert first_complete_day() == date(2026, 3, 24)  # the 23rd lost a row before the upgrade
        rows = HourlyCount.select().count()
    make_app(clock=clock, opening_hours=HOURS).extensions["hymy"]  # a third start adds nothing
    with connection():
        assert HourlyCount.select().count() == rows
        assert reports.day_figures(date(2026, 3, 24), again.content_store.current()).counts == after
