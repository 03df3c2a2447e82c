"""Alerts end to end: rules from the command, episodes from real ingest and heartbeats, delivery
to a local SMTP sink (aiosmtpd) and a local webhook receiver, both started here, on both backends."""
import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest

from sync.central.alerts import episodes as alerts
from sync.central.alerts import worker
from sync.central.alerts.delivery import SmtpSettings
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME, WebSession
from tests.helpers.receivers import SINKS, MailSink


@pytest.fixture
def smtp_sink():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def watched(central, smtp_sink, hook):
    """A site with a kiosk, and a rule with the defaults sending to both receivers."""
    token, device_id = central.enrolled_kiosk()
    output = central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com", "--webhook", hook[0])
    secret = output.strip().splitlines()[-1].rsplit(": ", 1)[1]
    return {"token": token, "device_id": device_id, "secret": secret, "smtp": smtp_sink.smtp, "sink": smtp_sink,
            "hook": hook[1]}


def _send(central, watched, ratings, at, first_seq):
    rows = [rating_row(first_seq + n, rating=value, recorded_at=at + timedelta(seconds=n))
            for n, value in enumerate(ratings)]
    central.clock.set_wall(at + timedelta(minutes=1))
    document = batch(watched["device_id"], rows, sent_at=at + timedelta(minutes=1))
    response = central.post_batch(watched["token"], document)
    assert response.status_code == 200 and not response.json()["rejected"], response.text


def _round(central, watched, at):
    return worker.run_once(watched["smtp"], now=at, webhooks=SINKS)


def test_an_unhappy_episode_is_sent_once_and_rearmed_after_it_ends(central, watched):
    start = RECEIVE_TIME
    _send(central, watched, [1, 2, 1, 4, 2], start, 1)  # 4 of 5 unhappy: over 50 % with at least 4
    assert _round(central, watched, start + timedelta(minutes=2)) == (1, 1, 0)
    assert _round(central, watched, start + timedelta(minutes=5)) == (0, 0, 0)  # still going: nothing new
    assert len(watched["sink"].messages) == 1 and len(watched["hook"].received) == 1
    ((recipients, mail),) = watched["sink"].messages
    assert "80 % unhappy at site Kamppi" in mail["Subject"]
    assert recipients == ["ops@example.com"] and mail["To"] == "ops@example.com"
    body, signed = watched["hook"].received[0]
    assert signed == "sha256=" + hmac.new(watched["secret"].encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload["kind"] == "unhappy" and payload["site"] == "Kamppi" and payload["detail"]["counted"] == 5

    later = start + timedelta(minutes=30)  # the window has moved on: the episode ends
    assert _round(central, watched, later) == (0, 0, 0)
    assert central.query(lambda m: m.Alert.get().ended_at) is not None
    _send(central, watched, [1, 1, 2, 2], later, 100)  # a new breach: a new episode, sent again
    assert _round(central, watched, later + timedelta(minutes=2)) == (1, 1, 0)
    assert len(watched["sink"].messages) == 2 and central.count("Alert") == 2


def test_too_few_or_happy_enough_sends_nothing(central, watched):
    _send(central, watched, [1, 1, 1], RECEIVE_TIME, 1)  # 100 % unhappy but only 3
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=2)) == (0, 0, 0)
    _send(central, watched, [4, 4, 4, 3], RECEIVE_TIME, 10)  # 3 of 7: under half
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=2)) == (0, 0, 0)


def test_a_failed_delivery_is_retried_and_still_sent_once(central, watched):
    watched["hook"].answers = [500]
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=2)) == (1, 0, 1)
    error = central.query(lambda m: m.Alert.get().delivery_error)
    assert "HTTP 500" in error
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=3)) == (0, 1, 0)
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=4)) == (0, 0, 0)
    assert len(watched["hook"].received) == 2  # the failed try and the delivery; never a third
    assert len(watched["sink"].messages) == 1  # the email went out with the first try, and only then


def test_two_workers_send_once(central, watched):
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    at = RECEIVE_TIME + timedelta(minutes=2)
    with worker.worker_lock():
        with pytest.raises(worker.LockHeld):
            with worker.worker_lock():
                pass
    alerts.evaluate(at)
    results, barrier = [], threading.Barrier(2)

    def deliver():
        barrier.wait()
        results.append(alerts.deliver(watched["smtp"], at, webhooks=SINKS))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(sent for sent, _ in results) == [0, 1]
    assert len(watched["sink"].messages) == 1 and len(watched["hook"].received) == 1


def test_a_kiosk_silent_within_opening_hours_is_one_episode(central, smtp_sink, hook):
    sink = smtp_sink
    central.add_site("Kamppi", hours=["mon=08:00-20:00"])  # Monday 5 January 2026 in Helsinki
    token, device_id = central.enrolled_kiosk()
    central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com", "--silent-minutes", "60")
    smtp = sink.smtp
    heartbeat = {"kiosk_id": device_id, "software_version": "1", "pending": 0, "oldest_pending_seconds": None,
                 "quarantined": 0, "boot_id": "b", "wall": format_time(RECEIVE_TIME), "monotonic": 5.0,
                 "clock_trusted": True, "free_disk_bytes": None, "gap_error": None}
    central.clock.set_wall(RECEIVE_TIME)  # 14:00 in Helsinki
    assert central.request("POST", "/api/v1/heartbeat", token, json=heartbeat).status_code == 200
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=59), webhooks=SINKS) == (0, 0, 0)
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=62), webhooks=SINKS) == (1, 1, 0)
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(hours=3), webhooks=SINKS) == (0, 0, 0)
    assert "kiosk kamppi-1 silent" in sink.messages[0][1]["Subject"]


def test_silence_after_closing_time_is_not_an_alert(central, smtp_sink):
    sink = smtp_sink
    central.add_site("Kamppi", hours=["mon=08:00-14:30"])
    token, device_id = central.enrolled_kiosk()
    central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com")
    smtp = sink.smtp
    heartbeat = {"kiosk_id": device_id, "software_version": "1", "pending": 0, "oldest_pending_seconds": None,
                 "quarantined": 0, "boot_id": "b", "wall": format_time(RECEIVE_TIME), "monotonic": 5.0,
                 "clock_trusted": True, "free_disk_bytes": None, "gap_error": None}
    central.clock.set_wall(RECEIVE_TIME)
    assert central.request("POST", "/api/v1/heartbeat", token, json=heartbeat).status_code == 200
    closed = RECEIVE_TIME + timedelta(hours=9)  # closed since 14:30
    assert worker.run_once(smtp, now=closed, webhooks=SINKS) == (0, 0, 0)
    assert sink.messages == []


@pytest.mark.parametrize("args, says", [
    (["--site", "Kamppi"], "--email ADDRESS or --webhook URL"),
    (["--email", "a@b.example"], "either a site or a service"),
    (["--site", "Nowhere", "--email", "a@b.example"], "no site named"),
    (["--site", "Kamppi", "--email", "not-an-address"], "not an email address"),
    (["--site", "Kamppi", "--webhook", "file:///etc/passwd"], "https:// URL"),
    (["--site", "Kamppi", "--email", "a@b.example", "--unhappy-share", "150"], "from 0 to 100"),
])
def test_a_bad_rule_is_one_line(central, args, says):
    central.enrolled_kiosk()
    result = central.cli("add-alert", *args)
    assert result.exit_code != 0 and says in result.output and len(result.output.strip().splitlines()) == 1
    assert central.count("AlertRule") == 0


def test_the_alerts_page_lists_and_acknowledges_within_the_viewers_sites(central, watched):
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    worker.run_once(watched["smtp"], now=RECEIVE_TIME + timedelta(minutes=2), webhooks=SINKS)
    alert_id = central.query(lambda m: m.Alert.get().id)
    central.add_site("Lisboa", "Europe/Lisbon")
    other_password, _ = central.add_user("olga", "viewer", sites=["Lisboa"])
    other = central.log_in("olga", other_password)
    assert f'data-alert="{alert_id}"' not in other.get("/alerts").text
    assert other.post(f"/alerts/{alert_id}/acknowledge", csrf_from="/alerts").status_code == 404
    viewer_password, _ = central.add_user("ville", "viewer", sites=["Kamppi"])
    viewer = central.log_in("ville", viewer_password)
    assert f'data-alert="{alert_id}"' in viewer.get("/alerts").text
    assert viewer.post(f"/alerts/{alert_id}/acknowledge").status_code == 400  # no CSRF token
    assert central.query(lambda m: m.Alert.get().acknowledged_at) is None
    page = viewer.post(f"/alerts/{alert_id}/acknowledge", csrf_from="/alerts")
    assert page.status_code == 200 and "seen by ville" in page.text
    assert central.query(lambda m: m.Alert.get().acknowledged_by) == "ville"
    assert "/login" in WebSession(central.url).get("/alerts").url


def test_a_worker_with_a_stale_list_does_not_send_a_channel_again(central, watched, monkeypatch):
    """Between one worker's list and its claim, another delivers the email and fails the webhook:
    the first, once it holds the episode, sends only the webhook."""
    watched["hook"].answers = [500]
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    at = RECEIVE_TIME + timedelta(minutes=2)
    alerts.evaluate(at)
    claim = alerts._claim

    def another_worker_first(episode_id, now):
        monkeypatch.setattr(alerts, "_claim", claim)
        assert alerts.deliver(watched["smtp"], now, webhooks=SINKS) == (0, 1)  # email out, webhook 500, released
        return claim(episode_id, now)

    monkeypatch.setattr(alerts, "_claim", another_worker_first)
    assert alerts.deliver(watched["smtp"], at, webhooks=SINKS) == (1, 0)
    assert len(watched["sink"].messages) == 1 and len(watched["hook"].received) == 2


def test_a_failed_email_is_retried_without_posting_the_webhook_again(central, watched):
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    unreachable = SmtpSettings("127.0.0.1", 9, "hymy@example.com", starttls=False)  # nothing listens on port 9
    assert worker.run_once(unreachable, now=RECEIVE_TIME + timedelta(minutes=2), webhooks=SINKS) == (1, 0, 1)
    assert len(watched["hook"].received) == 1 and watched["sink"].messages == []
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=3)) == (0, 1, 0)
    assert len(watched["hook"].received) == 1 and len(watched["sink"].messages) == 1


def _opt_in(central, name, sites, email):
    password, _ = central.add_user(name, "viewer" if sites else "admin", sites=sites)
    browser = central.log_in(name, password)
    saved = browser.post("/account", data={"form": "contact", "contact-email": email, "contact-alert_email": "y"},
                         csrf_from="/account")
    assert saved.status_code == 200
    return browser


def test_users_who_ask_get_the_alerts_of_their_sites_by_email(central, watched):
    central.add_site("Lisboa", "Europe/Lisbon")
    _opt_in(central, "ville", ["Kamppi"], "ville@example.com")
    _opt_in(central, "olga", ["Lisboa"], "olga@example.com")
    _opt_in(central, "hanna", [], "hanna@example.com")  # an admin sees every site
    central.add_user("quiet", "viewer", sites=["Kamppi"])  # no email, never asked
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    assert _round(central, watched, RECEIVE_TIME + timedelta(minutes=2)) == (1, 1, 0)
    # One message each, in this order, each naming only its own recipient.
    assert watched["sink"].recipients() == [["ops@example.com"], ["ville@example.com"], ["hanna@example.com"]]
    assert [message["To"] for _, message in watched["sink"].messages] == [r for (r,) in watched["sink"].recipients()]


def test_a_service_wide_share_is_only_for_those_who_see_every_site_it_counts(central, smtp_sink):
    """A service rule's unhappy share counts every site running the service: a viewer of one of them
    would learn the others' customers from it, so they neither see it nor get it."""
    sink = smtp_sink
    kamppi = central.enrolled_kiosk("kamppi-1", site="Kamppi")
    lisboa = central.enrolled_kiosk("lisboa-1", site="Lisboa")
    central.ok("add-alert", "--service", "checkout", "--email", "ops@example.com")
    viewer = _opt_in(central, "ville", ["Kamppi"], "ville@example.com")
    admin = _opt_in(central, "hanna", [], "hanna@example.com")
    for (token, device_id), ratings in ((kamppi, [1, 1]), (lisboa, [1, 2])):
        rows = [rating_row(n + 1, rating=value, recorded_at=RECEIVE_TIME + timedelta(seconds=n))
                for n, value in enumerate(ratings)]
        central.clock.set_wall(RECEIVE_TIME + timedelta(minutes=1))
        assert central.post_batch(token, batch(device_id, rows, sent_at=RECEIVE_TIME)).status_code == 200
    smtp = sink.smtp
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=2), webhooks=SINKS) == (1, 1, 0)
    assert sink.recipients() == [["ops@example.com"], ["hanna@example.com"]]
    alert_id = central.query(lambda m: m.Alert.get().id)
    assert f'data-alert="{alert_id}"' in admin.get("/alerts").text
    assert f'data-alert="{alert_id}"' not in viewer.get("/alerts").text
    assert viewer.post(f"/alerts/{alert_id}/acknowledge", csrf_from="/alerts").status_code == 404


def test_evaluations_at_the_same_moment_open_one_episode(central, watched):
    """Should two workers ever evaluate at once (a lock lost), the database keeps one open episode."""
    _send(central, watched, [1, 1, 1, 1], RECEIVE_TIME, 1)
    at = RECEIVE_TIME + timedelta(minutes=2)
    for round_ in range(5):
        barrier, opened = threading.Barrier(2), []

        def evaluate(moment=at + timedelta(seconds=round_), barrier=barrier, opened=opened):
            barrier.wait()
            opened.extend(alerts.evaluate(moment))

        threads = [threading.Thread(target=evaluate) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(opened) == (1 if round_ == 0 else 0)
    assert central.query(lambda m: m.Alert.select().where(m.Alert.ended_at.is_null()).count()) == 1
    import peewee

    with pytest.raises(peewee.IntegrityError):
        central.query(lambda m: m.Alert.create(rule=m.AlertRule.get().id, kind="unhappy", started_at=at, detail={}))


def test_a_kiosk_enrolled_and_never_heard_from_is_silent(central, smtp_sink):
    sink = smtp_sink
    central.clock.set_wall(RECEIVE_TIME)  # enrolled at 14:00 in Helsinki on a Monday, open 08-20
    central.enrolled_kiosk(hours=["mon=08:00-20:00"])
    central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com")
    smtp = sink.smtp
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=59), webhooks=SINKS) == (0, 0, 0)
    assert worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=62), webhooks=SINKS) == (1, 1, 0)
    assert "last heartbeat: never" in sink.messages[0][1].get_payload()
