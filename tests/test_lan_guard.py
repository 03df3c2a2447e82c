"""A kiosk reachable from a network answers only its allowed Host names,
limits POSTs per client address, and says so at start; on loopback neither
applies. (Which client addresses may use which screen, on any host:
tests/test_client_lists.py.)"""
import re
import signal

import pytest

from kiosk.cli.serve import kiosk_running, serve
from kiosk.config import load_config
from kiosk.manager.pin import set_pin
from kiosk.web.lan_guard import host_of, is_loopback, network_warning
from tests.helpers.kiosk_db import stored_ratings

LAN = {"REMOTE_ADDR": "192.0.2.7"}
OTHER_LAN = {"REMOTE_ADDR": "192.0.2.8"}
OWN_SCREEN = {"REMOTE_ADDR": "127.0.0.1"}
HOST = {"Host": "127.0.0.1:8000"}
#: The kiosk's own screen, and screens on the shop's network (192.0.2.0/24 stands for it here).
LAN_SCREENS = ["127.0.0.1", "::1", "192.0.2.0/24"]


@pytest.fixture
def lan_app(make_app):
    """A kiosk listening on every address, with screens on the LAN, its repeat filter off so each tap counts."""
    return make_app(host="0.0.0.0", press_interval=0, sync_in_kiosk=False, screen_clients=LAN_SCREENS)


def tap(client, environ, headers=HOST):
    return client.post("/api/ratings", json={"rating": 3}, headers=headers, environ_base=environ)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "192.168.1.20:8000", "localhost.evil.example",
                                  "", "127.0.0.1@evil.example"])
def test_a_foreign_host_name_is_refused_with_json(lan_app, host):
    client = lan_app.test_client()
    for response in (client.get("/healthz", headers={"Host": host}, environ_base=LAN),
                     tap(client, LAN, {"Host": host})):
        assert response.status_code == 400
        assert response.is_json and "allowed_hosts" in response.json["error"]
    assert client.get("/", headers={"Host": host}, environ_base=LAN).status_code == 400  # the page too
    assert stored_ratings() == []


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:8000", "[::1]:8000", "kiosk.lan"])
def test_an_allowed_host_name_works(make_app, host):
    app = make_app(host="0.0.0.0", allowed_hosts=["localhost", "127.0.0.1", "::1", "kiosk.lan"],
                   screen_clients=LAN_SCREENS)
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": host}, environ_base=LAN).status_code == 200
    assert tap(client, LAN, {"Host": host}).status_code == 201
    assert client.get("/", headers={"Host": host}, environ_base=LAN).status_code == 200


def test_the_31st_post_in_a_minute_from_one_address_gets_429(lan_app):
    client = lan_app.test_client()
    for _ in range(30):
        assert tap(client, LAN).status_code == 201
    refused = tap(client, LAN)
    assert refused.status_code == 429
    assert refused.is_json and "30/minute" in refused.json["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    first = stored_ratings()[0].id
    key = lan_app.extensions["hymy"].followup_keys.key_for(first)
    followup = client.post(f"/api/ratings/{first}/followup", json={"reason": "staff", "followup_key": key},
                           headers=HOST, environ_base=LAN)
    assert followup.status_code == 429  # one budget for every POST
    assert tap(client, {"REMOTE_ADDR": "::ffff:192.0.2.7"}).status_code == 429  # the same address through IPv6
    assert len(stored_ratings()) == 30

    # Reading is not limited; another address and the kiosk's own screen still post.
    assert client.get("/healthz", headers=HOST, environ_base=LAN).status_code == 200
    assert tap(client, OTHER_LAN).status_code == 201
    for _ in range(40):
        assert tap(client, OWN_SCREEN).status_code == 201
    assert tap(client, {"REMOTE_ADDR": "::1"}).status_code == 201
    assert tap(client, {"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 201  # 127.0.0.1 through a v6 socket
    assert len(stored_ratings()) == 73


def test_only_the_loopback_members_of_screen_clients_go_unlimited(make_app):
    """A loopback address that is not a screen (a manager's browser on the kiosk, say) is limited like the LAN."""
    app = make_app(host="0.0.0.0", press_interval=0, post_rate_limit="2/minute",
                   screen_clients=["127.0.0.1", "192.0.2.0/24"], manager_clients=["127.0.0.1", "127.0.0.5"])
    set_pin(app.config["HYMY"].data_dir, "2468")
    client = app.test_client()
    browser_on_the_kiosk = {"REMOTE_ADDR": "127.0.0.5"}
    form = client.get("/manager", headers=HOST, environ_base=browser_on_the_kiosk).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    logins = [client.post("/manager/login", data={"pin": "1357", "csrf_token": csrf}, headers=HOST,
                          environ_base=browser_on_the_kiosk).status_code for _ in range(3)]
    assert logins == [403, 403, 429]  # two wrong PINs, then the limit
    assert [tap(client, LAN).status_code for _ in range(3)] == [201, 201, 429]
    assert {tap(client, OWN_SCREEN).status_code for _ in range(5)} == {201}


def test_the_rate_is_configurable(make_app):
    client = make_app(host="0.0.0.0", press_interval=0, post_rate_limit="2 per hour",
                      screen_clients=LAN_SCREENS).test_client()
    assert [tap(client, LAN).status_code for _ in range(3)] == [201, 201, 429]
    assert int(tap(client, LAN).headers["Retry-After"]) > 60


def test_a_loopback_kiosk_checks_no_host_and_limits_no_post(make_app):
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        app = make_app(host=host, press_interval=0, screen_clients=LAN_SCREENS)
        client = app.test_client()
        # Any Host answers (that guard is off) and no POST is limited, whatever the client address.
        assert client.get("/healthz", headers={"Host": "anything.example"}, environ_base=LAN).status_code == 200
        statuses = {tap(client, LAN, {"Host": "anything.example"}).status_code for _ in range(35)}
        assert statuses == {201}
        assert "RATELIMIT_ENABLED" not in app.config and not app.extensions.get("limiter")
        app.extensions["hymy"].close()


def test_loopback_addresses_and_host_headers():
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"))
    assert not any(is_loopback(a) for a in ("0.0.0.0", "::", "192.168.1.2", "kiosk.lan", "", None, "10.0.0.1"))
    assert host_of("[::1]:8000") == "::1" and host_of("Kiosk.LAN.") == "kiosk.lan"
    assert host_of("a b") is None and host_of(None) is None


def test_the_start_warning_names_the_allowed_hosts_and_the_rate(make_app, capsys, caplog):
    app = make_app(host="0.0.0.0", allowed_hosts=["localhost", "kiosk.lan"], post_rate_limit="10/minute",
                   sync_in_kiosk=False)
    announced = []

    def stop_once_listening(url):
        announced.append(url)
        raise KeyboardInterrupt  # as Ctrl+C would, once the socket listens

    previous = signal.getsignal(signal.SIGTERM)
    try:
        with kiosk_running(app.config["HYMY"].data_dir) as running:
            serve(app, "0.0.0.0", 0, running, on_ready=stop_once_listening)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert announced and announced[0].startswith("http://0.0.0.0:")
    lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(lines) == 1 and lines[0].startswith("hymy: warning: listening on 0.0.0.0")
    assert "0.0.0.0" in lines[0] and "localhost, kiosk.lan" in lines[0] and "10/minute" in lines[0]
    assert "customer screen only to 127.0.0.1, ::1" in lines[0] and "manager screen only to 127.0.0.1, ::1" in lines[0]
    assert any(record.levelname == "WARNING" and "kiosk.lan" in record.getMessage() for record in caplog.records)


def test_no_warning_on_loopback(make_app):
    assert network_warning(make_app().config["HYMY"]) is None


def test_the_warning_says_when_the_own_screen_would_be_refused():
    """On one LAN address the machine's own screen opens the kiosk there, and connects from it."""
    one_address = load_config(overrides={"host": "192.0.2.10"}, environ={})
    assert "own screen connects from 192.0.2.10, which is not in screen_clients" in network_warning(one_address)
    listed = load_config(overrides={"host": "192.0.2.10", "screen_clients": ["192.0.2.10", "127.0.0.1"]}, environ={})
    assert "not in screen_clients" not in network_warning(listed)
    assert "not in screen_clients" not in network_warning(load_config(overrides={"host": "0.0.0.0"}, environ={}))
