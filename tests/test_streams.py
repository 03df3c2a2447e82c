"""Open screens can never take the last server thread: at most ``max_streams``
event streams are open at once, the next one gets 503 with ``Retry-After``, and
taps and the page still answer however many streams are asked for. Other
addresses can never take the kiosk's own screen's stream: each holds at most
``max_streams_per_client``, and the last free slot is kept for the screen."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from kiosk.screen.events import Broadcaster, TooManyStreams
from tests.helpers.addresses import session_from
from tests.helpers.live import wait_for

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
    from sync.wire.errors import ConfigError

    assert load_config(overrides={"threads": 16}, environ={}).max_streams == 12
    assert load_config(overrides={"threads": 16, "max_streams": 2}, environ={}).max_streams == 2
    with pytest.raises(ConfigError, match="max_streams"):
        load_config(overrides={"threads": 8, "max_streams": 5}, environ={})


# --- the kiosk's own screen always gets its stream --------------------------------------------

#: The kiosk's own screen first, then every other loopback address as a screen (tests/helpers/addresses.py).
SCREENS = ["127.0.0.1", "127.0.0.0/8"]
OTHERS = [f"127.0.0.{n}" for n in range(2, 10)]


def open_stream_from(address, url):
    """GET /events from *address*; returns (address, response), the response still open."""
    session = session_from(address)
    response = session.get(f"{url}/events", stream=True, timeout=5)
    response.session = session  # closed with the response by close_all
    return address, response


def close_all(opened):
    for _, response in opened:
        response.close()
        response.session.close()


def test_other_addresses_never_take_the_screens_last_slot(make_app, serve):
    app = make_app(threads=16, screen_clients=SCREENS, **LIVE)
    config, events = app.config["HYMY"], app.extensions["hymy"].events
    assert (config.max_streams, config.max_streams_per_client) == (12, 2)
    server = serve(app, threads=16)
    attempts = [address for address in OTHERS for _ in range(3)]  # 24 at once from 8 addresses
    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        opened = list(pool.map(lambda address: open_stream_from(address, server.url), attempts))
    try:
        held = [address for address, response in opened if response.status_code == 200]
        refused = [response for _, response in opened if response.status_code == 503]
        assert len(held) == 11 and len(refused) == 13  # one of the 12 is kept for the screen
        assert all(held.count(address) <= 2 for address in OTHERS)
        for response in refused:
            assert int(response.headers["Retry-After"]) >= 1 and "try again" in response.json()["error"]

        # The kiosk's own screen still gets its stream, and the presses on it.
        screen = open_stream(server.url)
        assert screen.status_code == 200
        lines = screen.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 1000"
        assert events.subscriber_count == 12 and events.client_count("127.0.0.1") == 1
        late = open_stream_from("127.0.0.20", server.url)
        close_all([late])
        assert late[1].status_code == 503  # now every slot is taken
        app.extensions["hymy"].buttons.press(4)
        assert any(line.startswith("event: rating") for line in lines)

        # The screen's stream ends (the page reloads): its slot waits for it, not for the others.
        screen.close()
        wait_for(lambda: events.client_count("127.0.0.1") == 0, message="the screen's slot was not freed")
        other = open_stream_from("127.0.0.21", server.url)
        close_all([other])
        assert other[1].status_code == 503
        again = open_stream(server.url)
        assert again.status_code == 200
        again.close()
    finally:
        close_all(opened)
    wait_for(lambda: events.subscriber_count == 0, message="closed streams were not freed")


def test_each_other_address_holds_at_most_max_streams_per_client(make_app, serve):
    app = make_app(screen_clients=SCREENS, max_streams_per_client=1, **LIVE)
    events = app.extensions["hymy"].events
    server = serve(app, threads=8)
    first = open_stream_from("127.0.0.2", server.url)
    second = open_stream_from("127.0.0.2", server.url)
    other = open_stream_from("127.0.0.3", server.url)
    own = [open_stream(server.url) for _ in range(2)]  # the kiosk's own screen has no such cap
    try:
        assert [r.status_code for _, r in (first, second, other)] == [200, 503, 200]
        assert "127.0.0.2" in second[1].json()["error"]
        assert [r.status_code for r in own] == [200, 200]
        assert events.client_count("127.0.0.2") == 1 and events.subscriber_count == 4
    finally:
        close_all([first, second, other])
        for response in own:
            response.close()
    wait_for(lambda: events.subscriber_count == 0, message="closed streams were not freed")
    third = open_stream_from("127.0.0.2", server.url)  # its slot came back when it closed
    try:
        assert third[1].status_code == 200
    finally:
        close_all([third])
    wait_for(lambda: events.subscriber_count == 0, message="closed streams were not freed")


def test_the_reserve_and_the_per_client_cap_hold_under_parallel_subscribers():
    broadcaster = Broadcaster(max_subscribers=6, max_per_client=2, own_screen="127.0.0.1")
    clients = [f"192.0.2.{n % 4}" for n in range(24)]
    start = threading.Barrier(len(clients))
    taken, lock = [], threading.Lock()

    def subscribe(client):
        start.wait()
        try:
            subscription = broadcaster.subscribe(client=client)
        except TooManyStreams:
            return
        with lock:
            taken.append(subscription)

    threads = [threading.Thread(target=subscribe, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(taken) == 5 and broadcaster.subscriber_count == 5
    assert all(broadcaster.client_count(f"192.0.2.{n}") <= 2 for n in range(4))
    screen = broadcaster.subscribe(client="127.0.0.1")  # the kept slot
    with pytest.raises(TooManyStreams):
        broadcaster.subscribe(client="127.0.0.1")  # the cap itself holds for the screen too
    for subscription in taken:
        subscription.close()
    screen.close()
    assert broadcaster.subscriber_count == 0 and broadcaster.client_count("192.0.2.0") == 0


def test_max_streams_per_client_is_checked(make_app):
    from kiosk.config import load_config
    from sync.wire.errors import ConfigError

    assert load_config(overrides={"max_streams_per_client": 5}, environ={}).max_streams_per_client == 5
    for value in (0, 253, 1.5, "2", True):
        with pytest.raises(ConfigError, match="max_streams_per_client"):
            load_config(overrides={"max_streams_per_client": value}, environ={})
