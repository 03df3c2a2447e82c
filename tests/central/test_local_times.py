"""Times shown to people are the site's local time: the Alerts page, the alert email, the comments.

An alert's times are its site's local time with the zone's abbreviation; a
service-wide alert counting sites in several zones gives the time in each of
those zones, west to east. The webhook's fields stay ISO 8601 in UTC (they are
for machines). Driven end to end: real ingest and heartbeats, the worker's
round, a real SMTP server and webhook endpoint, the pages in three languages.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest

from sync.central.alerts import worker
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.receivers import SINKS, MailSink, WebhookReceiver

#: Monday 5 January 2026, 12:00 UTC: 14:00 in Helsinki (EET), 13:00 in Stockholm (CET).
NOON_UTC = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def delivery():
    """``(smtp settings, mail sink, webhook url, webhook receiver)``."""
    with MailSink() as sink, WebhookReceiver() as hook:
        yield sink.smtp, sink, hook.url, hook


@pytest.fixture
def network(central):
    """Kamppi in Helsinki and Södermalm in Stockholm, one checkout kiosk each; and a way for an admin
    to log in at the central clock's time (a session from hours before has ended)."""
    central.add_site("Kamppi", "Europe/Helsinki")
    central.add_site("Södermalm", "Europe/Stockholm")
    kiosks = {"kamppi-1": central.enrolled_kiosk("kamppi-1", site="Kamppi"),
              "soder-1": central.enrolled_kiosk("soder-1", site="Södermalm")}
    password, _ = central.add_user("hanna", "admin")
    return kiosks, lambda: central.log_in("hanna", password)


def send_unhappy(central, kiosk, at, first_seq=1):
    token, device_id = kiosk
    rows = [rating_row(first_seq + n, rating=1, recorded_at=at + timedelta(seconds=n)) for n in range(4)]
    central.clock.set_wall(at + timedelta(seconds=30))
    answer = central.post_batch(token, batch(device_id, rows, sent_at=at + timedelta(seconds=30)))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text


def heartbeat(central, kiosk, at):
    token, device_id = kiosk
    central.clock.set_wall(at)
    body = {"kiosk_id": device_id, "software_version": "1", "pending": 0, "oldest_pending_seconds": None,
            "quarantined": 0, "boot_id": "b", "wall": format_time(at), "monotonic": 5.0, "clock_trusted": True,
            "free_disk_bytes": None, "gap_error": None}
    assert central.request("POST", "/api/v1/heartbeat", token, json=body).status_code == 200


def text_of(html):
    return " ".join(re.sub(r"<br>", " | ", re.sub(r"<(?!br>)[^>]+>", "", html)).split())


def shown_alerts(session, language="en"):
    """alert id -> (what the alert says, when it started) as the Alerts page shows them."""
    page = session.get(f"/alerts?lang={language}")
    assert page.status_code == 200
    rows = re.findall(r'data-alert="(\d+)">\s*<td>(.*?)</td>.*?<td class="nowrap" data-started>(.*?)</td>',
                      page.text, re.S)
    return {int(alert_id): (text_of(said), text_of(started)) for alert_id, said, started in rows}


def mail_text(message):
    return message.get_payload(decode=True).decode()


def test_a_site_alert_is_in_the_sites_local_time_everywhere_people_read_it(central, network, delivery):
    kiosks, log_in = network
    smtp, mailbox, hook, bodies = delivery
    central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com", "--webhook", hook,
               "--silent-minutes", "10080")  # enrolled at noon, never heard from: not what this test is about
    late = datetime(2026, 1, 5, 22, 29, tzinfo=timezone.utc)  # 00:29 on Tuesday the 6th in Helsinki
    send_unhappy(central, kiosks["kamppi-1"], late)
    assert worker.run_once(smtp, now=late + timedelta(minutes=1), webhooks=SINKS) == (1, 1, 0)

    ((_, message),) = mailbox.messages
    assert "Started 2026-01-06 00:30 EET." in mail_text(message) and "UTC" not in mail_text(message)
    ((payload, _),) = bodies.received
    assert payload["started_at"] == "2026-01-05T22:30:00+00:00"  # for machines: UTC, as documented
    admin = log_in()
    (shown,) = shown_alerts(admin).values()
    assert shown[1] == "6 Jan 2026 00:30 EET"  # the local date too, not the UTC one
    (shown,) = shown_alerts(admin, "fi").values()
    assert shown[1] == "6 tammi 2026 00:30 EET"
    (shown,) = shown_alerts(admin, "sv").values()
    assert shown[1] == "6 jan. 2026 00:30 EET"


def test_a_service_wide_alert_over_two_zones_gives_the_time_in_each(central, network, delivery):
    kiosks, log_in = network
    smtp, mailbox, _, _ = delivery
    central.ok("add-alert", "--service", "checkout", "--email", "ops@example.com")
    send_unhappy(central, kiosks["kamppi-1"], NOON_UTC)
    send_unhappy(central, kiosks["soder-1"], NOON_UTC)
    assert worker.run_once(smtp, now=NOON_UTC + timedelta(minutes=1), webhooks=SINKS) == (1, 1, 0)

    ((_, message),) = mailbox.messages
    assert "Started 2026-01-05 13:01 CET / 2026-01-05 14:01 EET." in mail_text(message)
    admin = log_in()
    (shown,) = shown_alerts(admin).values()
    assert shown[1] == "5 Jan 2026 13:01 CET | 5 Jan 2026 14:01 EET"


def test_a_silent_kiosks_alert_gives_its_last_heartbeat_in_its_sites_time(central, network, delivery):
    kiosks, log_in = network
    smtp, mailbox, _, _ = delivery
    central.ok("add-alert", "--site", "Södermalm", "--email", "ops@example.com", "--silent-minutes", "60")
    heartbeat(central, kiosks["soder-1"], NOON_UTC)
    assert worker.run_once(smtp, now=NOON_UTC + timedelta(minutes=61), webhooks=SINKS) == (1, 1, 0)

    ((_, message),) = mailbox.messages
    assert "(last heartbeat: 2026-01-05 13:00 CET). Started 2026-01-05 14:01 CET." in mail_text(message)
    admin = log_in()
    (shown,) = shown_alerts(admin).values()
    assert "the last came 5 Jan 2026 13:00 CET." in shown[0] and shown[1] == "5 Jan 2026 14:01 CET"


def test_a_comment_shows_its_local_date_and_time(central, network):
    """Half past midnight in Helsinki is still the 5th in UTC: the page says the 6th, as the kiosk's day does."""
    kiosks, log_in = network
    token, device_id = kiosks["kamppi-1"]
    at = datetime(2026, 1, 5, 22, 30, tzinfo=timezone.utc)
    rating = rating_row(1, rating=2, recorded_at=at)
    central.clock.set_wall(at + timedelta(minutes=1))
    central.post_batch(token, batch(device_id, [rating], [followup_row(rating, comment="Jono oli pitkä")],
                                    sent_at=at + timedelta(minutes=1)))
    page = log_in().get("/comments?from=2026-01-06&to=2026-01-06")
    assert "Jono oli pitkä" in page.text and "6 Jan 2026 00:30" in text_of(page.text)
