"""The kiosk answers its customer screen only to ``screen_clients`` and its manager screen only to
``manager_clients``, whatever address it listens on; anyone else gets 403, logged once a minute at most
per address. ``/healthz`` and ``/static/`` answer anyone.

A client bound to 127.0.0.3 (tests/helpers/addresses.py) connects over real TCP from an address the
default lists do not name: to the kiosk it is the shop's network."""
import logging
import threading

import pytest
import requests
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.config import load_config
from kiosk.storage.db import connection
from kiosk.storage.models import Followup, Rating
from kiosk.web.client_lists import ClientList, RefusalLog, client_address
from sync.wire.errors import ConfigError
from tests.helpers.addresses import session_from

STRANGER = "127.0.0.3"
SCREEN_PATHS = ["/", "/events", "/api/state", "/api/nothing", "/?lang=sv"]
MANAGER_PATHS = ["/manager", "/manager/week", "/manager/calendar", "/manager/kiosk", "/manager/nothing"]


def stored():
    with connection():
        return Rating.select().count(), Followup.select().count()


def refusal_lines(caplog, address):
    return [r for r in caplog.records if r.name == "kiosk.web.client_lists" and f"from {address}:" in r.getMessage()]


@pytest.fixture(params=["127.0.0.1", "0.0.0.0"])
def kiosk_host(request):
    """The kiosk's ``host``: loopback, or every address (the Host and rate guards on too)."""
    return request.param


def test_a_client_outside_the_lists_gets_403_from_both_screens(make_app, serve, kiosk_host, caplog):
    app = make_app(host=kiosk_host, sync_in_kiosk=False, stream_heartbeat=0.05)
    server = serve(app)
    own = requests.post(f"{server.url}/api/ratings", json={"rating": 2}, timeout=5)  # the kiosk's own screen
    assert own.status_code == 201
    with session_from(STRANGER) as lan:
        for path in SCREEN_PATHS:
            response = lan.get(server.url + path, timeout=5)
            assert response.status_code == 403, path
            assert "screen_clients" in response.json()["error"]
        assert lan.post(f"{server.url}/api/ratings", json={"rating": 1}, timeout=5).status_code == 403
        # Not even the right key helps: the follow-up is the screen's.
        answer = lan.post(f"{server.url}/api/ratings/{own.json()['id']}/followup",
                          json={"reason": "staff", "followup_key": own.json()["followup_key"]}, timeout=5)
        assert answer.status_code == 403
        for path in MANAGER_PATHS:
            page = lan.get(server.url + path, timeout=5)
            assert page.status_code == 403, path
            assert page.headers["Content-Type"].startswith("text/html")
            assert "Esihenkilön näkymä ei aukea tällä laitteella" in page.text
        assert lan.post(f"{server.url}/manager/login", data={"pin": "1234"}, timeout=5).status_code == 403
        # Health and static files answer anyone (past allowed_hosts).
        health = lan.get(f"{server.url}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["counts"]["total"] == 1
        assert lan.get(f"{server.url}/static/css/screen.css", timeout=5).status_code == 200
        assert lan.get(f"{server.url}/static/favicon.svg", timeout=5).status_code == 200
        assert app.extensions["hymy"].events.subscriber_count == 0
    assert stored() == (1, 0)

    # The kiosk's own screen and manager still answer.
    assert requests.get(f"{server.url}/", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/manager", timeout=5).status_code == 200
    followup = requests.post(f"{server.url}/api/ratings/{own.json()['id']}/followup",
                             json={"reason": "staff", "followup_key": own.json()["followup_key"]}, timeout=5)
    assert followup.status_code == 201 and stored() == (1, 1)
    # Each refused address is said once, naming the list to add it to.
    [line] = refusal_lines(caplog, STRANGER)
    assert line.levelname == "WARNING" and "not in screen_clients" in line.getMessage()


def test_listed_clients_are_answered_by_address_or_network(make_app, serve):
    app = make_app(screen_clients=["127.0.0.1", "127.0.0.0/29"], manager_clients=["127.0.0.1", "::ffff:127.0.0.4"])
    server = serve(app)
    with session_from(STRANGER) as screen:
        assert screen.get(f"{server.url}/", timeout=5).status_code == 200
        tapped = screen.post(f"{server.url}/api/ratings", json={"rating": 4}, timeout=5).json()
        answer = screen.post(f"{server.url}/api/ratings/{tapped['id']}/followup",
                             json={"reason": "outcome", "followup_key": tapped["followup_key"]}, timeout=5)
        assert answer.status_code == 201
        assert screen.get(f"{server.url}/manager", timeout=5).status_code == 403  # a screen, not a manager
    with session_from("127.0.0.4") as manager:  # listed as an IPv4-mapped address: the same address
        assert manager.get(f"{server.url}/manager", timeout=5).status_code == 200
    with session_from("127.0.0.9") as outside:  # past the /29
        assert outside.get(f"{server.url}/", timeout=5).status_code == 403
    assert stored() == (1, 1)


def test_refusals_are_logged_once_a_minute_per_address(make_app, serve, clock, caplog):
    server = serve(make_app())
    with session_from(STRANGER) as first, session_from("127.0.0.4") as second:
        for _ in range(10):
            assert first.get(f"{server.url}/", timeout=5).status_code == 403
            assert second.post(f"{server.url}/api/ratings", json={"rating": 1}, timeout=5).status_code == 403
        assert len(refusal_lines(caplog, STRANGER)) == len(refusal_lines(caplog, "127.0.0.4")) == 1
        clock.advance(59)
        assert first.get(f"{server.url}/manager", timeout=5).status_code == 403
        assert len(refusal_lines(caplog, STRANGER)) == 1
        clock.advance(2)
        assert first.get(f"{server.url}/events", timeout=5).status_code == 403
        assert len(refusal_lines(caplog, STRANGER)) == 2


def test_ipv4_mapped_client_addresses_are_their_ipv4_address(make_app):
    client = make_app(screen_clients=["127.0.0.1", "::ffff:192.0.2.7"]).test_client()
    for address, status in [("::ffff:127.0.0.1", 200), ("192.0.2.7", 200), ("::ffff:192.0.2.7", 200),
                            ("::ffff:127.0.0.3", 403), ("::1", 403), ("fe80::1%eth0", 403), ("", 403)]:
        assert client.get("/api/state", environ_base={"REMOTE_ADDR": address}).status_code == status, address
    assert client_address("::ffff:10.1.2.3") == client_address("10.1.2.3")
    assert client_address("not an address") is None


def test_the_refusal_log_remembers_a_bounded_number_of_addresses(caplog):
    now = [0.0]
    refusals = RefusalLog(lambda: now[0], every=60, size=3)
    with caplog.at_level(logging.WARNING, logger="kiosk.web.client_lists"):
        for _ in range(3):
            for n in range(10):
                refusals.refused(f"192.0.2.{n}", "GET", "/", "screen_clients")
    messages = [r.getMessage() for r in caplog.records]
    assert len(refusals) == 3
    assert [m.split(" from ")[1].split(":")[0] for m in messages if m.startswith("refused GET")] == [
        "192.0.2.0", "192.0.2.1", "192.0.2.2"]
    assert sum("more than 3 addresses" in m for m in messages) == 1
    caplog.clear()
    now[0] = 61.0  # a minute later every address may be said again
    refusals.refused("192.0.2.9", "GET", "/", "screen_clients")
    assert len(refusals) == 1 and "192.0.2.9" in caplog.records[0].getMessage()


def test_parallel_refusals_of_one_address_are_logged_once(caplog):
    refusals = RefusalLog(lambda: 0.0)
    start = threading.Barrier(16)

    def refuse():
        start.wait()
        for _ in range(50):
            refusals.refused("192.0.2.7", "GET", "/events", "screen_clients")

    threads = [threading.Thread(target=refuse) for _ in range(16)]
    with caplog.at_level(logging.WARNING, logger="kiosk.web.client_lists"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert len(caplog.records) == 1


def test_client_lists_match_addresses_and_networks():
    lan = ClientList("screen_clients", ["127.0.0.1", "192.168.1.0/24", "fd00::/8"])
    assert all(a in lan for a in ("127.0.0.1", "192.168.1.20", "::ffff:192.168.1.20", "fd00::5"))
    assert not any(a in lan for a in ("127.0.0.2", "192.168.2.1", "::1", "fe80::1", "", None, "x"))
    assert lan.first == client_address("127.0.0.1")


@pytest.mark.parametrize("key", ["screen_clients", "manager_clients"])
@pytest.mark.parametrize("value, expected", [
    ([], "expected a list of addresses or CIDRs"),
    ("127.0.0.1", "expected a list of addresses or CIDRs"),
    (["127.0.0.1", "kiosk.lan"], "'kiosk.lan' is not an address or a CIDR"),
    (["127.0.0.1", "192.168.1.5/24"], "has host bits set"),
    (["127.0.0.1", 7], "expected addresses or CIDRs"),
    (["127.0.0.1", "192.168.1.0/33"], "is not an address or a CIDR"),
])
def test_a_bad_client_list_is_one_line_naming_the_key(key, value, expected):
    with pytest.raises(ConfigError, match=expected) as refused:
        load_config(overrides={key: value}, environ={})
    assert str(refused.value).startswith(f"{key}: ") and "\n" not in str(refused.value)


def test_the_first_screen_client_must_be_one_address(tmp_path):
    for first in ("192.168.1.0/24", "127.0.0.1/32"):
        with pytest.raises(ConfigError, match="the first entry is the kiosk's own screen and must be one address"):
            load_config(overrides={"screen_clients": [first]}, environ={})
    # A manager's list may start with a network.
    assert load_config(overrides={"manager_clients": ["192.168.1.0/24"]}, environ={}).manager_clients == (
        "192.168.1.0/24",)
    config = load_config(overrides={"screen_clients": ["::ffff:192.168.1.20", "::ffff:10.0.0.0/104"]}, environ={})
    assert config.screen_clients == ("192.168.1.20", "10.0.0.0/8")  # kept in their IPv4 form

    path = tmp_path / "kiosk.toml"
    path.write_text('screen_clients = ["192.168.1.0/24"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["kiosk", "--config", str(path)],
                                env={"HYMY_DATA_DIR": str(tmp_path / "data"), "HYMY_CONFIG": None})
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("hymy: ") and "screen_clients" in line and "one address" in line
