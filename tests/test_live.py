"""The kiosk under its real WSGI server on loopback: streams, load, raw HTTP."""

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from sync.common.clock import SystemClock
from tests.helpers.kiosk_db import stored_ratings


class StreamReader(threading.Thread):
    """Reads one /events stream to its end, collecting events and heartbeats."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.response = requests.get(f"{url}/events", stream=True, timeout=10)
        self.events, self.heartbeats = [], 0
        self.started = threading.Event()
        self.start()

    def run(self):
        kind = None
        for line in self.response.iter_lines(decode_unicode=True):
            self.started.set()
            if line == ": heartbeat":
                self.heartbeats += 1
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "rating":
                self.events.append(json.loads(line[6:]))
        self.response.close()


def test_stream_sends_heartbeats_and_ends_by_itself(make_app, serve):
    server = serve(make_app(stream_heartbeat=0.05, stream_max_age=0.5))
    reader = StreamReader(server.url)
    reader.join(timeout=10)
    assert not reader.is_alive(), "the server must end the stream after stream_max_age"
    assert reader.heartbeats >= 2
    assert server.app.extensions["hymy"].events.subscriber_count == 0


def test_two_open_screens_see_every_press_and_tap(make_app, serve, clock):
    app = make_app(stream_heartbeat=0.2, stream_max_age=3.0, press_interval=0)
    kiosk = app.extensions["hymy"]
    server = serve(app, threads=8)
    screens = [StreamReader(server.url), StreamReader(server.url)]
    for screen in screens:
        assert screen.started.wait(5)
    with requests.Session() as taps:
        for n in range(10):
            clock.advance(1)
            kiosk.buttons.press(n % 4 + 1)
            reply = taps.post(f"{server.url}/api/ratings", json={"rating": 4}, timeout=5)
            assert reply.status_code == 201
    for screen in screens:
        screen.join(timeout=10)
    stored = [(r.id, r.rating, r.source) for r in stored_ratings()]
    for screen in screens:
        assert [(e["id"], e["rating"], e["source"]) for e in screen.events] == stored


def test_open_streams_do_not_starve_taps(make_app, serve):
    """Eight threads, six of them held by screens: taps still get through."""
    app = make_app(clock=SystemClock("always"), stream_heartbeat=0.5, stream_max_age=3)
    server = serve(app, threads=8)
    screens = [StreamReader(server.url) for _ in range(6)]
    for screen in screens:
        assert screen.started.wait(5)
    for _ in range(20):
        assert requests.post(f"{server.url}/api/ratings", json={"rating": 3}, timeout=5).status_code == 201
    for screen in screens:
        screen.join(timeout=10)
        assert not screen.is_alive()


def test_concurrent_taps_and_button_presses_are_each_stored_once(make_app, serve, clock):
    app = make_app(press_interval=3)
    kiosk = app.extensions["hymy"]
    server = serve(app, threads=8)
    presses = 100

    def tapper(worker):
        acknowledged = []
        with requests.Session() as session:
            for n in range(40):
                reply = session.post(f"{server.url}/api/ratings", json={"rating": (worker + n) % 4 + 1}, timeout=10)
                assert reply.status_code == 201, reply.text
                acknowledged.append(reply.json()["id"])
        return acknowledged

    def presser():
        for n in range(presses):
            clock.advance(1)  # a second apart: no press is a bounce
            kiosk.buttons.press(n % 4 + 1)

    with ThreadPoolExecutor(max_workers=9) as pool:
        button_thread = pool.submit(presser)
        tap_results = list(pool.map(tapper, range(8)))
        button_thread.result()

    acknowledged = [rating_id for result in tap_results for rating_id in result]
    rows = stored_ratings()
    assert len(acknowledged) == len(set(acknowledged)) == 320
    touch_ids = [r.id for r in rows if r.source == "touch"]
    assert sorted(touch_ids) == sorted(acknowledged)
    assert sum(1 for r in rows if r.source == "button") == presses
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))


def raw_request(url, request_bytes):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request_bytes)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_oversized_chunked_body_is_413_without_length(make_app, serve):
    server = serve(make_app())
    chunk = b"x" * 8192
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    reply = raw_request(
        server.url,
        b"POST /api/ratings HTTP/1.1\r\nHost: kiosk\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body,
    )
    assert reply.startswith(b"HTTP/1.1 413")
    assert stored_ratings() == []


def test_garbage_over_the_socket_never_reaches_storage(make_app, serve):
    server = serve(make_app())
    reply = raw_request(
        server.url,
        b"POST /api/ratings HTTP/1.1\r\nHost: k\r\nContent-Length: 5\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\n\r\n\x00\x01\x02\x03\x04",
    )
    assert reply.startswith(b"HTTP/1.1 400")
    assert stored_ratings() == []
