"""The daily digest: yesterday's figures of a user's sites, once a day, after 06:00, opt-in."""
from datetime import timedelta

import pytest

from sync.central.alerts import worker
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME
from tests.helpers.receivers import MailSink


@pytest.fixture
def sink():
    with MailSink() as mail:
        yield mail


def test_a_digest_goes_once_a_day_with_yesterdays_figures(central, sink):
    smtp = sink.smtp
    token, device_id = central.enrolled_kiosk()
    central.add_site("Lisboa", "Europe/Lisbon")
    yesterday = RECEIVE_TIME - timedelta(days=1)  # Sunday 4 January, 12:00 UTC
    rows = [rating_row(n + 1, rating=value, recorded_at=yesterday + timedelta(minutes=n))
            for n, value in enumerate([4, 4, 3, 2, 1, 4])]
    assert central.post_batch(token, batch(device_id, rows)).status_code == 200
    central.ok("add-user", "ville", "--role", "viewer", "--site", "Kamppi", "--email", "ville@example.com")
    central.ok("add-user", "olga", "--role", "viewer", "--site", "Lisboa", "--email", "olga@example.com")
    central.query(lambda m: m.User.update(digest=True).where(m.User.name == "ville").execute())
    early = RECEIVE_TIME.replace(hour=3)  # 05:00 in Helsinki: not yet
    assert worker.run_once(smtp, now=early) == (0, 0, 0) and sink.messages == []
    morning = RECEIVE_TIME.replace(hour=5)  # 07:00 in Helsinki
    worker.run_once(smtp, now=morning)
    worker.run_once(smtp, now=morning + timedelta(hours=2))
    assert sink.recipients() == [["ville@example.com"]] and sink.messages[0][1]["To"] == "ville@example.com"
    text = sink.texts()[0][1]
    # 6 counted: 4 happy -> 67 %, below the 85 % target; Happy Index (3+3+2+1+0+3)/18 -> 66.7.
    assert "2026-01-04" in text and "Kamppi: 6 responses, satisfaction 67 % BELOW TARGET" in text
    assert "Happy Index 66.7" in text and "Lisboa" not in text
    worker.run_once(smtp, now=morning + timedelta(days=1))
    assert len(sink.messages) == 2  # the next day's
