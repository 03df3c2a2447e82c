"""Logging in to head office's pages: the session, its cookie and the way out."""
from sync.central.models import Setting

from .conftest import WebSession


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
