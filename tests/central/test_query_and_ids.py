"""Ids, days and query values, parsed once (sync/central/web/parse.py): the requests that gave a 500.

A path id that is not one (Unicode digits, past 64 bits, NUL) names nothing: 404. A query value that
is not what its name takes is a 400 that says which, in the reader's language. A day is within the
years central keeps (2000 to 2100), so no report steps a period out of the calendar. The query string
never reaches ``url_for``: links carry the parsed settings only. Both backends (PostgreSQL refused a
NUL in a path id, SQLite an id past 64 bits).
"""
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from sync.central.web import parse
from tests.helpers.network import parse_page
from tests.helpers.seeded import seed

BOTH_BACKENDS = pytest.mark.parametrize(
    "module_central", ["sqlite", "postgresql"], indirect=True,
    scope="module")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def network(module_central):
    seeded = seed(module_central)
    yield seeded
    seeded.close()


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("007", 7), (str(2**63 - 1), 2**63 - 1), (str(2**63), None), ("9" * 23, None), ("²", None),
    ("١", None), ("１", None), ("-1", None), ("+1", None), (" 1", None), ("1\x00", None), ("", None),
    ("1e3", None), (None, None)])
def test_an_id_is_ascii_digits_within_64_bits(text, expected):
    assert parse.row_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2026-01-05", date(2026, 1, 5)), ("2000-01-01", date(2000, 1, 1)), ("2100-12-31", date(2100, 12, 31)),
    ("1999-12-31", None), ("2101-01-01", None), ("0001-01-01", None), ("9999-12-31", None),
    ("2026-02-30", None), ("20260105", None), ("2026-W02-1", None), ("２０２６-01-05", None), ("2026-1-5", None)])
def test_a_day_is_yyyy_mm_dd_within_the_years_central_keeps(text, expected):
    assert parse.day(text) == expected


def test_a_follow_up_is_named_by_its_canonical_uuid():
    assert parse.uuid_text("0F8FAD5B-D9CB-469F-A165-70867728950E") == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert parse.uuid_text("0f8fad5b-d9cb-469f-a165-70867728950e\x00") is None
    assert parse.uuid_text("\x00") is None and parse.uuid_text("0f8fad5bd9cb469fa16570867728950e") is None
    assert parse.whole("²", 0, 100) is None and parse.whole("100", 0, 100) == 100 and parse.whole("101", 0, 100) is None


def _status(session, url, path, method="GET", **kwargs):
    return session.http.request(method, url + path, headers={"Accept": BROWSER}, allow_redirects=False,
                                timeout=60, **kwargs).status_code


@BOTH_BACKENDS
def test_url_fors_own_keywords_in_the_query_are_just_ignored(module_central, network):
    for role in ("anonymous", "admin", "viewer"):
        for query in ("_method=DELETE", "endpoint=x", "_external=1&_scheme=javascript", "_anchor=x", "values=1"):
            for path in ("/login", "/overview", "/services", "/providers", "/drivers", "/comments", "/fleet",
                         f"/sites/{network.ids['site_id'][0]}", "/alerts", "/account"):
                status = _status(network.sessions[role], module_central.url, f"{path}?{query}")
                assert status in ((200, 302) if role == "anonymous" else (200, 404)), (role, path, query, status)


@BOTH_BACKENDS
@pytest.mark.parametrize("query", ["service=%C2%B2", "provider=%C2%B9", "service=-1", "provider=1e3", "kiosk=%C2%B9",
                                   "site=%C2%B9", "page=%C2%B2", "page=0", "page=10001", "sort=%00", "dir=up",
                                   "by=kiosk", "format=xml", "q=%00", "q=" + "x" * 201])
def test_a_malformed_query_value_is_a_400_page_that_says_which(module_central, network, query):
    site_id = network.ids["site_id"][0]
    admin = network.sessions["admin"]
    name = query.split("=")[0]
    path = {"kiosk": f"/sites/{site_id}", "site": "/export", "page": "/comments", "by": "/drivers",
            "format": "/export", "q": "/comments"}.get(name, "/overview")
    response = admin.http.get(f"{module_central.url}{path}?{query}", headers={"Accept": BROWSER,
                                                                              "Accept-Language": "fi"}, timeout=60)
    assert response.status_code == 400, (path, query, response.text[:300])
    page = parse_page(response.text)
    assert page.one("section", data_status="400") is not None
    assert f"kohdan {name} arvo" in page.text(), page.text()[:400]  # the reason, in the reader's language


@BOTH_BACKENDS
def test_ids_that_are_not_ids_name_nothing(module_central, network):
    admin, url = network.sessions["admin"], module_central.url
    site_id = network.ids["site_id"][0]
    for path in ("/sites/99999999999999999999999", f"/sites/{2**63 - 1}", f"/sites/{2**63}", "/sites/%D9%A1",
                 "/sites/%C2%B9", "/sites/1%00", "/sites/-1", f"/sites/{site_id}/days/0001-01-01",
                 f"/sites/{site_id}/days/9999-12-31", f"/sites/{site_id}/days/1999-12-31",
                 f"/sites/{site_id}/days/2101-01-01", f"/sites/{site_id}/days/20260105",
                 "/actions/%00/edit",
                 "/actions/0f8fad5b-d9cb-469f-a165-70867728950e%00/edit",
                 "/actions/0f8fad5bd9cb469fa16570867728950e/edit", "/actions/%E2%80%AE/edit",
                 "/actions/0f8fad5b-d9cb-469f-a165-70867728950e/edit"):
        assert _status(admin, url, path) == 404, path
    for path in (f"/sites/{site_id}/days/2000-01-01", f"/sites/{site_id}/days/2100-12-31"):
        assert _status(admin, url, path) == 200, path  # the edges: a day before and after them still computes
    token = admin.csrf_token("/account")
    for path in ("/comments/%00/redact", "/comments/%C2%B2/redact", f"/comments/{'9' * 30}/redact",
                 "/admin/sites/%C2%B2", f"/admin/kiosks/{2**64}/revoke", "/admin/users/%00/delete",
                 "/alerts/%D9%A1/acknowledge", f"/admin/alerts/{2**63}/active"):
        assert _status(admin, url, path, "POST", data={"csrf_token": token}) == 404, path


@BOTH_BACKENDS
@pytest.mark.parametrize("query, status", [
    ("from=2000-01-01&to=2000-01-01", 200), ("from=2100-12-31&to=2100-12-31", 200),
    ("from=0001-01-01&to=0001-01-02", 400), ("from=9999-12-30&to=9999-12-31", 400),
    ("from=1999-12-31&to=2000-01-01", 400), ("from=2026-W02-1&to=2026-01-10", 400)])
def test_a_period_stays_within_the_years(module_central, network, query, status):
    admin, url = network.sessions["admin"], module_central.url
    for path in ("/overview", "/drivers", "/comments", f"/sites/{network.ids['site_id'][0]}"):
        response = admin.http.get(f"{url}{path}?{query}", timeout=60)
        assert response.status_code == status, (path, query, response.text[:300])
        if status == 400:  # the page itself, today's figures, and why
            assert 'role="alert"' in response.text and "2000" in response.text and "2100" in response.text
    assert _status(admin, url, f"/export?{query}") == status


@BOTH_BACKENDS
def test_admin_numbers_take_ascii_digits_only(module_central, network):
    admin = network.sessions["admin"]
    for value in ("²", "٩٠", "90\x00", "1e2", "101"):
        response = admin.post("/admin/target", data={"target": value}, csrf_from="/admin")
        assert response.status_code == 400 and "0 to 100" in response.text, value
    for field in ("unhappy_share", "window", "min_responses", "silent_minutes"):
        response = admin.post("/admin/alerts", data={"covers": "site:Kamppi", field: "²"}, csrf_from="/admin")
        assert response.status_code == 400 and f"{field}: expected a whole number" in response.text, field


@BOTH_BACKENDS
def test_links_carry_the_parsed_settings_and_nothing_else(module_central, network):
    admin = network.sessions["admin"]
    site_id, kiosk_id = network.ids["site_id"][0], network.ids["kiosk_id"][0]
    page = admin.get(f"/sites/{site_id}?period=7d&kiosk={kiosk_id}&_method=DELETE&endpoint=x&evil=1&sort=trend")
    assert page.status_code == 200
    links = [a.attrs["href"] for a in parse_page(page.text).find_all("a")
             if a.attrs.get("href", "").startswith("/") and "lang" not in a.attrs]  # the language links keep all
    carried = {link: dict(parse_qsl(urlsplit(link).query)) for link in links}
    assert carried and all(not {"_method", "endpoint", "evil"} & set(query) for query in carried.values()), links
    export = next(query for link, query in carried.items() if link.startswith("/export") and "json" in link)
    assert export == {"period": "7d", "kiosk": str(kiosk_id), "sort": "trend", "format": "json",
                      "site": str(site_id)}
    # Redacting returns to the list as it was asked, built from the parsed settings too.
    followup_id = network.ids["followup_id"][0]
    answer = admin.post(f"/comments/{followup_id}/redact?period=30d&q=Jono&page=1&_method=DELETE&endpoint=x",
                        csrf_from="/comments", allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "/comments?period=30d&q=Jono&page=1"
