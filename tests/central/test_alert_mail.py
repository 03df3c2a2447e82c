"""Alert and digest email go to one person at a time, through a real SMTP server (aiosmtpd).

Each recipient gets a message of their own, with no other address in any header; each delivery
is recorded per recipient, so a retry after a partial failure (a recipient refused for now, the
server going away mid-round) reaches only those not reached. Every address is one address: a
comma is refused where an address is given, and one stored before is skipped with a channel
error rather than sent to or crashed on.
"""
import logging
from datetime import timedelta

import pytest

from sync.central.alerts import worker
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME
from tests.helpers.receivers import SINKS, MailSink

RULE_PEOPLE = ["ops@example.com", "vb-private@example.com"]
USERS = {"ville": "ville@example.com", "hanna": "hanna@example.com"}
EVERYONE = [*RULE_PEOPLE, *USERS.values()]


@pytest.fixture
def mail():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def breached(central):
    """A rule for Kamppi to two addresses, two users who asked for its alerts, and an unhappy
    quarter hour the next round will find; returns a function running the round *minutes* later."""
    token, device_id = central.enrolled_kiosk()
    central.ok("add-alert", "--site", "Kamppi", *[a for person in RULE_PEOPLE for a in ("--email", person)])
    for name, address in USERS.items():
        central.add_user(name, "viewer", sites=["Kamppi"])
        central.query(lambda m, name=name, address=address: m.User.update(email=address, alert_email=True)
                      .where(m.User.name == name).execute())
    rows = [rating_row(n + 1, rating=1, recorded_at=RECEIVE_TIME + timedelta(seconds=n)) for n in range(4)]
    central.clock.set_wall(RECEIVE_TIME + timedelta(minutes=1))
    assert central.post_batch(token, batch(device_id, rows, sent_at=RECEIVE_TIME)).status_code == 200
    return lambda smtp, minutes: worker.run_once(smtp, now=RECEIVE_TIME + timedelta(minutes=minutes), webhooks=SINKS)


def headers_of(message):
    return " ".join(f"{name}: {value}" for name, value in message.items())


def delivered(central):
    """address -> (delivered?, refused) of the alert's recipients settled so far."""
    return central.query(lambda m: {r.address: (r.delivered_at is not None, r.refused)
                                    for r in m.AlertRecipient.select()})


def test_each_recipient_gets_a_message_naming_only_them(central, breached, mail):
    assert breached(mail.smtp, 2) == (1, 1, 0)
    assert mail.recipients() == [[person] for person in EVERYONE]
    for (recipient,), (_, message) in zip(mail.recipients(), mail.messages, strict=True):
        assert message["To"] == recipient
        assert [person for person in EVERYONE if person in headers_of(message)] == [recipient]
        assert "Cc" not in message and "Bcc" not in message
    assert delivered(central) == {person: (True, None) for person in EVERYONE}
    assert breached(mail.smtp, 3) == (0, 0, 0) and len(mail.messages) == 4


def test_a_recipient_refused_for_now_is_the_only_one_the_retry_reaches(central, breached, mail):
    mail.refuse["vb-private@example.com"] = "450 4.2.1 mailbox busy"
    assert breached(mail.smtp, 2) == (1, 0, 1)
    assert mail.recipients() == [["ops@example.com"], ["ville@example.com"], ["hanna@example.com"]]
    assert "450" in central.query(lambda m: m.Alert.get().delivery_error)
    assert "vb-private@example.com" not in delivered(central)
    del mail.refuse["vb-private@example.com"]
    assert breached(mail.smtp, 3) == (0, 1, 0)
    assert mail.recipients()[3:] == [["vb-private@example.com"]]
    assert breached(mail.smtp, 4) == (0, 0, 0) and len(mail.messages) == 4
    assert central.query(lambda m: m.Alert.get().delivery_error) is None


def test_the_server_going_away_after_the_first_leaves_the_rest_for_the_next_round(central, breached, mail):
    mail.hang_up_after = 1
    assert breached(mail.smtp, 2) == (1, 0, 1)
    assert mail.recipients() == [["ops@example.com"]]
    assert "connection lost" in central.query(lambda m: m.Alert.get().delivery_error)
    assert breached(mail.smtp, 3) == (0, 1, 0)
    assert sorted(mail.recipients()) == sorted([person] for person in EVERYONE)  # each once


def test_the_server_away_at_the_start_leaves_everyone_for_the_next_round(central, breached, mail):
    with MailSink() as away:
        port = away.smtp.port
    assert breached(type(mail.smtp)("127.0.0.1", port, "hymy@example.com", starttls=False), 2) == (1, 0, 1)
    assert delivered(central) == {}
    assert breached(mail.smtp, 3) == (0, 1, 0) and len(mail.messages) == 4


def test_a_recipient_refused_for_good_is_noted_and_not_retried(central, breached, mail):
    mail.refuse["vb-private@example.com"] = "550 5.1.1 no such user"
    assert breached(mail.smtp, 2) == (1, 1, 0)
    assert len(mail.messages) == 3
    assert delivered(central)["vb-private@example.com"][1].endswith("vb-private@example.com refused: 550 5.1.1 "
                                                                     "no such user")
    assert "550" in central.query(lambda m: m.Alert.get().delivery_error)
    del mail.refuse["vb-private@example.com"]
    assert breached(mail.smtp, 3) == (0, 0, 0) and len(mail.messages) == 3


def test_an_invalid_address_stored_before_is_skipped_with_a_channel_error(central, breached, mail, caplog):
    central.query(lambda m: m.User.update(email="ville@example.com, cc-injected@evil.example", digest=True)
                  .where(m.User.name == "ville").execute())
    with caplog.at_level(logging.WARNING, "sync.central"):
        assert breached(mail.smtp, 2) == (1, 1, 0)  # 14:02 in Helsinki: yesterday's digest is due too
        assert breached(mail.smtp, 3) == (0, 0, 0)
    assert mail.recipients() == [["ops@example.com"], ["vb-private@example.com"], ["hanna@example.com"]]
    assert all("evil" not in headers_of(message) for _, message in mail.messages)
    error = central.query(lambda m: m.Alert.get().delivery_error)
    assert "one email address only, without commas" in error
    # The digest skips it too, settled for the day (not tried every round), and the log says so once.
    said = [record.getMessage() for record in caplog.records]
    assert sum(line.startswith("digest for ville not sent, and not retried for 2026-01-04") for line in said) == 1
    assert sum(line.startswith("alert 1: refused for good") for line in said) == 1


def test_digests_go_one_per_person(central, mail):
    central.enrolled_kiosk()
    for name, address in USERS.items():
        central.ok("add-user", name, "--role", "viewer", "--site", "Kamppi", "--email", address)
    central.query(lambda m: m.User.update(digest=True).execute())
    worker.run_once(mail.smtp, now=RECEIVE_TIME.replace(hour=5), webhooks=SINKS)
    assert mail.recipients() == [[address] for address in USERS.values()]
    for (recipient,), (_, message) in zip(mail.recipients(), mail.messages, strict=True):
        assert [a for a in USERS.values() if a in headers_of(message)] == [recipient]


@pytest.mark.parametrize("address, says", [
    ("ops@example.com, cc-injected@evil.example", "one email address only, without commas"),
    ("ops@example.com,", "one email address only, without commas"),
    ("Ops <ops@example.com>", "not an email address"),
    ("not-an-address", "not an email address"),
    ("ops@localhost", "not an email address"),
    ("ops@example.com\nBcc: x@evil.example", "not an email address"),
])
def test_an_address_that_is_not_exactly_one_is_one_line(central, address, says):
    central.enrolled_kiosk()
    for args in (["add-alert", "--site", "Kamppi", "--email", address],
                 ["add-user", "olga", "--role", "viewer", "--email", address]):
        result = central.cli(*args)
        assert result.exit_code != 0 and says in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert central.count("AlertRule") == 0 and not central.query(lambda m: m.User.select().exists())


def test_addresses_are_kept_normalised(central):
    central.enrolled_kiosk()
    central.ok("add-alert", "--site", "Kamppi", "--email", " Ops@EXAMPLE.com ", "--email", "Ops@example.com")
    central.ok("add-user", "olga", "--role", "viewer", "--email", "olga@Exämple.FI")
    assert central.query(lambda m: m.AlertRule.get().emails) == ["Ops@example.com"]
    assert central.query(lambda m: m.User.get().email) == "olga@exämple.fi"


def test_the_pages_refuse_a_comma_with_one_line(central):
    password, _ = central.add_user("hanna", "admin")
    central.enrolled_kiosk()
    browser = central.log_in("hanna", password)
    account = browser.post("/account", data={"form": "contact", "contact-email": "hanna@example.com, x@evil.example",
                                              "contact-alert_email": "y"}, csrf_from="/account")
    assert account.status_code == 400 and "Give one email address, without commas." in account.text
    added = browser.post("/admin/users", csrf_from="/admin",
                         data={"name": "olga", "role": "viewer", "email": "a@example.com,b@example.com"})
    assert added.status_code == 400 and "one email address only, without commas" in added.text
    rule = browser.post("/admin/alerts", data={"covers": "site:Kamppi", "emails": "ops@example.com; x@evil.example"},
                        csrf_from="/admin")
    assert rule.status_code == 400 and "not an email address" in rule.text
    assert central.query(lambda m: m.User.get(m.User.name == "hanna").email) is None
    assert central.count("AlertRule") == 0
