"""Real local receivers for what central sends out: an SMTP server (aiosmtpd) and a webhook endpoint.

Both listen on loopback ports of their own and keep what they receive, for a
test to read once the worker's round has returned (delivery is synchronous).
"""
import json
import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class _Mailbox:
    """Every message the SMTP server accepted, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server():
    """``(port, mailbox)``: an SMTP server on loopback (no TLS); ``mailbox.messages`` holds what it got."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


@contextmanager
def webhook_receiver():
    """``(url, bodies)``: an HTTP endpoint answering 204 to every POST; *bodies* holds each JSON body."""
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
