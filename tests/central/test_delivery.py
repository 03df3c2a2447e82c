"""Alert delivery against real local receivers: an SMTP sink (aiosmtpd) and a
webhook receiver that checks the signature the way a customer's would."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from sync.central.delivery import (
    SIGNATURE_HEADER,
    DeliveryError,
    SmtpSettings,
    post_webhook,
    send_email,
    signature,
)
from tests.conftest import free_port

SECRET = "rule-secret-7f3a"


class Sink:
    """Keeps every message the SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    controller.stop()


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


def test_an_email_reaches_the_smtp_server(smtp_sink):
    controller, sink = smtp_sink
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="hymy@brand.example", starttls=False)
    send_email(settings, ["manager@brand.example", "ops@brand.example"], "Kamppi: 62 % unhappy", "Details …")
    (envelope,) = sink.messages
    assert envelope.mail_from == "hymy@brand.example"
    assert envelope.rcpt_tos == ["manager@brand.example", "ops@brand.example"]
    assert b"Subject: Kamppi: 62 % unhappy" in envelope.content


def test_starttls_required_but_not_offered_sends_nothing(smtp_sink):
    controller, sink = smtp_sink
    with pytest.raises(DeliveryError, match="email via 127.0.0.1"):
        send_email(SmtpSettings(host="127.0.0.1", port=controller.port), ["a@b.example"], "s", "t")
    assert sink.messages == []


def test_an_unreachable_smtp_server_is_a_delivery_error():
    with pytest.raises(DeliveryError):
        send_email(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False), ["a@b.example"], "s", "t")


def test_a_webhook_is_signed_with_the_rules_secret(receiver):
    url, handler = receiver
    payload = {"rule": 3, "site": "Kamppi", "unhappy_share": 62, "text": "Jono — ääkköset"}
    assert post_webhook(url + "/hook", SECRET, payload) == 204
    ((path, verified, body),) = handler.received
    assert path == "/hook" and verified and body == payload


def test_the_signature_is_hmac_sha256_of_the_exact_body():
    assert signature("k", b"{}") == "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_refusing_or_redirecting_receiver_is_a_delivery_error(receiver, status):
    url, handler = receiver
    handler.answer = status
    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        post_webhook(url, SECRET, {"rule": 1})
    assert len(handler.received) == 1  # a redirect is not followed with the signed body


def test_an_unreachable_webhook_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="ConnectionError"):
        post_webhook(f"http://127.0.0.1:{free_port()}/", SECRET, {"rule": 1})
