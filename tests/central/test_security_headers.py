"""Central's security headers, on every page, every error and every API answer, on both backends.

Every GET page route of central's URL map (tests/helpers/routes.py, filled with the seeded network's
real ids) is asked by an admin, a viewer of one site, a viewer of the other and anonymously: each answer
— a page, a redirect to the login, a 403, a 404, an export — carries the policy for what it is. Pages
may load only central's own files and hold no inline script, style or event handler (checked in the
HTML here, and in a real Chromium by tests/browser/test_content_policy.py). ``Strict-Transport-Security``
comes only over HTTPS, which central believes from ``X-Forwarded-Proto`` only behind ``proxy_hops``
proxies.
"""
import contextlib

import pytest

from sync.central.app import create_central_app
from sync.central.store.models import central_db
from sync.central.web.headers import OTHER_POLICY, PAGE_POLICY
from tests.helpers.network import parse_page
from tests.helpers.routes import page_routes
from tests.helpers.seeded import ROLES, seed

BOTH_BACKENDS = pytest.mark.parametrize(
    "module_central", ["sqlite", "postgresql"], indirect=True,
    scope="module")

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EVERYWHERE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


@pytest.fixture(scope="module")
def network(module_central):
    seeded = seed(module_central)
    yield seeded
    seeded.close()


def policy(header):
    """A Content-Security-Policy as ``{directive: [sources]}``."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def headers_problems(response):
    """What is wrong with *response*'s security headers (plain HTTP: no HSTS), as lines."""
    where = f"{response.request.method} {response.request.path_url} ({response.status_code})"
    problems = [f"{where}: {name} is {response.headers.get(name)!r}" for name, value in EVERYWHERE.items()
                if response.headers.get(name) != value]
    page = response.headers.get("Content-Type", "").startswith("text/html")
    expected = PAGE_POLICY if page else OTHER_POLICY
    if response.headers.get("Content-Security-Policy") != expected:
        problems.append(f"{where}: CSP is {response.headers.get('Content-Security-Policy')!r}")
    if "Strict-Transport-Security" in response.headers:
        problems.append(f"{where}: HSTS over plain HTTP")
    return problems


def inline_problems(url, html):
    """Inline script, style or event handlers in a page: the policy would block them."""
    problems = []
    for element in parse_page(html).iter():
        if element.tag == "script" and "src" not in element.attrs:
            problems.append(f"{url}: an inline <script>")
        if element.tag == "style":
            problems.append(f"{url}: a <style> element")
        for name, value in element.attrs.items():
            if name == "style" or name.startswith("on"):
                problems.append(f"{url}: <{element.tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                problems.append(f"{url}: a javascript: address in <{element.tag} {name}>")
    return problems


def test_the_page_policy_allows_only_centrals_own_files():
    page = policy(PAGE_POLICY)
    assert page["default-src"] == ["'self'"] and page["frame-ancestors"] == ["'none'"]
    assert page["object-src"] == ["'none'"] and page["base-uri"] == ["'none'"] and page["form-action"] == ["'self'"]
    assert not any("unsafe" in source or source in ("*", "data:", "https:") for sources in page.values()
                   for source in sources)
    assert policy(OTHER_POLICY) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


@BOTH_BACKENDS
def test_every_page_as_every_role_sends_the_headers_and_holds_no_inline_script_or_style(module_central, network):
    urls = [url for route in page_routes(module_central.app) for url in route.urls(network.ids)]
    urls += ["/overview?period=7d", f"/sites/{network.ids['site_id'][0]}?kiosk={network.ids['kiosk_id'][0]}",
             "/export?format=json", "/comments?period=30d"]
    assert "/admin" in urls and "/login" in urls and any("/days/" in url for url in urls), urls
    problems, statuses, pages = [], set(), 0
    for role in ROLES:
        for url in urls:
            response = network.sessions[role].http.get(module_central.url + url, headers={"Accept": BROWSER},
                                                       allow_redirects=False, timeout=60)
            statuses.add(response.status_code)
            problems += headers_problems(response)
            if response.headers.get("Content-Type", "").startswith("text/html"):
                pages += 1
                problems += inline_problems(url, response.text)
    assert not problems, "\n".join(problems[:40])
    assert {200, 302, 403, 404} <= statuses and pages > len(urls), (statuses, pages)


@BOTH_BACKENDS
def test_error_pages_json_errors_exports_and_static_files_send_them_too(module_central, network):
    admin, viewer, anonymous = (network.sessions[role].http for role in ("admin", "viewer", "anonymous"))
    url = module_central.url
    asked = [
        (admin, "GET", "/no-such-page", {"Accept": BROWSER}, 404, "text/html"),
        (admin, "GET", "/no-such-page", {"Accept": "application/json"}, 404, "application/json"),
        (viewer, "GET", "/admin", {"Accept": BROWSER}, 403, "text/html"),
        (admin, "DELETE", "/overview", {"Accept": BROWSER}, 405, "text/html"),
        (admin, "GET", "/overview?service=%C2%B2", {"Accept": BROWSER}, 400, "text/html"),
        (admin, "POST", "/admin/target", {"Accept": BROWSER}, 400, "text/html"),  # no CSRF token
        (anonymous, "GET", "/api/v1/ratings?from=2026-01-05&to=2026-01-05", {}, 401, "application/json"),
        (anonymous, "POST", "/api/v1/batches", {"Content-Type": "application/json"}, 401, "application/json"),
        (anonymous, "GET", "/api/v1/openapi.json", {}, 200, "application/json"),
        (anonymous, "GET", "/static/css/central.css", {}, 200, "text/css"),
        (anonymous, "GET", "/static/js/central.js", {}, 200, "text/javascript"),
        (anonymous, "GET", "/static/favicon.svg", {}, 200, "image/svg+xml"),
        (admin, "GET", "/export?format=csv", {}, 200, "text/csv"),
    ]
    problems = []
    for session, method, path, headers, status, content_type in asked:
        response = session.request(method, url + path, headers=headers, allow_redirects=False, timeout=60)
        assert response.status_code == status, (method, path, response.status_code, response.text[:200])
        assert response.headers["Content-Type"].startswith(content_type), (path, response.headers["Content-Type"])
        problems += headers_problems(response)
    assert not problems, "\n".join(problems)


@contextlib.contextmanager
def second_app(central, **config):
    """Another central app on *central*'s database with *config*; the models go back to *central*'s
    database after (in one process both apps share the models' binding)."""
    app = create_central_app({"database_url": central.database_url, "data_dir": str(central.data_dir),
                              "secure_cookies": False, **config}, clock=central.clock)
    try:
        yield app
    finally:
        if central_db.obj is not central.database:
            central_db.obj.close()
            if hasattr(central_db.obj, "close_all"):
                central_db.obj.close_all()
            central_db.initialize(central.database)


@BOTH_BACKENDS
def test_hsts_only_over_https_as_a_trusted_proxy_says(module_central, network):
    """The WSGI environ as gunicorn hands it over (waitress, serving the tests, would drop the headers of an
    untrusted peer itself); tests/test_reverse_proxy.py checks the same through nginx."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    # No proxy configured: anyone could send the header, so it means nothing.
    direct = module_central.app.test_client().get("/login", headers=forwarded)
    assert direct.status_code == 200 and "Strict-Transport-Security" not in direct.headers
    with second_app(module_central, proxy_hops=1) as proxied:
        client = proxied.test_client()
        for path in ("/login", "/api/v1/openapi.json", "/no-such-page"):
            answer = client.get(path, headers=forwarded)
            assert answer.headers.get("Strict-Transport-Security") == "max-age=31536000", (path, answer.headers)
            assert answer.headers["X-Frame-Options"] == "DENY"
        plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
        assert plain.status_code == 200 and "Strict-Transport-Security" not in plain.headers
    assert module_central.app.test_client().get("/login", base_url="https://localhost").headers[
        "Strict-Transport-Security"] == "max-age=31536000"  # HTTPS served by central itself
