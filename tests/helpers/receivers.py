"""Where central's email and webhooks go in a test: a real SMTP server (aiosmtpd) and a real HTTP
receiver on loopback, each keeping what it got, both started and stopped with ``with``."""
import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from sync.central.delivery import SIGNATURE_HEADER, SmtpSettings


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """An SMTP server on loopback; :attr:`messages` holds ``(recipients, email.message.Message)``."""

    def __init__(self, port=None):
        port = port or _free_port()
        self.messages = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)
        self.smtp = SmtpSettings("127.0.0.1", port, "hymy@example.com", starttls=False)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

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
    """An HTTP server on loopback keeping each POST's JSON body and signature header; answers 204."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((json.loads(body), self.headers.get(SIGNATURE_HEADER)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hymy"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
