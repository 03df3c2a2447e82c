"""A small HTTP proxy on loopback that forwards to central and misbehaves on cue.

Each request the kiosk sends is read whole, then a ``decide(exchange)``
callback picks what happens to it:

- ``FORWARD``: pass it to central and the answer back (the default);
- ``DROP``: pass it to central, then close the kiosk's connection without an
  answer (the reply lost after central committed);
- ``HOLD``: pass it to central, then keep the answer until :meth:`release`
  (a test kills the uploader meanwhile);
- ``TIMEOUT``: pass it to central and answer nothing for ``hold_seconds``, so
  the kiosk's read timeout fires;
- ``ERROR_500`` / ``ERROR_503``: answer without asking central;
- ``ERROR_503_AFTER``: ask central, then answer 503 anyway;
- ``PORTAL``: ask central, then answer ``200 text/html`` (a captive portal);
- ``FOREIGN_JSON``: ask central, then answer 200 with some other service's JSON;
- ``FAKE_ACK``: ask central, then answer 200 with central's keys naming rows
  that are not in the batch.

Every exchange is kept (request JSON, status, answer JSON) for the assertions,
and the number of batch requests in flight at once is tracked.
"""
import gzip
import http.client
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORWARD, DROP, HOLD, TIMEOUT = "forward", "drop", "hold", "timeout"
ERROR_500, ERROR_503, ERROR_503_AFTER = "error-500", "error-503", "error-503-after"
PORTAL, FOREIGN_JSON, FAKE_ACK = "portal", "foreign-json", "fake-ack"
BEFORE_CENTRAL = (ERROR_500, ERROR_503)
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict
    body: bytes
    action: str = FORWARD
    status: int | None = None  # what central answered (None: central was not asked)
    answer: object = None  # central's JSON answer, if any

    @property
    def is_batch(self):
        return self.method == "POST" and self.path == "/api/v1/batches"

    @property
    def document(self):
        """The request's JSON document (inflated when gzip)."""
        body = self.body
        if self.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return json.loads(body) if body else None

    def row_ids(self):
        document = self.document
        return [r["id"] for r in document["ratings"]] + [f["id"] for f in document["followups"]]


@dataclass
class _Canned:
    status: int
    content_type: str
    body: bytes
    headers: dict = field(default_factory=dict)


CANNED = {
    ERROR_500: _Canned(500, "text/html", b"<html><body>Internal Server Error</body></html>"),
    ERROR_503: _Canned(503, "text/html", b"<html><body>Service Unavailable</body></html>"),
    ERROR_503_AFTER: _Canned(503, "application/json", b'{"error": "upstream overloaded"}'),
    PORTAL: _Canned(200, "text/html; charset=utf-8",
                    b"<!doctype html><title>Welcome to Airport Wi-Fi</title><form>Accept terms</form>"),
    FOREIGN_JSON: _Canned(200, "application/json", b'{"status": "ok", "message": "welcome", "items": []}'),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):
        self.server.proxy.handle(self)

    do_POST = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, proxy):
        self.proxy = proxy
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)


class FaultProxy:
    """Forwards loopback HTTP to ``127.0.0.1:upstream_port``, applying ``decide``.

    :param decide: ``decide(exchange) -> action``; forward everything if None.
    :param hold_seconds: how long TIMEOUT keeps quiet (the closing proxy cuts it short).
    :param batch_pause: seconds every batch waits before central sees it.
    """

    def __init__(self, upstream_port, decide=None, hold_seconds=1.0, port=0, batch_pause=0.0):
        self.upstream_port = upstream_port
        self.batch_pause = batch_pause  # seconds each batch waits before it goes on (widens races)
        self.decide = decide or (lambda exchange: FORWARD)
        self.hold_seconds = hold_seconds
        self.exchanges = []
        self.held = threading.Event()  # set when a HOLD answer is being kept back
        self._release = threading.Event()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.batches_in_flight = 0
        self.most_batches_in_flight = 0
        self.server = _Server(("127.0.0.1", port), self)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    # -- what the tests read -------------------------------------------------
    def batches(self):
        with self._lock:
            return [e for e in self.exchanges if e.is_batch]

    def answered_batches(self):
        """Batch exchanges central answered with its JSON (whatever the kiosk got)."""
        return [e for e in self.batches() if isinstance(e.answer, dict) and "stored" in e.answer]

    def release(self):
        self._release.set()

    # -- the work ------------------------------------------------------------
    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        exchange = Exchange(handler.command, handler.path, headers, body)
        exchange.action = self.decide(exchange)
        with self._lock:
            self.exchanges.append(exchange)
            if exchange.is_batch:
                self.batches_in_flight += 1
                self.most_batches_in_flight = max(self.most_batches_in_flight, self.batches_in_flight)
        try:
            self._respond(handler, exchange)
        finally:
            if exchange.is_batch:
                with self._lock:
                    self.batches_in_flight -= 1

    def _respond(self, handler, exchange):
        action = exchange.action
        if action in BEFORE_CENTRAL:
            return self._write_canned(handler, CANNED[action])
        if exchange.is_batch and self.batch_pause:
            self._closing.wait(self.batch_pause)
        status, answer_headers, data = self._ask_central(exchange)
        if action == DROP:
            handler.close_connection = True
            return
        if action == HOLD:
            self.held.set()
            self._release.wait(60)
            handler.close_connection = True
            return self._write(handler, status, answer_headers, data)
        if action == TIMEOUT:
            self._closing.wait(self.hold_seconds)
            handler.close_connection = True
            return
        if action == FAKE_ACK:
            document = exchange.document
            fake = {"batch_id": document["batch_id"], "accepted": 0, "duplicates": 0, "conflicts": [],
                    "rejected": [], "stored": ["00000000-0000-4000-8000-000000000000"],
                    "sequence": {"contiguous": 0, "highest": 0, "gaps": []}}
            return self._write_canned(handler, _Canned(200, "application/json", json.dumps(fake).encode()))
        if action in CANNED:
            return self._write_canned(handler, CANNED[action])
        return self._write(handler, status, answer_headers, data)

    def _ask_central(self, exchange):
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in exchange.headers.items() if k not in HOP_BY_HOP}
            connection.request(exchange.method, exchange.path, body=exchange.body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            answer_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            status = response.status
        finally:
            connection.close()
        exchange.status = status
        if data and dict((k.lower(), v) for k, v in answer_headers).get("content-type", "").startswith(
                "application/json"):
            exchange.answer = json.loads(data)
        return status, answer_headers, data

    def _write_canned(self, handler, canned):
        headers = [("Content-Type", canned.content_type), *canned.headers.items()]
        self._write(handler, canned.status, headers, canned.body)

    def _write(self, handler, status, headers, data):
        reason = handler.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in ("server", "date")]
        if status != 304:
            lines.append(f"Content-Length: {len(data)}")
        if handler.close_connection:
            lines.append("Connection: close")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (data if status != 304 else b"")
        try:
            handler.wfile.write(message)  # one write: no Nagle/delayed-ACK stall between head and body
        except OSError:
            handler.close_connection = True  # the kiosk gave up (timeout, killed)

    def close(self):
        self._closing.set()
        self._release.set()
        self.server.shutdown()
        with self.server.sockets_lock:
            for sock in list(self.server.open_sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server.server_close()
        self.thread.join(timeout=10)
