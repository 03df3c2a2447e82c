"""The reverse-proxy example (docs/nginx-central.conf) under Debian's nginx, in front of a live
``hymy central serve`` (gunicorn, as in the field) with ``proxy_hops = 1``.

The example is used as shipped, but for what only a test may change: its ports (free high ones on
loopback), its certificate (a throwaway self-signed one made by openssl) and its upstream (the test's
central). nginx runs on a wrapper config that includes it, with every path in the test's directory.
Through it: TLS, the redirect from plain HTTP, the login limit counting the client's own address (not
nginx's, nor one the client forged), head office's login from a browser (its forms check that the
page posting them is central's own HTTPS page), and central's 2 MB body limit with central's answer.
"""
import os
import re
import shutil
import signal
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from sync.common.web import too_large
from sync.wire.protocol import MAX_BODY_BYTES
from tests.helpers.live import free_port, wait_for
from tests.helpers.served import CentralDatabase, ServedCentral

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "nginx-central.conf"
CLIENT = "127.0.0.2"  # the client's own loopback address: nginx reaches central from 127.0.0.1
GUNICORN_TIMEOUT = 60  # seconds; sync/central/cli/serve.py


def _replace_once(text, old, new):
    """*text* with *old* (which must be there exactly once: the example changed otherwise) as *new*."""
    assert text.count(old) == 1, f"docs/nginx-central.conf no longer has {old!r} once"
    return text.replace(old, new)


def _self_signed(directory):
    """A throwaway certificate for 127.0.0.1; ``(certificate, key)``."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _nginx_config(directory, central_port, http_port, https_port):
    """The wrapper config around the example, as the example's own text with the test's ports and files."""
    cert, key = _self_signed(directory)
    site = EXAMPLE.read_text()
    for old, new in (("server 127.0.0.1:8100;", f"server 127.0.0.1:{central_port};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("/etc/letsencrypt/live/central.example.com/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/central.example.com/privkey.pem", str(key))):
        site = _replace_once(site, old, new)
    (directory / "hymy-central.conf").write_text(site)
    temp_paths = "\n".join(f"    {kind}_temp_path {directory / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # Started by root, nginx's workers would be nobody, who may not enter the test's private directory.
    user = "user root;" if os.geteuid() == 0 else ""
    wrapper = directory / "nginx.conf"
    wrapper.write_text(f"""{user}
worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'};
events {{ worker_connections 64; }}
http {{
    access_log {directory / 'access.log'};
{temp_paths}
    include {directory / 'hymy-central.conf'};
}}
""")
    return wrapper, cert


class FromAddress(HTTPAdapter):
    """Connections from one local address: the client is not where nginx calls central from."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(CLIENT, 0), **kwargs)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A central (proxy_hops = 1) behind nginx on the example config, for the module's tests."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("nginx is not installed; tests/run.sh installs Debian's nginx")
    directory = tmp_path_factory.mktemp("proxied")
    database = CentralDatabase(f"sqlite:///{directory / 'central' / 'central.sqlite3'}", directory / "central")
    password = dict(line.split(": ", 1) for line in database.cli("add-user", "hanna", "--role", "admin")
                    .splitlines() if ": " in line)["password"]
    database.cli("add-site", "Kamppi")
    database.cli("add-service", "checkout")
    token = database.add_kiosk("kamppi-1", "Kamppi")
    central = ServedCentral(database, directory, workers=1, proxy_hops=1).start()
    http_port, https_port = free_port(), free_port()
    config, cert = _nginx_config(directory, central.port, http_port, https_port)
    command = [nginx, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    server = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{https_port}"
    try:
        with _client(cert) as probe:
            wait_for(lambda: _answers(probe, f"{url}/api/v1/openapi.json"), 30, "nginx did not start", server,
                     lambda: (directory / "error.log").read_text())
        yield {"url": url, "http_url": f"http://127.0.0.1:{http_port}", "cert": cert, "database": database,
               "password": password, "token": token}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        central.stop()


def _client(cert):
    """A requests session from the client's address, trusting only the test's certificate."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy in the environment would win over these
    session.verify = str(cert)
    for scheme in ("https://", "http://"):
        session.mount(scheme, FromAddress())
    return session


def _answers(session, url):
    try:
        return session.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _csrf_token(session, url):
    page = session.get(url, timeout=10)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def test_the_example_keeps_centrals_limits():
    text = EXAMPLE.read_text()
    body = re.search(r"client_max_body_size (\d+)m;", text)
    assert body and int(body.group(1)) * 1024 * 1024 > MAX_BODY_BYTES
    for name in ("proxy_send_timeout", "proxy_read_timeout"):
        timeout = re.search(rf"{name} (\d+)s;", text)
        assert timeout and int(timeout.group(1)) > GUNICORN_TIMEOUT, name
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header} " in text


def test_tls_and_the_redirect_from_plain_http(proxied):
    with _client(proxied["cert"]) as client:
        answer = client.get(f"{proxied['url']}/api/v1/openapi.json", timeout=10)
        assert answer.status_code == 200 and answer.json()["openapi"].startswith("3.1")
        # Central's own, once (it knows the request was HTTPS from nginx's X-Forwarded-Proto), with the rest.
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["X-Frame-Options"] == "DENY"
        page = client.get(f"{proxied['url']}/login", timeout=10)
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        redirect = client.get(f"{proxied['http_url']}/overview?period=7d", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "https://127.0.0.1/overview?period=7d"


def test_the_login_limit_counts_the_clients_own_address(proxied):
    with _client(proxied["cert"]) as client:
        login = f"{proxied['url']}/login"
        refused = client.post(login, data={"name": "nobody", "password": "not this one",
                                           "csrf_token": _csrf_token(client, login)},
                              headers={"Referer": login, "X-Forwarded-For": "203.0.113.7"}, timeout=30)
    assert refused.status_code == 401 and "nobody" in refused.text  # the form again, with its error
    with closing(proxied["database"].connect()) as db:
        addresses = {key for (key,) in db.execute("SELECT key FROM login_failure WHERE key LIKE 'addr:%'")}
    assert addresses == {f"addr:{CLIENT}"}  # not nginx's 127.0.0.1, not the forged 203.0.113.7


def test_head_office_logs_in_through_the_proxy(proxied):
    with _client(proxied["cert"]) as browser:
        login = f"{proxied['url']}/login"
        form = {"name": "hanna", "password": proxied["password"], "csrf_token": _csrf_token(browser, login)}
        # Central knows the page is HTTPS (X-Forwarded-Proto): a form posted from no page is refused,
        without_referer = browser.post(login, data=form, timeout=30)
        assert without_referer.status_code == 400
        # and one posted from its own login page, at the address the browser used, goes through.
        answer = browser.post(login, data=form, headers={"Referer": login}, timeout=30)
    assert answer.status_code == 200 and answer.url == f"{proxied['url']}/overview"


def test_a_body_of_2_mb_reaches_central_and_one_byte_more_gets_its_413(proxied):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {proxied['token']}"}
    with _client(proxied["cert"]) as client:
        over = [client.post(f"{proxied['url']}/api/v1/batches", data=b"x" * (MAX_BODY_BYTES + 1), headers=headers,
                            timeout=30) for _ in range(5)]
        at_the_limit = client.post(f"{proxied['url']}/api/v1/batches", data=b"x" * MAX_BODY_BYTES, headers=headers,
                                   timeout=30)
    assert at_the_limit.status_code == 400 and at_the_limit.json()["status"] == 400  # central read it: not JSON
    # Central's own answer. It reads the refused body to its end first: answering while nginx was still
    # sending it reset the connection, and nginx turned the lost answer into a 502.
    for answer in over:
        assert answer.status_code == 413 and answer.headers["Content-Type"] == "application/json", answer.text[:300]
        assert answer.json() == {"error": too_large(MAX_BODY_BYTES), "status": 413}
