"""A browser gets a page for every error, in its language and with a way back; an API client gets JSON.

Central answers a request whose ``Accept`` prefers ``text/html`` (a browser's) with its styled,
translated error page — for an address no route matches and for an unexpected exception, not only
for errors the page blueprints raise — and anything under ``/api/`` with JSON whatever the client
asks. The unexpected exception is a real one: a table of central's database renamed away under
the running server, on SQLite and on PostgreSQL.
"""
import logging

import pytest
import requests

from tests.helpers.network import parse_page
from tests.helpers.untranslated import EnglishFinder

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Chromium and Firefox send
CATALOGS = "sync/central/translations/{language}/LC_MESSAGES/messages.po"
HEADINGS = {
    404: {"fi": "Sivua ei löydy", "sv": "Sidan hittades inte", "en": "Page not found"},
    403: {"fi": "Ei pääsyä", "sv": "Ingen åtkomst", "en": "No access"},
    405: {"fi": "Ei mahdollista tässä", "sv": "Inte möjligt här", "en": "Not possible here"},
    500: {"fi": "Jokin meni vikaan", "sv": "Något gick fel", "en": "Something went wrong"},
}
WAY_BACK = {"fi": "Takaisin yleiskuvaan", "sv": "Tillbaka till översikten", "en": "Back to the overview"}
TO_LOGIN = {"fi": "Kirjautumissivulle", "sv": "Till inloggningen", "en": "Go to the login page"}
UNMATCHED = ["/services/1", "/no-such-page", "/sites/1/nothing", "/overview/", "/sites/abc"]


@pytest.fixture
def people(central):
    central.add_site("Kamppi")
    admin_password, _ = central.add_user("hanna", "admin")
    viewer_password, _ = central.add_user("ville", "viewer", sites=["Kamppi"])
    return {"admin": central.log_in("hanna", admin_password), "viewer": central.log_in("ville", viewer_password)}


def as_browser(session, central, path, language, method="GET"):
    """*path* asked as a browser in *language* would (never followed)."""
    return session.request(method, central.url + path, allow_redirects=False, timeout=60,
                           headers={"Accept": BROWSER, "Accept-Language": language})


def assert_error_page(response, status, language, signed_in=True):
    """A styled page in *language* naming what happened, with a way back and no English left."""
    assert response.status_code == status, (response.request.path_url, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html"), response.headers["Content-Type"]
    page = parse_page(response.text)
    assert page.one("html").attrs["lang"] == language
    assert page.one("h1").text() == HEADINGS[status][language]
    assert page.find("link", rel="stylesheet", href="/static/css/central.css") is not None
    section = page.one("section", data_status=str(status))
    way_back = WAY_BACK if signed_in else TO_LOGIN
    back = [a for a in section.find_all("a") if a.text() == way_back[language]]
    assert back and back[0].attrs["href"] == ("/overview" if signed_in else "/login"), section.text()
    if language != "en":
        assert EnglishFinder(CATALOGS.format(language=language)).left_in(response.text) == []


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_address_that_matches_nothing_is_a_page_for_a_browser(central, people, language):
    for path in UNMATCHED:
        assert_error_page(as_browser(people["admin"].http, central, path, language), 404, language)
    with requests.Session() as anonymous:
        assert_error_page(as_browser(anonymous, central, "/no-such-page", language), 404, language, signed_in=False)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_refusals_in_the_pages_are_pages_in_the_readers_language(central, people, language):
    assert_error_page(as_browser(people["viewer"].http, central, "/admin", language), 403, language)
    assert_error_page(as_browser(people["viewer"].http, central, "/sites/987654", language), 404, language)
    assert_error_page(as_browser(people["admin"].http, central, "/sites/1/days/2026-02-30", language), 404, language)
    assert_error_page(as_browser(people["admin"].http, central, "/overview", language, "DELETE"), 405, language)


def test_the_error_page_switches_language_on_the_same_address(central, people):
    response = as_browser(people["admin"].http, central, "/no-such-page?period=7d", "fi")
    links = {a.attrs["lang"]: a.attrs["href"] for a in parse_page(response.text).find_all("a", lang=True)}
    assert links == {code: f"/no-such-page?period=7d&lang={code}" for code in ("fi", "sv", "en")}
    swedish = people["admin"].http.get(central.url + links["sv"], headers={"Accept": BROWSER}, timeout=60)
    assert_error_page(swedish, 404, "sv")


@pytest.mark.parametrize("accept", ["application/json", "*/*", None, "text/html;q=0.5,application/json"])
def test_a_client_that_does_not_prefer_html_gets_json_for_an_unmatched_address(central, people, accept):
    headers = {"Accept": accept} if accept else {}
    response = people["admin"].http.get(central.url + "/no-such-page", headers=headers, timeout=60)
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
    assert response.json()["status"] == 404


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/v1/no-such-thing", 404), ("GET", "/api/v1/batches", 405), ("GET", "/api/v1/config", 401),
    ("GET", "/api/v1/ratings?from=x", 401), ("GET", "/api/", 404),
])
def test_everything_under_api_is_json_even_for_a_browser(central, people, method, path, status):
    for language in ("fi", "sv", "en"):
        response = as_browser(people["admin"].http, central, path, language, method)
        assert response.status_code == status, (path, response.status_code)
        assert response.headers["Content-Type"] == "application/json", (path, response.text[:200])
        assert response.json()["status"] == status


def _rename(central, table, to):
    """Rename one of central's tables under the running server (the same SQL on both backends)."""
    def rename(models):
        models.Site._meta.database.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{to}"')

    central.query(rename)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_unexpected_exception_is_the_500_page_for_a_browser_and_json_for_the_api(
        central, people, language, caplog):
    kiosk_token, _ = central.enrolled_kiosk("kamppi-1", site="Kamppi")
    _rename(central, "site", "site_gone")  # every report reads the sites: the query fails under the page
    with caplog.at_level(logging.ERROR, logger="sync.common.web"):
        assert_error_page(as_browser(people["admin"].http, central, "/overview", language), 500, language)
    assert "unexpected error on GET /overview" in caplog.text and "site" in caplog.text  # the detail is logged
    assert "Traceback" not in as_browser(people["admin"].http, central, "/overview", language).text
    plain = people["admin"].http.get(central.url + "/overview", headers={"Accept": "*/*"}, timeout=60)
    assert plain.status_code == 500 and plain.json()["status"] == 500
    config = central.http.get(central.url + "/api/v1/config", timeout=60,
                              headers={"Authorization": f"Bearer {kiosk_token}", "Accept": BROWSER})
    assert config.status_code == 500 and config.headers["Content-Type"] == "application/json"
    assert config.json() == {"error": "internal error; the server logged the detail", "status": 500}


def test_when_even_the_error_page_cannot_be_drawn_a_plain_page_still_answers(central, people, caplog):
    _rename(central, "user", "user_gone")  # who is logged in cannot be read: the styled page needs it
    with caplog.at_level(logging.ERROR):
        response = as_browser(people["admin"].http, central, "/overview", "fi")
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")
    page = parse_page(response.text)
    assert page.one("h1").text() == "500" and page.one("a").attrs["href"] == "/"
    assert "Traceback" not in response.text and "the error page for 500 could not be drawn" in caplog.text
