"""A site's zone is looked up in one place (sync/common/zones.py), with UTC when the stored name is unusable.

A zone name is checked when head office sets it, but a stored one can stop
working (an older database, a tzdata update, a hand edit). Then ingest still
takes batches, every page and the export answer, alerts still run, and the
site's times are shown and counted in UTC, its opening hours unused.
"""
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sync.central.alerts import worker
from sync.common.zones import site_hours, site_zone
from sync.wire.hours import OpeningHours
from tests.helpers.batches import batch, followup_row, rating_row

ROOT = Path(__file__).resolve().parents[2]
UNUSABLE = ["Mars/Olympus", "Europe", "Europe/", "", "x" * 300, "../../etc/passwd", "/etc/localtime", "zone.tab",
            "Europe/Helsinki\n", "a\x00b"]
NIGHT = datetime(2026, 1, 5, 23, 30, tzinfo=timezone.utc)  # Monday in UTC; already Tuesday 01:30 in Helsinki


def site(zone_name, hours=None, name=None):
    return SimpleNamespace(name=name or f"site-{zone_name[:20]!r}", timezone=zone_name, opening_hours=hours or {})


@pytest.mark.parametrize("zone_name", UNUSABLE, ids=[repr(name[:16]) for name in UNUSABLE])
def test_an_unusable_stored_zone_is_utc_and_its_hours_are_unused(zone_name):
    assert site_zone(site(zone_name)) is timezone.utc
    assert site_hours(site(zone_name, {"mon": ["08:00-20:00"]})) is None


def test_a_usable_zone_and_its_hours():
    helsinki = site("Europe/Helsinki", {"mon": ["08:00-20:00"]})
    assert site_zone(helsinki) == ZoneInfo("Europe/Helsinki")
    hours = site_hours(helsinki)
    assert isinstance(hours, OpeningHours) and hours.zone == ZoneInfo("Europe/Helsinki")
    assert hours.is_open(datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc))  # 14:00 on a Monday
    assert site_hours(site("Europe/Helsinki", {"mon": ["25:00-26:00"]})) is None  # hours stored broken


def test_an_unusable_zone_is_logged_once_per_site_not_per_page_view(caplog):
    broken = site("Mars/Olympus", name="Olympus Mons (log test)")
    with caplog.at_level(logging.ERROR, logger="sync.common.zones"):
        for _ in range(5):
            site_zone(broken)
            site_hours(broken)
    (line,) = [record.getMessage() for record in caplog.records]
    assert "Olympus Mons (log test)" in line and "'Mars/Olympus'" in line and "UTC" in line


def test_central_reads_a_sites_zone_only_through_site_zone():
    """One lookup: no other module of central loads a zone itself (org.py checks a name head office sets)."""
    loading = re.compile(r"\b(ZoneInfo|load_zone)\(")
    readers = {path.relative_to(ROOT).as_posix() for path in (ROOT / "sync" / "central").rglob("*.py")
               if loading.search(path.read_text(encoding="utf-8"))}
    assert readers == {"sync/central/org/registry.py"}


@pytest.fixture
def broken_site(central):
    """Kamppi's kiosk (enrolled Monday noon), its site open 08-20 on Tuesdays, then its stored zone made
    unusable behind central's back."""
    kiosk = central.enrolled_kiosk(hours=["tue=08:00-20:00"])
    central.query(lambda m: m.Site.update(timezone="Europe").execute())  # a folder of tzdata, not a zone
    return kiosk


def test_a_site_whose_stored_zone_is_unusable_is_served_in_utc(central, broken_site):
    token, device_id = broken_site
    counted = rating_row(1, rating=2, recorded_at=NIGHT)
    unverified = rating_row(2, clock_trusted=False, filtered="unverified", boot_id="boot-b",
                            recorded_at=datetime(2025, 12, 29, 3, 0, tzinfo=timezone.utc), monotonic=40_000.0)
    central.clock.set_wall(NIGHT + timedelta(minutes=5))
    answer = central.post_batch(token, batch(device_id, [counted, unverified], [followup_row(counted, comment="Yö")],
                                             sent_at=NIGHT + timedelta(minutes=5), boot_id="boot-b",
                                             monotonic=40_300.0, clock_trusted=False))
    assert answer.status_code == 200 and answer.json()["accepted"] == 3 and not answer.json()["rejected"]
    # Ingest counts the night's rating on Monday (UTC), not Tuesday (Helsinki); the unverified one waits.
    days = central.query(lambda m: {str(d.day): (d.unhappy, d.unverified) for d in m.RollupDay.select()})
    assert days == {"2026-01-05": (1, 1)}
    held = central.query(lambda m: m.Rating.get_by_id(unverified["id"]))
    assert (held.time_basis, held.filtered) == ("corrected", "unverified")

    password, api_token = central.add_user("hanna", "admin")
    admin = central.log_in("hanna", password)
    site_id = central.query(lambda m: m.Site.get().id)
    for path in ("/overview", f"/sites/{site_id}", f"/sites/{site_id}?period=30d", f"/sites/{site_id}/days/2026-01-05",
                 "/comments", "/fleet", "/alerts", "/services", "/providers", "/drivers", "/export?format=csv"):
        assert admin.get(path).status_code == 200, path
    assert "Yö" in admin.get("/comments").text
    exported = central.export_json(api_token, from_="2026-01-05", to="2026-01-05")
    assert {row["id"]: row["local_time"] for row in exported}[counted["id"]] == "2026-01-05T23:30:00+00:00"


def test_alerts_run_for_a_site_whose_stored_zone_is_unusable(central, broken_site):
    """Its opening hours unusable, its kiosk's silence counts around the clock, and the alert says UTC."""
    central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com", "--silent-minutes", "60")
    night = datetime(2026, 1, 6, 1, 0, tzinfo=timezone.utc)  # 03:00 on Tuesday in Helsinki: not one open minute yet
    assert worker.run_once(None, now=night) == (1, 0, 1)  # opened (no SMTP host to send it with)
    password, _ = central.add_user("hanna", "admin")
    central.clock.set_wall(night)
    page = central.log_in("hanna", password).get("/alerts?lang=en")
    started = re.search(r"data-started>(.*?)</td>", page.text, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", started) == "6 Jan 2026 01:00 UTC"
