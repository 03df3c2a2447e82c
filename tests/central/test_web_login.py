"""Logging in to head office's pages: the session, its cookie and the way out."""
import pytest

from sync.central.store.models import Setting
from tests.helpers.central import WebSession
from tests.helpers.second_central import second_central


def test_a_user_logs_in_with_the_printed_password_and_out_again(central):
    password, _ = central.add_user("anna", "admin")
    browser = central.log_in("anna", password)
    assert "anna" in browser.get("/overview").text
    response = browser.post("/logout", csrf_from="/overview")
    assert response.url.endswith("/login")
    assert browser.get("/overview").url.endswith("/login?next=%2Foverview")


def test_a_wrong_password_is_a_401_with_the_form_again(central):
    central.add_user("anna", "admin")
    browser = WebSession(central.url)
    response = browser.post("/login", data={"name": "anna", "password": "nope"}, csrf_from="/login")
    assert response.status_code == 401
    assert "do not match" in response.text


def test_the_session_key_is_made_once_and_kept_in_the_database(central):
    secret = central.query(lambda m: Setting.get(Setting.key == "session_secret").value)
    assert len(secret) >= 48
    assert central.app.secret_key == secret


def test_five_wrong_passwords_lock_the_name_for_fifteen_minutes_even_with_the_right_one(central):
    password, _ = central.add_user("anna", "admin")
    browser = WebSession(central.url)
    for _ in range(5):
        assert browser.post("/login", data={"name": "anna", "password": "wrong"}, csrf_from="/login").status_code == 401
    refused = browser.post("/login", data={"name": "anna", "password": password}, csrf_from="/login")
    assert refused.status_code == 429 and "Try again in 15 minutes" in refused.text
    other = WebSession(central.url)  # the count is the database's, not this browser's
    assert other.post("/login", data={"name": "ANNA", "password": password}, csrf_from="/login").status_code == 429
    central.clock.advance(15 * 60 + 1)
    central.log_in("anna", password)
    assert central.count("LoginFailure") == 1  # the name's count is cleared; the address keeps its own


def test_twenty_failures_from_one_address_lock_it_for_every_name(central):
    password, _ = central.add_user("anna", "admin")
    browser = WebSession(central.url)
    for n in range(20):
        browser.post("/login", data={"name": f"guess-{n}", "password": "x"}, csrf_from="/login")
    refused = browser.post("/login", data={"name": "anna", "password": password}, csrf_from="/login")
    assert refused.status_code == 429


def test_a_session_ends_after_its_idle_minutes_on_the_apps_clock(central):
    password, _ = central.add_user("anna", "admin")
    browser = central.log_in("anna", password)
    central.clock.advance(479 * 60)
    assert browser.get("/overview").url.endswith("/overview")  # a request: the idle time starts again
    central.clock.advance(479 * 60)
    assert browser.get("/overview").url.endswith("/overview")
    central.clock.advance(481 * 60)
    ended = browser.get("/overview")
    assert "/login" in ended.url and "session ended" in ended.text


def test_csrf_is_required_to_log_in(central):
    password, _ = central.add_user("anna", "admin")
    response = WebSession(central.url).post("/login", data={"name": "anna", "password": password})
    assert response.status_code == 400 and "/overview" not in response.url


def test_the_session_cookie_is_httponly_samesite_and_secure_by_default(tmp_path):
    from sync.central.app import create_central_app

    app = create_central_app({"database_url": f"sqlite:///{tmp_path / 'c.sqlite3'}", "data_dir": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_next_only_leads_to_a_path_on_this_server(central):
    password, _ = central.add_user("anna", "admin")
    for target in ("https://evil.example/", "//evil.example", "/\\\\evil.example", "javascript:alert(1)"):
        browser = WebSession(central.url)
        response = browser.post(f"/login?next={target}", data={"name": "anna", "password": password},
                                csrf_from="/login")
        assert response.url.startswith(central.url) and response.url.endswith("/overview"), target


def test_a_user_changes_their_password_and_other_sessions_end(central):
    password, _ = central.add_user("anna", "admin")
    here, elsewhere = central.log_in("anna", password), central.log_in("anna", password)
    form = {"form": "password", "password-current": password, "password-new": "a longer secret",
            "password-again": "a longer secret"}
    assert here.post("/account", data=dict(form, **{"password-current": "wrong"}),
                     csrf_from="/account").status_code == 400
    assert here.post("/account", data=dict(form, **{"password-again": "different!!"}),
                     csrf_from="/account").status_code == 400
    assert here.post("/account", data=dict(form, **{"password-new": "short", "password-again": "short"}),
                     csrf_from="/account").status_code == 400
    changed = here.post("/account", data=form, csrf_from="/account")
    assert changed.status_code == 200 and "Your password is changed" in changed.text
    assert here.get("/overview").url.endswith("/overview")  # this session goes on
    assert "/login" in elsewhere.get("/overview").url  # the other one ended
    central.log_in("anna", "a longer secret")


def test_a_user_sets_their_email_and_the_digest(central):
    password, _ = central.add_user("anna", "viewer")
    browser = central.log_in("anna", password)
    refused = browser.post("/account", data={"form": "contact", "contact-digest": "y"}, csrf_from="/account")
    assert refused.status_code == 400 and "need an email address" in refused.text
    refused = browser.post("/account", data={"form": "contact", "contact-alert_email": "y"}, csrf_from="/account")
    assert refused.status_code == 400 and "need an email address" in refused.text
    bad = browser.post("/account", data={"form": "contact", "contact-email": "nobody\u202e@x"}, csrf_from="/account")
    assert bad.status_code == 400
    saved = browser.post("/account", data={"form": "contact", "contact-email": "anna@example.com",
                                           "contact-digest": "y"}, csrf_from="/account")
    assert saved.status_code == 200
    user = central.query(lambda m: m.User.get())
    assert (user.email, user.digest, user.alert_email) == ("anna@example.com", True, False)
    browser.post("/account", data={"form": "contact", "contact-email": "anna@example.com",
                                   "contact-alert_email": "y"}, csrf_from="/account")
    user = central.query(lambda m: m.User.get())
    assert (user.digest, user.alert_email) == (False, True)
    assert 'name="contact-alert_email" value="y" checked' in browser.get("/account").text


def test_add_user_takes_an_email(central):
    central.ok("add-user", "anna", "--role", "admin", "--email", "anna@example.com")
    assert central.query(lambda m: m.User.get().email) == "anna@example.com"
    result = central.cli("add-user", "bob", "--role", "admin", "--email", "bob")
    assert result.exit_code != 0 and "not an email address" in result.output


@pytest.mark.parametrize("text", ["nul\x00", "rtl\u202e", "bell\x07", "x" * 5000])
def test_hostile_names_and_passwords_are_a_clear_4xx_and_count_nothing(central, text):
    password, _ = central.add_user("anna", "admin")
    browser = WebSession(central.url)
    for form in ({"name": text, "password": "x"}, {"name": "anna", "password": text}):
        response = browser.post("/login", data=form, csrf_from="/login")
        assert response.status_code in (400, 401), form
    signed_in = central.log_in("anna", password)
    change = {"form": "password", "password-current": password, "password-new": text + "0123456789",
              "password-again": text + "0123456789"}
    assert signed_in.post("/account", data=change, csrf_from="/account").status_code == 400
    contact = {"form": "contact", "contact-email": f"a{text}@example.com"}
    assert signed_in.post("/account", data=contact, csrf_from="/account").status_code == 400


def test_a_login_on_one_worker_holds_on_another(central):
    """The session key is the database's, so any worker or host takes a session another signed."""
    password, _ = central.add_user("anna", "admin")
    browser = central.log_in("anna", password)
    with second_central(central) as other:
        page = browser.http.get(other.url + "/overview", timeout=60)
        assert page.url.endswith("/overview") and "anna" in page.text


def test_a_configured_secret_key_signs_instead_of_the_databases(central):
    password, _ = central.add_user("anna", "admin")
    browser = central.log_in("anna", password)
    with second_central(central, secret_key="a-key-set-in-the-config-file-of-this-host") as other:
        assert other.app.secret_key == "a-key-set-in-the-config-file-of-this-host"
        # Signed with the database's key, the session means nothing here: log in again.
        assert "/login" in browser.http.get(other.url + "/overview", timeout=60).url


def _fail_logins(url, names, forwarded_for=None):
    browser = WebSession(url)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    for name in names:
        browser.post("/login", data={"name": name, "password": "x"}, csrf_from="/login", headers=headers)


def test_behind_a_proxy_the_limit_counts_each_clients_address(central):
    """With proxy_hops = 1 the address is the client's the proxy names, so one guesser behind the
    proxy locks out only themselves, not everyone the proxy serves."""
    password, _ = central.add_user("anna", "admin")
    with second_central(central, proxy_hops=1) as proxied:
        _fail_logins(proxied.url, [f"guess-{n}" for n in range(20)], forwarded_for="203.0.113.7")
        guesser = WebSession(proxied.url)
        refused = guesser.post("/login", data={"name": "anna", "password": password}, csrf_from="/login",
                               headers={"X-Forwarded-For": "203.0.113.7"})
        assert refused.status_code == 429
        colleague = WebSession(proxied.url)
        allowed = colleague.post("/login", data={"name": "anna", "password": password}, csrf_from="/login",
                                 headers={"X-Forwarded-For": "198.51.100.20"})
        assert allowed.status_code == 200 and allowed.url.endswith("/overview")


def test_without_a_proxy_a_forwarded_header_changes_nothing(central):
    """By default X-Forwarded-For is the client's own word: it cannot buy a fresh address."""
    password, _ = central.add_user("anna", "admin")
    with second_central(central) as server:
        for n in range(20):
            _fail_logins(server.url, [f"guess-{n}"], forwarded_for=f"192.0.2.{n}")
        refused = WebSession(server.url).post("/login", data={"name": "anna", "password": password},
                                              csrf_from="/login", headers={"X-Forwarded-For": "192.0.2.200"})
        assert refused.status_code == 429
