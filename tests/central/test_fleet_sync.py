"""The fleet page's Last sync and clock badge say what they mean.

Last sync is when the kiosk's uploader last reached central: the later of its
last heartbeat and the last batch central took, so a quiet kiosk that has
nothing to send but heartbeats every few seconds is in sync, not stale. The
clock badge is about the kiosk's own clock, and says so in every language.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest

from sync.wire.protocol import format_time
from tests.helpers.batches import batch, rating_row

NOON_UTC = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
COLUMNS = ("kiosk", "site", "last heartbeat", "last sync", "backlog", "oldest", "clock", "version", "disk", "sequence")


def heartbeat(central, kiosk, at, clock_trusted=True):
    token, device_id = kiosk
    central.clock.set_wall(at)
    body = {"kiosk_id": device_id, "software_version": "1.0", "pending": 0, "oldest_pending_seconds": None,
            "quarantined": 0, "boot_id": "b", "wall": format_time(at), "monotonic": 5.0,
            "clock_trusted": clock_trusted, "free_disk_bytes": None, "gap_error": None}
    assert central.request("POST", "/api/v1/heartbeat", token, json=body).status_code == 200


def send_batch(central, kiosk, at):
    token, device_id = kiosk
    central.clock.set_wall(at)
    answer = central.post_batch(token, batch(device_id, [rating_row(1, recorded_at=at - timedelta(minutes=1))],
                                             sent_at=at))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1


def fleet_rows(session, language="en"):
    """kiosk name -> {column: text} as the fleet page shows it."""
    page = session.get(f"/fleet?lang={language}")
    assert page.status_code == 200
    rows = {}
    for name, cells in re.findall(r'<tr[^>]*data-kiosk="([^"]+)"[^>]*>(.*?)</tr>', page.text, re.S):
        texts = [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                                        cells, re.S)]
        rows[name] = dict(zip(COLUMNS, texts, strict=True))
    return rows


@pytest.fixture
def kiosks(central):
    return {name: central.enrolled_kiosk(name) for name in ("quiet", "busy", "mute", "new")}


def test_last_sync_is_the_later_of_the_last_heartbeat_and_the_last_batch(central, kiosks):
    send_batch(central, kiosks["quiet"], NOON_UTC)  # then nothing to send for two hours, heartbeats every 5 s
    for seconds in range(60, 0, -5):  # the last minute of them
        heartbeat(central, kiosks["quiet"], NOON_UTC + timedelta(hours=2, seconds=-seconds))
    heartbeat(central, kiosks["busy"], NOON_UTC - timedelta(hours=1))
    send_batch(central, kiosks["busy"], NOON_UTC + timedelta(hours=1))  # the batch is the later
    heartbeat(central, kiosks["mute"], NOON_UTC + timedelta(minutes=90))  # heartbeats, never a batch
    central.clock.set_wall(NOON_UTC + timedelta(hours=2))
    password, _ = central.add_user("hanna", "admin")

    shown = fleet_rows(central.log_in("hanna", password))

    assert shown["quiet"]["last sync"] == "5 s ago" and shown["quiet"]["last heartbeat"] == "5 s ago"
    assert shown["busy"]["last sync"] == "60 min ago" and shown["busy"]["last heartbeat"] == "3 h ago"
    assert shown["mute"]["last sync"] == "30 min ago"
    assert shown["new"]["last sync"] == "never" and shown["new"]["last heartbeat"] == "never"


@pytest.mark.parametrize("language, badge", [("en", "clock not synchronised"), ("fi", "kelloa ei ole synkronoitu"),
                                             ("sv", "klockan är inte synkroniserad")])
def test_the_clock_badge_says_the_kiosks_clock_is_not_synchronised(central, kiosks, language, badge):
    heartbeat(central, kiosks["quiet"], NOON_UTC, clock_trusted=False)
    heartbeat(central, kiosks["busy"], NOON_UTC, clock_trusted=True)
    password, _ = central.add_user("hanna", "admin")

    shown = fleet_rows(central.log_in("hanna", password), language)

    assert badge in shown["quiet"]["clock"] and "unsynced" not in shown["quiet"]["clock"]
    assert badge not in shown["busy"]["clock"]
