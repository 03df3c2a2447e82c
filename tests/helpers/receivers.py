"""Where central's email and webhooks go in a test: a real SMTP server (aiosmtpd) and a real HTTP
receiver on loopback, each keeping what it got, both started and stopped with ``with``.

Both listen on plain HTTP/SMTP on loopback, which central refuses a webhook by default: a central
that sends to them sets ``webhook_allow_http`` and ``webhook_allow_private`` (:data:`SINKS_CONFIG`
in its config, :data:`SINKS_ENV` for its commands, :data:`SINKS` for the worker's rounds)."""
import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from sync.central.alerts.delivery import SIGNATURE_HEADER, SmtpSettings
from sync.central.alerts.outbound import WebhookPolicy

#: Central's config keys that let a webhook reach these receivers: plain http, on loopback.
SINKS_CONFIG = {"webhook_allow_http": True, "webhook_allow_private": True}
SINKS_ENV = {f"HYMY_CENTRAL_{key.upper()}": "true" for key in SINKS_CONFIG}
SINKS = WebhookPolicy(allow_http=True, allow_private=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """An SMTP server on loopback; :attr:`messages` holds ``(recipients, email.message.Message)``.

    :attr:`refuse` maps an address to the reply its ``RCPT TO`` gets instead of 250 (``"450 …"``
    for now, ``"550 …"`` for good); :attr:`hang_up_after` drops the connection once that many
    messages are in, as a server going away does (the next connection is served again).
    """

    def __init__(self, port=None):
        port = port or _free_port()
        self.messages = []
        self.refuse = {}
        self.hang_up_after = None
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)
        self.smtp = SmtpSettings("127.0.0.1", port, "hymy@example.com", starttls=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        with self._lock:
            refused = self.refuse.get(address)
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            hang_up = self.hang_up_after is not None and len(self.messages) >= self.hang_up_after
            if hang_up:
                self.hang_up_after = None
        if hang_up:
            server.loop.call_soon(server.transport.close)  # after this 250 is on its way
        return "250 OK"

    def recipients(self):
        """The envelope recipients of each message, in order."""
        with self._lock:
            return [recipients for recipients, _ in self.messages]

    def texts(self):
        """``[(subject, body text)]`` of every message received, in order."""
        with self._lock:
            return [(message["Subject"], message.get_payload(decode=True).decode()) for _, message in self.messages]

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


class WebhookReceiver:
    """An HTTP server on loopback keeping each POST's JSON body and signature header (and in
    :attr:`hosts`, its ``Host`` header); answers 204. *address* and *port* choose where it listens
    (any loopback address; port 0: a free one)."""

    def __init__(self, address="127.0.0.1", port=0):
        received = self.received = []
        hosts = self.hosts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((json.loads(body), self.headers.get(SIGNATURE_HEADER)))
                hosts.append(self.headers.get("Host"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((address, port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://{address}:{self.port}/hymy"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class Hook(BaseHTTPRequestHandler):
    """A webhook receiver: keeps each body and its signature header; answers ``answers`` in turn."""

    received, answers = [], []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((body, self.headers.get(SIGNATURE_HEADER)))
        self.send_response(type(self).answers.pop(0) if type(self).answers else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass
