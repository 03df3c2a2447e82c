"""Head office's sessions end when they are ended, on every worker at once: a copy of the cookie
kept from before logging out, a password change, the user's deletion or idle time gets the login
page from this central and from a second one on the same database (another worker or host)."""
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests

from tests.helpers.second_central import second_central

PAGES = ("/overview", "/account", "/fleet")


def _replay(url, cookies, path, method="GET", data=None):
    """One request with a copy of a browser's cookies, as someone who kept them would send it."""
    with requests.Session() as http:
        http.cookies.update(cookies)
        return http.request(method, url + path, data=data, allow_redirects=False, timeout=60)


def _assert_sent_to_login(urls, cookies, csrf=None):
    """Every page answers a 302 to /login, on every central in *urls*; so does a form posted with its
    CSRF token (the kept cookie carries the token's session)."""
    for url in urls:
        for path in PAGES:
            response = _replay(url, cookies, path)
            assert response.status_code == 302, (url, path, response.status_code)
            assert urlsplit(response.headers["Location"]).path == "/login", (url, path)
        if csrf is not None:
            posted = _replay(url, cookies, "/logout", "POST", {"csrf_token": csrf})
            assert posted.status_code == 302 and urlsplit(posted.headers["Location"]).path == "/login"


def _sessions_of(central, name):
    return central.query(lambda m: m.LoginSession.select().join(m.User).where(m.User.name == name).count())


def test_a_cookie_kept_from_before_logout_gets_the_login_page_on_every_worker(central):
    password, _ = central.add_user("anna", "admin")
    with second_central(central) as other:
        browser = central.log_in("anna", password)
        kept = browser.http.cookies.copy()
        assert _replay(other.url, kept, "/overview").status_code == 200  # the other worker takes it
        csrf = browser.csrf_token("/overview")
        assert browser.post("/logout", data={"csrf_token": csrf}).url.endswith("/login")
        _assert_sent_to_login([central.url, other.url], kept, csrf)
    assert central.count("LoginSession") == 0


def test_logging_out_ends_only_that_session(central):
    password, _ = central.add_user("anna", "admin")
    here, elsewhere = central.log_in("anna", password), central.log_in("anna", password)
    here.post("/logout", csrf_from="/overview")
    assert elsewhere.get("/overview").url.endswith("/overview")
    assert _sessions_of(central, "anna") == 1


def test_a_password_change_ends_every_other_session_of_the_user_on_every_worker(central):
    password, _ = central.add_user("anna", "admin")
    bob_password, _ = central.add_user("bob", "admin")
    with second_central(central) as other:
        here, elsewhere, bob = (central.log_in("anna", password), central.log_in("anna", password),
                                central.log_in("bob", bob_password))
        before = here.http.cookies.copy()  # this browser's cookie before the change
        changed = here.post("/account", data={"form": "password", "password-current": password,
                                              "password-new": "a longer secret", "password-again": "a longer secret"},
                            csrf_from="/account")
        assert changed.status_code == 200 and "Your password is changed" in changed.text
        _assert_sent_to_login([central.url, other.url], elsewhere.http.cookies)
        _assert_sent_to_login([central.url, other.url], before)
        # This browser goes on in a session of its own, on every worker; bob's session is his.
        for url in (central.url, other.url):
            assert here.http.get(url + "/overview", timeout=60).url.endswith("/overview")
            assert bob.http.get(url + "/overview", timeout=60).url.endswith("/overview")
    assert _sessions_of(central, "anna") == 1 and _sessions_of(central, "bob") == 1


def test_deleting_a_user_ends_their_sessions_at_once_on_every_worker(central):
    admin_password, _ = central.add_user("root", "admin")
    password, _ = central.add_user("anna", "viewer")
    with second_central(central) as other:
        admin, anna = central.log_in("root", admin_password), central.log_in("anna", password)
        kept = anna.http.cookies.copy()
        anna_id = central.query(lambda m: m.User.get(m.User.name == "anna").id)
        deleted = admin.post(f"/admin/users/{anna_id}/delete", csrf_from="/overview", allow_redirects=False)
        assert deleted.status_code in (200, 302), deleted.status_code
        _assert_sent_to_login([other.url, central.url], kept)
        assert _sessions_of(central, "root") == 1 and central.count("LoginSession") == 1
        # A user added next may get the deleted one's id (SQLite reuses the highest): nothing carries over.
        central.add_user("carl", "admin")
        _assert_sent_to_login([other.url, central.url], kept)


def test_an_idle_session_ends_on_every_worker_and_says_so(central):
    password, _ = central.add_user("anna", "admin")
    with second_central(central) as other:
        browser = central.log_in("anna", password)
        kept = browser.http.cookies.copy()
        central.clock.advance(479 * 60)
        assert browser.http.get(other.url + "/overview", timeout=60).url.endswith("/overview")  # a use
        central.clock.advance(480 * 60)
        ended = browser.http.get(other.url + "/overview", timeout=60)
        assert "/login" in ended.url and "session ended" in ended.text
        assert central.count("LoginSession") == 0
        _assert_sent_to_login([central.url, other.url], kept)


def test_a_request_writes_the_sessions_last_use_at_most_once_a_minute(central):
    password, _ = central.add_user("anna", "admin")
    browser = central.log_in("anna", password)
    logged_in = central.clock.now()

    def seen():
        return central.query(lambda m: m.LoginSession.get().seen_at)

    assert seen() == logged_in
    central.clock.advance(59)
    for _ in range(3):
        assert browser.get("/overview").status_code == 200
    assert seen() == logged_in  # a page and its requests within the minute wrote nothing
    central.clock.advance(1)
    browser.get("/overview")
    assert seen() == logged_in + timedelta(minutes=1)
    # The price: idle time counts from the last time written, up to a minute before the last use.
    central.clock.advance(59)
    browser.get("/overview")
    central.clock.advance(480 * 60 - 59)
    assert "/login" in browser.get("/overview").url


def test_ended_sessions_are_pruned_at_login_and_by_hymy_central_prune(central):
    password, _ = central.add_user("anna", "admin")
    for _ in range(2):
        central.log_in("anna", password)
    central.clock.advance(480 * 60)
    central.log_in("anna", password)  # a login prunes the sessions gone idle
    assert central.count("LoginSession") == 1
    # `hymy central prune` runs on the system clock: one session idle for longer than that, one in use.
    central.log_in("anna", password)
    now = datetime.now(timezone.utc)

    def age(m):
        first = m.LoginSession.select().limit(1).get().id
        m.LoginSession.update(seen_at=now - timedelta(minutes=481)).where(m.LoginSession.id == first).execute()
        m.LoginSession.update(seen_at=now - timedelta(minutes=1)).where(m.LoginSession.id != first).execute()

    central.query(age)
    assert "1 idle head-office session removed" in central.ok("prune")
    assert central.count("LoginSession") == 1
