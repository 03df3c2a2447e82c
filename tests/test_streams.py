"""Open screens can never take the last server thread: at most ``max_streams``
event streams are open at once, the next one gets 503 with ``Retry-After``, and
taps and the page still answer however many streams are asked for."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from kiosk.events import Broadcaster, TooManyStreams
from tests.conftest import wait_for

#: Short heartbeats let the server notice a closed stream at once.
LIVE = {"stream_heartbeat": 0.05, "stream_max_age": 30}


def open_stream(url):
    """GET /events without reading the body; the caller closes the response."""
    return requests.get(f"{url}/events", stream=True, timeout=5)


def test_more_streams_than_threads_leave_taps_and_the_page_answering(make_app, serve):
    app = make_app(threads=8, **LIVE)
    assert app.config["HYMY"].max_streams == 4  # threads - 4
    server = serve(app, threads=app.config["HYMY"].threads)
    with ThreadPoolExecutor(max_workers=12) as pool:
        streams = list(pool.map(open_stream, [server.url] * 12))  # more than the 8 threads, all at once
    try:
        opened = [s for s in streams if s.status_code == 200]
        refused = [s for s in streams if s.status_code == 503]
        assert (len(opened), len(refused)) == (4, 8)
        for response in opened:
            assert response.headers["Content-Type"].startswith("text/event-stream")
        for response in refused:
            assert 1 <= int(response.headers["Retry-After"]) <= 10
            assert response.headers["Content-Type"] == "application/json"
            assert "try again" in response.json()["error"]
        assert app.extensions["hymy"].events.subscriber_count == 4

        # Four threads stay free: a tap, the page and the health check answer at once.
        tap = requests.post(f"{server.url}/api/ratings", json={"rating": 3}, timeout=5)
        assert tap.status_code == 201
        page = requests.get(f"{server.url}/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text
        health = requests.get(f"{server.url}/healthz", timeout=5)
        assert health.json()["screens_open"] == 4
    finally:
        for response in streams:
            response.close()
    wait_for(lambda: app.extensions["hymy"].events.subscriber_count == 0, message="closed streams were not freed")


def test_closing_a_stream_frees_its_slot(make_app, serve):
    app = make_app(max_streams=1, **LIVE)
    server = serve(app, threads=8)
    first = open_stream(server.url)
    assert first.status_code == 200
    second = open_stream(server.url)
    assert second.status_code == 503
    second.close()

    first.close()  # the screen goes away; the server notices at its next heartbeat
    wait_for(lambda: app.extensions["hymy"].events.subscriber_count == 0, message="the slot was not freed")
    third = open_stream(server.url)
    try:
        assert third.status_code == 200
        assert next(third.iter_lines(decode_unicode=True)) == "retry: 1000"
    finally:
        third.close()
    wait_for(lambda: app.extensions["hymy"].events.subscriber_count == 0, message="the slot was not freed")


def test_a_stream_closed_before_its_body_started_frees_its_slot(make_app):
    """The slot is taken when the answer is made and given back when the
    server closes it, even if the stream's body never ran."""
    app = make_app(max_streams=1, **LIVE)
    events = app.extensions["hymy"].events
    response = app.test_client().get("/events")
    assert response.status_code == 200 and events.subscriber_count == 1
    refused = app.test_client().get("/events")
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    response.close()
    assert events.subscriber_count == 0
    again = app.test_client().get("/events")
    assert again.status_code == 200
    again.close()


def test_a_stream_that_ends_by_itself_frees_its_slot(make_app):
    app = make_app(max_streams=1, stream_heartbeat=0.01, stream_max_age=0.05)
    response = app.test_client().get("/events")
    assert response.get_data(as_text=True).startswith("retry: 1000\n: open\n\n")  # read to its end
    response.close()
    assert app.extensions["hymy"].events.subscriber_count == 0


def test_broadcaster_counts_its_slots_under_one_lock():
    broadcaster = Broadcaster(max_subscribers=3)
    start = threading.Barrier(20)
    taken, refused = [], []

    def subscribe():
        start.wait()
        try:
            taken.append(broadcaster.subscribe())
        except TooManyStreams:
            refused.append(True)

    threads = [threading.Thread(target=subscribe) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert (len(taken), len(refused)) == (3, 17)
    assert broadcaster.subscriber_count == 3

    taken[0].close()
    taken[0].close()  # twice is harmless
    assert broadcaster.subscriber_count == 2
    replacement = broadcaster.subscribe()
    with pytest.raises(TooManyStreams):
        broadcaster.subscribe()
    broadcaster.publish({"seq": 1})
    assert replacement.get(timeout=1) == {"seq": 1}


def test_max_streams_defaults_to_threads_less_four_and_may_not_exceed_it(make_app):
    from kiosk.config import load_config
    from sync.errors import ConfigError

    assert load_config(overrides={"threads": 16}, environ={}).max_streams == 12
    assert load_config(overrides={"threads": 16, "max_streams": 2}, environ={}).max_streams == 2
    with pytest.raises(ConfigError, match="max_streams"):
        load_config(overrides={"threads": 8, "max_streams": 5}, environ={})
