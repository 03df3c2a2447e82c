"""Alert delivery against real local receivers: an SMTP sink (aiosmtpd) taking one message per
recipient, and a webhook receiver that checks the signature the way a customer's would."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.central.alerts.delivery import (
    SIGNATURE_HEADER,
    DeliveryError,
    Mailer,
    Refused,
    SmtpSettings,
    post_webhook,
    send_email,
    signature,
)
from tests.helpers.live import free_port
from tests.helpers.receivers import SINKS, MailSink

SECRET = "rule-secret-7f3a"


@pytest.fixture
def smtp_sink():
    with MailSink() as sink:
        yield sink


class Receiver(BaseHTTPRequestHandler):
    received = []
    answer = 204

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        verified = hmac.compare_digest(expected, self.headers.get(SIGNATURE_HEADER, ""))
        type(self).received.append((self.path, verified, json.loads(body)))
        self.send_response(type(self).answer)
        if type(self).answer in (301, 302, 307):
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.answer = [], 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Receiver
    server.shutdown()
    server.server_close()


def test_an_email_reaches_the_smtp_server_for_its_one_recipient(smtp_sink):
    settings = SmtpSettings(host="127.0.0.1", port=smtp_sink.smtp.port, sender="hymy@brand.example", starttls=False)
    send_email(settings, "manager@brand.example", "Kamppi: 62 % unhappy", "Details …")
    ((recipients, message),) = smtp_sink.messages
    assert recipients == ["manager@brand.example"] and message["To"] == "manager@brand.example"
    assert message["From"] == "hymy@brand.example" and message["Subject"] == "Kamppi: 62 % unhappy"
    assert message["Message-ID"].endswith("@brand.example>") and message["Date"]


def test_one_connection_sends_each_recipient_a_message_of_their_own(smtp_sink):
    people = ["ops@brand.example", "vb-private@brand.example", "cc@elsewhere.example"]
    with Mailer(smtp_sink.smtp) as mailer:
        for person in people:
            mailer.send(person, "Kamppi: 62 % unhappy", "Details …")
    assert smtp_sink.recipients() == [[person] for person in people]
    for (recipient,), (_, message) in zip(smtp_sink.recipients(), smtp_sink.messages, strict=True):
        headers = " ".join(f"{name}: {value}" for name, value in message.items())
        assert [person for person in people if person in headers] == [recipient], headers


@pytest.mark.parametrize("reply, error", [("550 5.1.1 no such user", Refused), ("450 4.2.1 try later", DeliveryError)])
def test_a_refused_recipient_is_refused_for_good_or_for_now_and_the_others_still_get_theirs(smtp_sink, reply, error):
    smtp_sink.refuse["gone@brand.example"] = reply
    with Mailer(smtp_sink.smtp) as mailer:
        mailer.send("ops@brand.example", "s", "t")
        with pytest.raises(error, match=reply.split()[0]) as raised:
            mailer.send("gone@brand.example", "s", "t")
        mailer.send("hanna@brand.example", "s", "t")
    assert isinstance(raised.value, Refused) == (error is Refused)
    assert smtp_sink.recipients() == [["ops@brand.example"], ["hanna@brand.example"]]


def test_a_server_that_goes_away_leaves_the_rest_of_the_round_undelivered(smtp_sink):
    smtp_sink.hang_up_after = 1
    with Mailer(smtp_sink.smtp) as mailer:
        mailer.send("ops@brand.example", "s", "t")
        for person in ("ville@brand.example", "hanna@brand.example"):
            with pytest.raises(DeliveryError, match="connection lost") as raised:
                mailer.send(person, "s", "t")
            assert not isinstance(raised.value, Refused)
    assert smtp_sink.recipients() == [["ops@brand.example"]]


def test_starttls_required_but_not_offered_sends_nothing(smtp_sink):
    with pytest.raises(DeliveryError, match="email via 127.0.0.1"):
        send_email(SmtpSettings(host="127.0.0.1", port=smtp_sink.smtp.port), "a@b.example", "s", "t")
    assert smtp_sink.messages == []


def test_an_unreachable_smtp_server_is_a_delivery_error():
    with pytest.raises(DeliveryError):
        send_email(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False), "a@b.example", "s", "t")


def test_a_webhook_is_signed_with_the_rules_secret(receiver):
    url, handler = receiver
    payload = {"rule": 3, "site": "Kamppi", "unhappy_share": 62, "text": "Jono — ääkköset"}
    assert post_webhook(url + "/hook", SECRET, payload, SINKS) == 204
    ((path, verified, body),) = handler.received
    assert path == "/hook" and verified and body == payload


def test_the_signature_is_hmac_sha256_of_the_exact_body():
    assert signature("k", b"{}") == "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_refusing_or_redirecting_receiver_is_a_delivery_error(receiver, status):
    url, handler = receiver
    handler.answer = status
    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        post_webhook(url, SECRET, {"rule": 1}, SINKS)
    assert len(handler.received) == 1  # a redirect is not followed with the signed body


def test_an_unreachable_webhook_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="ConnectionError"):
        post_webhook(f"http://127.0.0.1:{free_port()}/", SECRET, {"rule": 1}, SINKS)
