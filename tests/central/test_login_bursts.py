"""The login limits and sessions under ``hymy central serve`` (gunicorn, two workers of four threads),
on SQLite and on PostgreSQL.

Forty logins released together by a barrier, each from a browser of its own that fetched its form
first: for one name, five get their password checked (401) and the rest are refused (429); from
one address, twenty. A second burst while the name is locked, the right password among it, is
refused whole. A cookie kept from before a logout, a password change or the user's deletion gets
the login page from every worker.
"""
import uuid
from collections import Counter
from contextlib import closing
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers.bursts import release_together
from tests.helpers.central import WebSession
from tests.helpers.served import CentralDatabase, ServedCentral

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request, tmp_path):
    """``hymy central serve`` with two workers on a fresh database of the parametrized backend."""
    data_dir = tmp_path / "central"
    if request.param == "sqlite":
        database = CentralDatabase(f"sqlite:///{data_dir / 'central.sqlite3'}", data_dir)
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        database = CentralDatabase(cluster.create_database(f"bursts_{uuid.uuid4().hex[:12]}"), data_dir)
    central = ServedCentral(database, tmp_path, workers=2, secure_cookies="false", threads=4).start()
    yield central
    central.stop()


def _add_user(served, name, role="admin"):
    output = served.database.cli("add-user", name, "--role", role)
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)["password"]


def _burst(url, logins):
    """POST each ``(name, password)`` of *logins* to /login from a browser of its own, all at once;
    their statuses, in order."""
    browsers = [WebSession(url) for _ in logins]
    tokens = [browser.csrf_token("/login") for browser in browsers]  # the form and the connection first

    def log_in(browser, token, name, password):
        return lambda: browser.http.post(url + "/login", data={"csrf_token": token, "name": name,
                                                               "password": password},
                                         allow_redirects=False, timeout=120).status_code

    try:
        return release_together([log_in(browser, token, name, password) for browser, token, (name, password)
                                  in zip(browsers, tokens, logins, strict=True)])
    finally:
        for browser in browsers:
            browser.close()


def _log_in(url, name, password):
    browser = WebSession(url)
    response = browser.post("/login", data={"name": name, "password": password}, csrf_from="/login")
    assert response.url.endswith("/overview"), (response.status_code, response.text[:300])
    return browser


def test_forty_parallel_wrong_passwords_for_one_name_get_five_checked(served):
    password = _add_user(served, "anna")
    assert Counter(_burst(served.url, [("anna", "wrong")] * 40)) == {401: 5, 429: 35}
    second = _burst(served.url, [("anna", "wrong")] * 20 + [("anna", password)] + [("ANNA", "wrong")] * 19)
    assert Counter(second) == {429: 40} and second[20] == 429  # the right password too, while locked
    # The address took five tries, not forty-five: a colleague behind it logs in.
    bob = _add_user(served, "bob-2")
    _log_in(served.url, "bob-2", bob)


def test_forty_parallel_wrong_logins_from_one_address_get_twenty_checked(served):
    password = _add_user(served, "anna")
    assert Counter(_burst(served.url, [(f"guess-{n}", "wrong") for n in range(40)])) == {401: 20, 429: 20}
    refused = WebSession(served.url).post("/login", data={"name": "anna", "password": password}, csrf_from="/login")
    assert refused.status_code == 429


def test_right_and_wrong_passwords_of_several_users_at_once_are_each_answered(served):
    """Logins that succeed clear their counts while other tries are being counted, on the same rows: every
    request is answered (no deadlock, no 5xx), and a success takes its try off the address's count."""
    passwords = {f"user-{n}": _add_user(served, f"user-{n}") for n in range(6)}
    logins = [(name, password) for name, password in passwords.items()]
    logins += [(name, "wrong") for name in passwords for _ in range(2)]
    statuses = _burst(served.url, logins)
    assert statuses[:6] == [302] * 6 and Counter(statuses[6:]) == {401: 12}
    # The address holds the twelve wrong tries: eight more are checked, then it is refused.
    assert Counter(_burst(served.url, [(f"guess-{n}", "wrong") for n in range(10)])) == {401: 8, 429: 2}


def _replays_to_login(url, cookies, times=8):
    """*times* requests with a copy of *cookies* (gunicorn hands them to either worker): each a 302 to /login."""
    for _ in range(times):
        with requests.Session() as http:
            http.cookies.update(cookies)
            response = http.get(url + "/overview", allow_redirects=False, timeout=60)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_logout_password_change_and_deletion_end_sessions_on_every_worker(served):
    root = _add_user(served, "root")
    password = _add_user(served, "anna", "viewer")
    # Logging out.
    browser = _log_in(served.url, "anna", password)
    kept = browser.http.cookies.copy()
    for _ in range(8):  # any worker takes the session the other made
        assert browser.get("/overview").url.endswith("/overview")
    browser.post("/logout", csrf_from="/overview")
    _replays_to_login(served.url, kept)
    # A password change: every other session of the user ends.
    here, elsewhere = _log_in(served.url, "anna", password), _log_in(served.url, "anna", password)
    changed = here.post("/account", data={"form": "password", "password-current": password,
                                          "password-new": "a longer secret", "password-again": "a longer secret"},
                        csrf_from="/account")
    assert "Your password is changed" in changed.text
    _replays_to_login(served.url, elsewhere.http.cookies)
    assert here.get("/overview").url.endswith("/overview")
    # Deleting the user: their last session ends.
    admin = _log_in(served.url, "root", root)
    with closing(served.database.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT id FROM \"user\" WHERE name = 'anna'")
        (anna_id,) = cursor.fetchone()
    admin.post(f"/admin/users/{anna_id}/delete", csrf_from="/overview")
    _replays_to_login(served.url, here.http.cookies)
