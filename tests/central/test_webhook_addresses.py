"""Webhooks go only where meant: https to a public address, unless central's config says otherwise.

Checked when a rule is saved (the command and the admin page refuse with one line) and again on
the connection that posts (a name may resolve elsewhere by then); a stored rule that fails is
refused once per alert and not retried. Public addresses are out of reach here, so names are
resolved by a patched ``socket.getaddrinfo`` (every other name by the real one), and receivers
listen on loopback.
"""
import dataclasses
import socket
import ssl
import subprocess
import threading
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.central.alerts import episodes as alerts
from sync.central.alerts import outbound, worker
from sync.central.alerts.delivery import DeliveryError, Refused, post_webhook
from sync.central.alerts.outbound import WebhookPolicy, address_problem, url_problem
from sync.central.config import load_central_config
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME
from tests.helpers.receivers import SINKS, MailSink, WebhookReceiver

STRICT = {"HYMY_CENTRAL_WEBHOOK_ALLOW_HTTP": "false", "HYMY_CENTRAL_WEBHOOK_ALLOW_PRIVATE": "false"}
PUBLIC = "93.184.216.34"
HTTP_ONLY = WebhookPolicy(allow_http=True)


class Resolver:
    """``socket.getaddrinfo`` with some names answered from a script: each lookup of a name takes its
    next answer (the last one repeats; an empty one is the real resolver's "not known"), and
    :attr:`lookups` counts them."""

    def __init__(self, monkeypatch):
        self.answers, self.lookups = {}, {}
        real = socket.getaddrinfo

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
            if host not in self.answers:
                return real(host, port, family, type, proto, flags)
            self.lookups[host] = self.lookups.get(host, 0) + 1
            script = self.answers[host]
            addresses = script[min(self.lookups[host], len(script)) - 1]
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            port = int(port or 0)
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0)) if ":" in a
                    else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def answer(self, host, *script):
        """*host* resolves to the lists of addresses in *script*, one list per lookup."""
        self.answers[host] = [list(addresses) for addresses in script]


@pytest.fixture
def resolver(monkeypatch):
    return Resolver(monkeypatch)


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1", "a loopback address"), ("127.8.9.10", "a loopback address"), ("::1", "a loopback address"),
    ("10.1.2.3", "a private address"), ("172.16.0.1", "a private address"), ("192.168.1.1", "a private address"),
    ("fc00::1", "a private address"), ("169.254.169.254", "a link-local address"), ("fe80::1", "a link-local address"),
    ("0.0.0.0", "an unspecified address"), ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"), ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"), ("ff0e::1", "a multicast address"),
    ("::ffff:127.0.0.1", "a loopback address"), ("::ffff:10.0.0.1", "a private address"),
    ("::ffff:169.254.169.254", "a link-local address"), ("2002:7f00:1::", "a loopback address"),
    ("64:ff9b::a00:1", "a private address"), ("::127.0.0.1", "a reserved address"),
    ("100.64.0.1", "not a public address"), ("192.0.2.7", "a private address"), ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"), ("fe80::1%eth0", "a link-local address"),
    ("not-an-address", "not an IP address"),
    (PUBLIC, None), ("::ffff:93.184.216.34", None), ("2606:4700:4700::1111", None), ("64:ff9b::5db8:d822", None),
])
def test_the_address_rule(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize("url, policy, says", [
    ("http://hooks.example.com/x", WebhookPolicy(), "https:// URL (plain http only with webhook_allow_http"),
    ("ftp://hooks.example.com/x", SINKS, "expected an https:// URL"),
    ("https:///x", SINKS, "expected an https:// URL"),
    ("https://hooks.example.com:99999/x", SINKS, "port"),
    ("https://hooks.example.com/a b", SINKS, "expected an https:// URL"),
    ("https://[::1/x", SINKS, "expected an https:// URL"),
    ("https://[nonsense]/x", SINKS, "expected an https:// URL"),
    ("https://hooks.example.com/" + "x" * 2000, SINKS, "expected an https:// URL"),
])
def test_a_url_that_is_not_https_is_refused_before_any_lookup(resolver, url, policy, says):
    resolver.answer("hooks.example.com", [PUBLIC])
    assert says in url_problem(url, policy)
    assert resolver.lookups == {}


@pytest.mark.parametrize("addresses, says", [
    (["10.0.0.5"], "hooks.example.com resolves to 10.0.0.5, a private address"),
    (["169.254.169.254"], "resolves to 169.254.169.254, a link-local address"),
    (["::ffff:127.0.0.1"], "resolves to ::ffff:127.0.0.1, a loopback address"),
    (["0.0.0.0"], "an unspecified address"),
    (["224.0.0.1"], "a multicast address"),
    ([PUBLIC, "10.1.2.3"], "resolves to 10.1.2.3, a private address"),  # one private answer is enough
])
def test_adding_a_rule_whose_host_resolves_inside_is_one_line(central, resolver, addresses, says):
    central.enrolled_kiosk()
    resolver.answer("hooks.example.com", addresses)
    result = central.cli("add-alert", "--site", "Kamppi", "--webhook", "https://hooks.example.com/hymy", env=STRICT)
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1, result.output
    assert says in result.output and "webhook_allow_private = true" in result.output
    assert central.count("AlertRule") == 0


def test_localhost_and_loopback_literals_are_refused_with_the_real_resolver(central):
    central.enrolled_kiosk()
    for url, says in (("https://localhost/hymy", "localhost resolves to"), ("https://127.0.0.1:8443/", "127.0.0.1 is"),
                      ("https://[::1]/", "::1 is a loopback address"),
                      ("https://169.254.169.254/latest/meta-data/", "a link-local address")):
        result = central.cli("add-alert", "--site", "Kamppi", "--webhook", url, env=STRICT)
        assert result.exit_code != 0 and says in result.output, (url, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert central.count("AlertRule") == 0


def test_a_public_https_webhook_is_saved_and_http_needs_its_key(central, resolver):
    central.enrolled_kiosk()
    resolver.answer("hooks.example.com", [PUBLIC, "2606:4700:4700::1111"])
    assert "webhook secret" in central.ok("add-alert", "--site", "Kamppi", "--webhook",
                                          "https://hooks.example.com/hymy", env=STRICT)
    refused = central.cli("add-alert", "--site", "Kamppi", "--webhook", "http://hooks.example.com/hymy", env=STRICT)
    assert refused.exit_code != 0 and "webhook_allow_http = true" in refused.output
    allowed = {**STRICT, "HYMY_CENTRAL_WEBHOOK_ALLOW_HTTP": "true"}
    central.ok("add-alert", "--site", "Kamppi", "--webhook", "http://hooks.example.com/hymy", env=allowed)
    assert central.count("AlertRule") == 2


def test_a_name_that_does_not_resolve_is_refused(central, resolver):
    central.enrolled_kiosk()
    resolver.answer("nowhere.example.com", [])
    result = central.cli("add-alert", "--site", "Kamppi", "--webhook", "https://nowhere.example.com/", env=STRICT)
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert "nowhere.example.com does not resolve (Name or service not known)" in result.output


def test_the_admin_page_refuses_an_inside_address_with_one_line(central, monkeypatch):
    central.enrolled_kiosk()
    extension = central.app.extensions["hymy_central"]
    monkeypatch.setattr(extension, "config", dataclasses.replace(extension.config, webhook_allow_http=False,
                                                                 webhook_allow_private=False))
    password, _ = central.add_user("hanna", "admin")
    admin = central.log_in("hanna", password)
    for url, says in (("http://127.0.0.1:9999/", "expected an https:// URL"),
                      ("https://169.254.169.254/latest", "169.254.169.254 is a link-local address")):
        page = admin.post("/admin/alerts", data={"covers": "site:Kamppi", "webhook": url}, csrf_from="/admin")
        assert page.status_code == 400 and says in page.text, page.text[:300]
    assert central.count("AlertRule") == 0


def test_the_keys_come_from_centrals_config():
    environ = {"HYMY_CENTRAL_WEBHOOK_ALLOW_HTTP": "true"}
    assert WebhookPolicy.from_config(load_central_config(environ={})) == WebhookPolicy(False, False)
    assert WebhookPolicy.from_config(load_central_config(environ=environ)) == WebhookPolicy(True, False)


# -- at send time -------------------------------------------------------------------------------

def test_a_plain_http_loopback_receiver_is_refused_without_the_keys():
    with WebhookReceiver() as hook:
        with pytest.raises(Refused, match="https://"):
            post_webhook(hook.url, "secret", {"alert_id": 1})
        with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
            post_webhook(hook.url, "secret", {"alert_id": 1}, HTTP_ONLY)
        assert hook.received == []
        assert post_webhook(hook.url, "secret", {"alert_id": 1}, SINKS) == 204
        assert [body for body, _ in hook.received] == [{"alert_id": 1}]


def test_a_name_is_looked_up_once_and_the_checked_address_is_the_one_connected_to(resolver, monkeypatch):
    """DNS rebinding: the first answer passes the check, every later one points inside. The post goes
    to the address checked, with the URL's own name in the Host header, and the name is looked up once.

    No public address is reachable from a test, so 127.0.0.1 stands in for one here: the rule treats
    it as public, and 127.0.0.2 (the rebinding target) as what it is."""
    real = outbound.address_problem
    monkeypatch.setattr(outbound, "address_problem", lambda a: None if a == "127.0.0.1" else real(a))
    with WebhookReceiver("127.0.0.1") as checked, WebhookReceiver("127.0.0.2", checked.port) as inside:
        resolver.answer("rebind.example.com", ["127.0.0.1"], ["127.0.0.2"])
        url = f"http://rebind.example.com:{checked.port}/hymy"
        assert post_webhook(url, "secret", {"alert_id": 7}, HTTP_ONLY) == 204
        assert resolver.lookups == {"rebind.example.com": 1}
        assert len(checked.received) == 1 and inside.received == []
        assert checked.hosts == [f"rebind.example.com:{checked.port}"]
        with pytest.raises(Refused, match="rebind.example.com resolves to 127.0.0.2, a loopback address"):
            post_webhook(url, "secret", {"alert_id": 8}, HTTP_ONLY)
        assert inside.received == [] and len(checked.received) == 1


def test_an_unreachable_public_address_is_an_error_to_retry_not_a_refusal(resolver, monkeypatch):
    real = outbound.address_problem
    monkeypatch.setattr(outbound, "address_problem", lambda a: None if a == "127.0.0.1" else real(a))
    with WebhookReceiver() as hook:
        port = hook.port
    resolver.answer("gone.example.com", ["127.0.0.1"])
    with pytest.raises(DeliveryError, match="ConnectionError") as raised:
        post_webhook(f"http://gone.example.com:{port}/", "secret", {}, HTTP_ONLY)
    assert not isinstance(raised.value, Refused)


def _breach(central):
    """Four unhappy ratings at Kamppi: the rule's next round opens an episode."""
    token, device_id = central.enrolled_kiosk()
    rows = [rating_row(n + 1, rating=1, recorded_at=RECEIVE_TIME + timedelta(seconds=n)) for n in range(4)]
    central.clock.set_wall(RECEIVE_TIME + timedelta(minutes=1))
    assert central.post_batch(token, batch(device_id, rows, sent_at=RECEIVE_TIME)).status_code == 200


def test_a_stored_rule_that_now_points_inside_is_refused_once_and_not_retried(central, resolver):
    with MailSink() as mail, WebhookReceiver() as hook:
        resolver.answer("hooks.example.com", [PUBLIC], ["127.0.0.1"])
        _breach(central)
        central.ok("add-alert", "--site", "Kamppi", "--email", "ops@example.com", "--webhook",
                   f"http://hooks.example.com:{hook.port}/hymy",
                   env={**STRICT, "HYMY_CENTRAL_WEBHOOK_ALLOW_HTTP": "true"})
        assert resolver.lookups == {"hooks.example.com": 1}  # saved: it resolved to a public address then
        at = RECEIVE_TIME + timedelta(minutes=2)
        assert worker.run_once(mail.smtp, now=at, webhooks=HTTP_ONLY) == (1, 1, 0)  # settled: nothing to retry
        assert hook.received == [] and mail.recipients() == [["ops@example.com"]]
        refused, error = central.query(lambda m: (m.Alert.get().webhook_refused, m.Alert.get().delivery_error))
        assert "hooks.example.com resolves to 127.0.0.1, a loopback address" in refused and refused in error
        for minutes in (3, 4, 5):
            assert worker.run_once(mail.smtp, now=RECEIVE_TIME + timedelta(minutes=minutes),
                                   webhooks=HTTP_ONLY) == (0, 0, 0)
        assert resolver.lookups == {"hooks.example.com": 2} and hook.received == []
        assert central.query(lambda m: m.Alert.get().webhook_sent_at) is None


def test_a_stored_http_rule_is_refused_once_plain_http_is_no_longer_allowed(central):
    with WebhookReceiver() as hook:
        _breach(central)
        central.ok("add-alert", "--site", "Kamppi", "--webhook", hook.url)  # the test sinks allow both
        assert alerts.evaluate(RECEIVE_TIME + timedelta(minutes=2))
        assert alerts.deliver(None, RECEIVE_TIME + timedelta(minutes=2), webhooks=WebhookPolicy()) == (1, 0)
        assert alerts.deliver(None, RECEIVE_TIME + timedelta(minutes=3), webhooks=SINKS) == (0, 0)
        assert hook.received == []
        assert "https://" in central.query(lambda m: m.Alert.get().webhook_refused)


def test_the_alerts_page_says_what_was_not_delivered_to_admins_only(central, resolver):
    with WebhookReceiver() as hook:
        _breach(central)
        resolver.answer("hooks.example.com", ["127.0.0.1"])
        central.ok("add-alert", "--site", "Kamppi", "--webhook", f"http://hooks.example.com:{hook.port}/")
        assert worker.run_once(None, now=RECEIVE_TIME + timedelta(minutes=2), webhooks=HTTP_ONLY) == (1, 1, 0)
        central.clock.set_wall(RECEIVE_TIME + timedelta(minutes=3))
        admin_password, _ = central.add_user("hanna", "admin")
        viewer_password, _ = central.add_user("ville", "viewer", sites=["Kamppi"])
        admin = central.log_in("hanna", admin_password).get("/alerts?lang=en").text
        viewer = central.log_in("ville", viewer_password).get("/alerts?lang=en").text
        assert "not all delivered" in admin and "a loopback address" in admin
        assert "not all delivered" in viewer and "a loopback address" not in viewer


def _certificate(directory, name):
    """A throwaway self-signed certificate for *name* (openssl); ``(certificate, key)``."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _TlsHook(BaseHTTPRequestHandler):
    hosts = []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def _tls_hook(cert, key):
    """An HTTPS receiver on 127.0.0.1 with *cert*; yields ``(port, the names SNI asked for)``."""
    asked = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: asked.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TlsHook)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.slow  # openssl makes the certificates
def test_https_to_a_checked_address_keeps_the_names_sni_and_certificate_check(resolver, monkeypatch, tmp_path):
    """The connection goes to the address checked, but TLS is the URL's name's: the server is asked for it
    by SNI, and its certificate must be for it (one for another name, even a trusted one, is refused)."""
    real = outbound.address_problem
    monkeypatch.setattr(outbound, "address_problem", lambda a: None if a == "127.0.0.1" else real(a))
    resolver.answer("hooks.example.com", ["127.0.0.1"])
    right, wrong = _certificate(tmp_path, "hooks.example.com"), _certificate(tmp_path, "other.example.com")
    _TlsHook.hosts = []
    with _tls_hook(*right) as (port, asked):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(right[0]))
        assert post_webhook(f"https://hooks.example.com:{port}/hymy", "secret", {"alert_id": 1}) == 204
        assert asked == ["hooks.example.com"] and _TlsHook.hosts == [f"hooks.example.com:{port}"]
    with _tls_hook(*wrong) as (port, asked):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(wrong[0]))  # trusted, but for another name
        with pytest.raises(DeliveryError, match="SSLError") as raised:
            post_webhook(f"https://hooks.example.com:{port}/hymy", "secret", {"alert_id": 2})
        assert not isinstance(raised.value, Refused) and len(_TlsHook.hosts) == 1
