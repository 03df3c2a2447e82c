"""Any body over 2 MB is a 413, however it is framed; error answers keep their headers.

The test server (waitress) buffers a chunked body and hands the app its length;
gunicorn (``hymy central serve``) and werkzeug's own server stream it with no
length at all, and there werkzeug's reader quietly stops at the limit: a 3 MB
chunked batch once came out cut at 2 MB and was refused as bad JSON (400).
Each test runs on both backends (the ``central`` fixture).
"""
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from sync.wire.protocol import MAX_BODY_BYTES
from tests.helpers.batches import batch, rating_row
from tests.helpers.live import answers, free_port, wait_for

LIMIT = MAX_BODY_BYTES
JSON = {"Content-Type": "application/json"}


def padded(document, size):
    """*document* as JSON of exactly *size* bytes (spaces before the closing brace)."""
    body = json.dumps(document).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def pieces(body, size=64 * 1024):
    """*body* in pieces: requests sends a generator chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def chunked_request(path, token, body):
    """The bytes of a chunked POST of *body*, as a client would put them on the wire."""
    head = (f"POST {path} HTTP/1.1\r\nHost: central\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    return head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces(body)) + b"0\r\n\r\n"


def raw_exchange(url, request_bytes):
    """Send *request_bytes* while reading the answer (the server may answer before it has read all)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sender = threading.Thread(target=_send_quietly, args=(sock, request_bytes))
        sender.start()
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        sender.join()
    return reply


def _send_quietly(sock, data):
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # werkzeug's server drains what is left until the end
    except OSError:  # the server answered and closed before reading everything: that is allowed
        pass


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):
        pass


@pytest.fixture
def streaming_url(central):
    """central's app behind werkzeug's server, which hands a chunked body over as a stream
    without a length, as gunicorn does."""
    server = make_server("127.0.0.1", 0, central.app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(params=["waitress", "streaming"])
def server_url(request, central):
    return central.url if request.param == "waitress" else request.getfixturevalue("streaming_url")


@pytest.fixture
def kiosk(central):
    return central.enrolled_kiosk()


def post(url, path, token, data, headers=JSON):
    response = requests.post(url + path, data=data, headers={**headers, "Authorization": f"Bearer {token}"},
                             timeout=60)
    assert response.status_code < 500, response.text
    return response


def assert_too_large(response):
    assert response.status_code == 413, response.text
    assert response.json() == {"error": "the body is larger than 2 MB", "status": 413}


@pytest.mark.parametrize("path", ["/api/v1/batches", "/api/v1/heartbeat", "/api/v1/enroll"])
def test_a_chunked_body_over_2_mb_is_413(central, kiosk, server_url, path):
    token, device = kiosk
    body = padded(batch(device, [rating_row(1)]), LIMIT + 1)
    assert_too_large(post(server_url, path, token, pieces(body)))
    assert central.count("Rating") == 0


def test_a_chunked_body_over_2_mb_on_the_wire_is_413(central, kiosk, server_url):
    token, device = kiosk
    body = padded(batch(device, [rating_row(1)]), 3 * 1024 * 1024)
    reply = raw_exchange(server_url, chunked_request("/api/v1/batches", token, body))
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"status":413' in reply
    assert central.count("Rating") == 0


def test_a_chunked_body_of_exactly_2_mb_is_read_whole(central, kiosk, server_url):
    token, device = kiosk
    body = padded(batch(device, [rating_row(1)]), LIMIT)
    response = post(server_url, "/api/v1/batches", token, pieces(body))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1 and central.count("Rating") == 1


def test_a_content_length_over_2_mb_is_413_whatever_the_media_type(central, kiosk):
    token, _ = kiosk
    response = post(central.url, "/api/v1/batches", token, b"x" * (LIMIT + 1), {"Content-Type": "text/plain"})
    assert_too_large(response)


def test_gzip_that_inflates_one_byte_past_2_mb_is_413_and_to_exactly_2_mb_is_read(central, kiosk, server_url):
    token, device = kiosk
    headers = {**JSON, "Content-Encoding": "gzip"}
    over = gzip.compress(padded(batch(device, [rating_row(1)]), LIMIT + 1))
    response = post(server_url, "/api/v1/batches", token, over, headers)
    assert response.status_code == 413 and "inflated" in response.json()["error"]
    assert central.count("Rating") == 0

    exact = gzip.compress(padded(batch(device, [rating_row(1)]), LIMIT))
    response = post(server_url, "/api/v1/batches", token, pieces(exact), headers)
    assert response.status_code == 200 and response.json()["accepted"] == 1


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/v1/batches", {"POST", "OPTIONS"}),
    ("GET", "/api/v1/heartbeat", {"POST", "OPTIONS"}),
    ("PUT", "/api/v1/enroll", {"POST", "OPTIONS"}),
    ("POST", "/api/v1/config", {"GET", "HEAD", "OPTIONS"}),
    ("PATCH", "/api/v1/ratings", {"GET", "HEAD", "OPTIONS"}),
    ("TRACE", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
])
def test_405_keeps_its_json_error_and_names_the_allowed_methods(central, method, path, allowed):
    response = central.request(method, path)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["status"] == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_401_says_how_to_authenticate(central):
    response = central.request("POST", "/api/v1/batches", json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


@pytest.mark.slow
def test_gunicorn_answers_a_chunked_body_over_2_mb_with_413(central, kiosk, tmp_path):
    """The production server streams chunked bodies: the case that once gave 400."""
    token, device = kiosk
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_") and k != "DATABASE_URL"}
    env.update(HYMY_CENTRAL_DATABASE_URL=central.database_url, HYMY_CENTRAL_DATA_DIR=str(central.data_dir))
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "central", "serve", "--port", str(port), "--workers", "1"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{url}/api/v1/openapi.json"), 30, "central did not start", process, log.read_text)
        assert_too_large(post(url, "/api/v1/batches", token, pieces(padded(batch(device, [rating_row(1)]),
                                                                           3 * 1024 * 1024))))
        response = post(url, "/api/v1/batches", token, pieces(padded(batch(device, [rating_row(1)]), LIMIT)))
        assert response.status_code == 200 and response.json()["accepted"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
