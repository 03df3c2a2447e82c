"""Head office's report pages: the figures on them, and who may see what.

Figures are checked against a plain-Python count of the rows this test sent
(not the rollups and not the SQL the pages use), with the same rounding.
Every page runs as anonymous, as a viewer of one site and as an admin, on
SQLite and on PostgreSQL.
"""
import json
import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sync.central.web import charts
from sync.wire.defaults import DEFAULT_MIN_RESPONSES, DEFAULT_TARGET
from sync.wire.figures import Counts
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.central import RECEIVE_TIME, WebSession
from tests.helpers.head_office import rows_of, shown_percent

TODAY = RECEIVE_TIME  # Monday 5 January 2026, 12:00 UTC
PAGES = ("/overview", "/services", "/providers", "/drivers", "/comments", "/fleet", "/export?format=json")


def shown_index(ratings):
    value = Decimal(100 * sum(r - 1 for r in ratings)) / Decimal(3 * len(ratings))
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"


# Ratings sent per site, today and yesterday (local days), with some left out as repeats.
SENT = {
    "Kamppi": {"today": [4, 4, 3, 2, 1, 4, 3, 1], "yesterday": [4, 4, 4, 4, 3], "repeats": 2},
    "Lisboa": {"today": [4, 3, 3, 3, 4, 2], "yesterday": [1, 2, 3, 4, 2], "repeats": 1},
}


def _send(central, token, device_id, ratings, when, seq_start, repeats=0, reasons=()):
    rows = [rating_row(seq_start + n, rating=value, recorded_at=when + timedelta(minutes=n))
            for n, value in enumerate(ratings)]
    rows += [rating_row(seq_start + len(ratings) + n, rating=4, filtered="repeat",
                        recorded_at=when + timedelta(minutes=30 + n)) for n in range(repeats)]
    followups = [followup_row(rows[index], reason=reason, reason_group=group, comment=comment)
                 for index, reason, group, comment in reasons]
    response = central.post_batch(token, batch(device_id, rows, followups, sent_at=RECEIVE_TIME))
    assert response.status_code == 200 and not response.json()["rejected"], response.text
    return seq_start + len(rows)


@pytest.fixture
def network(central):
    central.add_site("Kamppi", "Europe/Helsinki")
    central.add_site("Lisboa", "Europe/Lisbon")
    central.ok("add-provider", "Palvelu Oy")
    central.ok("add-provider", "Outra Lda")
    kamppi = central.enrolled_kiosk("kamppi-1", site="Kamppi", service="checkout", provider="Palvelu Oy")
    lisboa = central.enrolled_kiosk("lisboa-1", site="Lisboa", service="returns", provider="Outra Lda")
    central.enrolled_kiosk("kamppi-2", site="Kamppi", service="returns")  # no ratings: listed with zeros
    central.add_site("Tampere", "Europe/Helsinki")  # no kiosk at all: still on the overview
    morning = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    yesterday = morning - timedelta(days=1)
    seq = _send(central, *kamppi, SENT["Kamppi"]["yesterday"], yesterday, 1)
    _send(central, *kamppi, SENT["Kamppi"]["today"], morning, seq, SENT["Kamppi"]["repeats"], reasons=[
        (3, "waiting", "accessibility", "Jono oli pitkä"), (4, "staff", "attitude", None),
        (7, "waiting", "accessibility", None), (0, "outcome", "outcome", "=HYPERLINK(\"x\")")])
    seq = _send(central, *lisboa, SENT["Lisboa"]["yesterday"], yesterday, 1)
    _send(central, *lisboa, SENT["Lisboa"]["today"], morning, seq, SENT["Lisboa"]["repeats"], reasons=[
        (5, "outcome", "outcome", "Secret Lisboa remark")])
    admin_password, _ = central.add_user("hanna", "admin")
    viewer_password, _ = central.add_user("ville", "viewer", sites=["Kamppi"])
    return {"admin": central.log_in("hanna", admin_password), "viewer": central.log_in("ville", viewer_password),
            "kamppi": kamppi, "lisboa": lisboa}


def test_the_overview_shows_each_sites_figures_as_computed_by_hand(central, network):
    page = network["admin"].get("/overview")
    assert page.status_code == 200
    shown = rows_of(page.text, "site")
    assert set(shown) == {"Kamppi", "Lisboa", "Tampere"}
    target = DEFAULT_TARGET
    for site, sent in SENT.items():
        today, before = sent["today"], sent["yesterday"]
        satisfaction = shown_percent(sum(r >= 3 for r in today), len(today))
        assert shown[site]["responses"] == str(len(today))
        assert shown[site]["satisfaction"].startswith(f"{satisfaction} %")
        assert ("below" in shown[site]["satisfaction"]) == (satisfaction < target)
        assert shown[site]["happy_index"] == shown_index(today)
        enough_before = len(before) >= DEFAULT_MIN_RESPONSES
        change = satisfaction - shown_percent(sum(r >= 3 for r in before), len(before)) if enough_before else None
        assert (f"{change:+d}" if change else "–") in shown[site]["trend"].replace("▲ ", "").replace("▼ ", "")
    assert shown["Tampere"]["responses"] == "0" and shown["Tampere"]["satisfaction"] == "too few"


def test_seven_days_add_both_days(central, network):
    shown = rows_of(network["admin"].get("/overview?period=7d&lang=en").text, "site")
    for site, sent in SENT.items():
        ratings = sent["today"] + sent["yesterday"]
        assert shown[site]["responses"] == str(len(ratings))
        assert shown[site]["satisfaction"].startswith(f"{shown_percent(sum(r >= 3 for r in ratings), len(ratings))} %")


def test_filters_by_service_and_provider(central, network):
    service_id = central.query(lambda m: m.Service.get(m.Service.name == "returns").id)
    shown = rows_of(network["admin"].get(f"/overview?service={service_id}").text, "site")
    assert shown["Kamppi"]["responses"] == "0"
    assert shown["Lisboa"]["responses"] == str(len(SENT["Lisboa"]["today"]))
    provider_id = central.query(lambda m: m.Provider.get(m.Provider.name == "Palvelu Oy").id)
    shown = rows_of(network["admin"].get(f"/overview?provider={provider_id}").text, "site")
    assert shown["Kamppi"]["responses"] == str(len(SENT["Kamppi"]["today"]))
    assert shown["Lisboa"]["responses"] == "0"
    assert network["admin"].get("/overview?service=999999").status_code == 404  # names nothing
    for malformed in ("1%00", "%C2%B2", "-1", "1e3", "99999999999999999999"):  # not an id at all
        assert network["admin"].get(f"/overview?service={malformed}").status_code == 400, malformed


def test_providers_lift_or_drag_against_the_brand(central, network):
    shown = rows_of(network["admin"].get("/providers?lang=en").text, "provider")
    everything = SENT["Kamppi"]["today"] + SENT["Lisboa"]["today"]
    brand = shown_percent(sum(r >= 3 for r in everything), len(everything))
    for provider, site in (("Palvelu Oy", "Kamppi"), ("Outra Lda", "Lisboa")):
        ratings = SENT[site]["today"]
        mine = shown_percent(sum(r >= 3 for r in ratings), len(ratings))
        assert shown[provider]["satisfaction"].startswith(f"{mine} %")
        word = "lifts" if mine > brand else "drags"
        assert word in shown[provider]["against"] and f"{mine - brand:+d}" in shown[provider]["against"]


def test_services_show_each_service_across_sites(central, network):
    shown = rows_of(network["admin"].get("/services").text, "service")
    assert shown["checkout"]["responses"] == str(len(SENT["Kamppi"]["today"]))
    assert shown["returns"]["responses"] == str(len(SENT["Lisboa"]["today"]))


def test_drivers_give_the_unhappy_reasons_share(central, network):
    page = network["admin"].get("/drivers?lang=en")
    reasons = rows_of(page.text, "reason")
    # Unhappy (1-2) follow-ups today: Kamppi's rating 2 (waiting), 1 (staff), 1 (waiting); Lisboa's 2 (outcome).
    assert "waiting" in reasons and "staff" in reasons and "outcome" in reasons
    assert "50 %" in page.text  # waiting: 2 of 4
    assert "Functional: how" in page.text and "75 %" in page.text  # 3 of 4 are the process


def test_a_site_drill_down_and_its_day(central, network):
    site_id = central.query(lambda m: m.Site.get(m.Site.name == "Kamppi").id)
    page = network["admin"].get(f"/sites/{site_id}?period=7d")
    assert page.status_code == 200
    kiosks = rows_of(page.text, "kiosk")
    assert kiosks["kamppi-1"]["responses"] == str(len(SENT["Kamppi"]["today"]) + len(SENT["Kamppi"]["yesterday"]))
    assert kiosks["kamppi-2"]["responses"] == "0"
    days = rows_of(page.text, "day")
    assert days["2026-01-05"]["responses"] == str(len(SENT["Kamppi"]["today"]))
    assert days["2026-01-04"]["responses"] == str(len(SENT["Kamppi"]["yesterday"]))
    for language, words in (("en", ["85 % or more", "75–84 %", "under 75 %", "too few", "no ratings"]),
                            ("fi", ["85 % tai enemmän", "75–84 %", "alle 75 %", "liian vähän", "ei arvioita"]),
                            ("sv", ["85 % eller mer", "75–84 %", "under 75 %", "för få", "inga betyg"])):
        legend = re.search(r'<p class="legend legend--heat">(.*?)</p>', network["admin"].get(
            f"/sites/{site_id}?period=7d&lang={language}").text, re.S).group(1)
        assert re.findall(r'data-band="(\w+)"', legend) == ["good", "mid", "bad", "few", "none"]
        assert [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in legend.split("</span>")[:-1]] == words
    day = network["admin"].get(f"/sites/{site_id}/days/2026-01-05")
    assert day.status_code == 200 and day.text.count('class="face-') >= 4
    assert network["admin"].get(f"/sites/{site_id}/days/not-a-day").status_code == 404


def test_a_comment_is_listed_only_where_its_rating_counts(central):
    """A repeat's or a closed rating's comment is left out of the Comments page, as its follow-up is left
    out of the drivers: the page and the figures follow one rule."""
    token, device_id = central.enrolled_kiosk()
    morning = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    rows = [rating_row(1, rating=2, recorded_at=morning),
            rating_row(2, rating=1, recorded_at=morning + timedelta(seconds=1), filtered="repeat"),
            rating_row(3, rating=1, recorded_at=morning + timedelta(minutes=5), filtered="closed")]
    followups = [followup_row(rows[0], reason="waiting", reason_group="accessibility", comment="Kassa oli hidas"),
                 followup_row(rows[1], reason="staff", reason_group="attitude", comment="Painoin kahdesti"),
                 followup_row(rows[2], reason="staff", reason_group="attitude", comment="Suljettu, silti vastasin")]
    response = central.post_batch(token, batch(device_id, rows, followups, sent_at=RECEIVE_TIME))
    assert response.status_code == 200 and not response.json()["rejected"], response.text
    password, _ = central.add_user("hanna", "admin")
    admin = central.log_in("hanna", password)
    comments = admin.get("/comments?lang=en").text
    assert "Kassa oli hidas" in comments
    assert "Painoin kahdesti" not in comments and "Suljettu, silti vastasin" not in comments
    drivers = admin.get("/drivers?lang=en").text
    assert rows_of(drivers, "reason").keys() == {"waiting"}  # the repeat's and the closed one's "staff" count nowhere
    exported = central.query(lambda m: m.Followup.select().count())
    assert exported == 3  # the rows are all kept (and exported with their filter); only the lists leave them out


def test_comments_are_searchable_and_an_admin_redacts_from_the_list(central, network):
    admin = network["admin"]
    page = admin.get("/comments")
    assert "Jono oli pitkä" in page.text and "Secret Lisboa remark" in page.text
    assert "=HYPERLINK" in page.text  # shown as text, escaped
    searched = admin.get("/comments?q=jono")
    assert "Jono oli pitkä" in searched.text and "Secret Lisboa remark" not in searched.text
    followup_id = central.query(lambda m: m.Followup.get(m.Followup.comment == "Jono oli pitkä").id)
    response = admin.post(f"/comments/{followup_id}/redact", csrf_from="/comments")
    assert response.status_code == 200 and "Jono oli pitkä" not in response.text
    assert central.query(lambda m: m.Followup.get_by_id(followup_id).comment) is None


def test_a_viewer_sees_only_their_site_everywhere(central, network):
    viewer = network["viewer"]
    for path in PAGES:
        page = viewer.get(path)
        assert page.status_code == 200, path
        assert "Lisboa" not in page.text and "lisboa-1" not in page.text, path
        assert "Secret Lisboa remark" not in page.text, path
    exported = json.loads(viewer.get("/export?format=json&period=7d").text)
    assert exported and {row["site"] for row in exported} == {"Kamppi"}
    lisboa_id = central.query(lambda m: m.Site.get(m.Site.name == "Lisboa").id)
    assert viewer.get(f"/sites/{lisboa_id}").status_code == 404
    assert viewer.get(f"/sites/{lisboa_id}/days/2026-01-05").status_code == 404
    secret = central.query(lambda m: m.Followup.get(m.Followup.comment == "Secret Lisboa remark").id)
    response = viewer.post(f"/comments/{secret}/redact", csrf_from="/comments")
    assert response.status_code == 403
    assert central.query(lambda m: m.Followup.get_by_id(secret).comment) == "Secret Lisboa remark"


def test_anonymous_gets_the_login_for_every_page(central, network):
    anonymous = WebSession(central.url)
    site_id = central.query(lambda m: m.Site.get(m.Site.name == "Kamppi").id)
    for path in (*PAGES, f"/sites/{site_id}", f"/sites/{site_id}/days/2026-01-05"):
        page = anonymous.get(path, allow_redirects=False)
        assert page.status_code == 302 and "/login" in page.headers["Location"], path


def test_a_redaction_without_the_csrf_token_is_refused(central, network):
    followup_id = central.query(lambda m: m.Followup.get(m.Followup.comment == "Jono oli pitkä").id)
    response = network["admin"].post(f"/comments/{followup_id}/redact")
    assert response.status_code == 400
    assert central.query(lambda m: m.Followup.get_by_id(followup_id).comment) == "Jono oli pitkä"


def test_the_fleet_flags_a_kiosk_silent_in_opening_hours(central, network):
    token, device_id = network["kamppi"]
    heartbeat = {"kiosk_id": device_id, "software_version": "1.2.3", "pending": 3, "oldest_pending_seconds": 120.0,
                 "quarantined": 0, "boot_id": "b", "wall": format_time(TODAY + timedelta(minutes=5)),
                 "monotonic": 50.0, "clock_trusted": True, "free_disk_bytes": 5_000_000_000, "gap_error": None}
    central.clock.set_wall(TODAY - timedelta(hours=3))
    assert central.request("POST", "/api/v1/heartbeat", token, json=heartbeat).status_code == 200
    central.clock.set_wall(TODAY)
    page = network["admin"].get("/fleet")
    fleet = rows_of(page.text, "kiosk")
    assert 'data-kiosk="kamppi-1" data-silent="yes"' in page.text  # open around the clock, silent 3 h
    assert 'data-kiosk="lisboa-1" data-silent="no"' in page.text  # never reported: not enrolled long enough
    assert "1.2.3" in page.text and "5.0 GB" in page.text
    assert set(fleet) == {"kamppi-1", "kamppi-2", "lisboa-1"}


def test_site_to_kiosk_to_day(central, network):
    admin = network["admin"]
    ids = central.query(lambda m: {k.name: (k.id, k.site_id) for k in m.Kiosk.select()})
    kiosk_id, site_id = ids["kamppi-1"]
    page = admin.get(f"/sites/{site_id}?kiosk={kiosk_id}&period=7d")
    assert page.status_code == 200 and "<h1>kamppi-1</h1>" in page.text
    days = rows_of(page.text, "day")
    assert days["2026-01-05"]["responses"] == str(len(SENT["Kamppi"]["today"]))
    day = admin.get(f"/sites/{site_id}/days/2026-01-05?kiosk={kiosk_id}")
    assert day.status_code == 200 and "kamppi-1" in day.text
    empty_kiosk, _ = ids["kamppi-2"]
    assert rows_of(admin.get(f"/sites/{site_id}?kiosk={empty_kiosk}").text, "day") == {}
    lisboa_kiosk, _ = ids["lisboa-1"]
    for bad, status in ((lisboa_kiosk, 404), ("999999", 404), ("1e3", 400), ("%00", 400), ("%C2%B9", 400)):
        assert admin.get(f"/sites/{site_id}?kiosk={bad}").status_code == status, bad
        assert admin.get(f"/sites/{site_id}/days/2026-01-05?kiosk={bad}").status_code == status, bad
    viewer = network["viewer"]
    assert viewer.get(f"/sites/{site_id}?kiosk={lisboa_kiosk}").status_code == 404


HOSTILE_QUERIES = [
    "period=%00", "period=" + "x" * 5000, "from=2026-13-45&to=2026-01-01", "from=2026-01-05&to=2025-01-01",
    "from=0001-01-01&to=9999-12-31", "from=2026-01-01&to=2027-06-01", "sort=%27%3B--&dir=%00",
    "service=-1", "provider=99999999999999999999", "service=%F0%9F%98%80", "q=%00%ED%A0%80%E2%80%AE",
    "q=" + "%25" * 300, "page=99999999999999999999", "page=-3", "by=%00", "kiosk=%00", "lang=%00",
    "from=%ED%A0%80&to=%ED%A0%80", "_method=DELETE", "endpoint=x", "_external=1&_scheme=javascript", "_anchor=x",
    "service=%C2%B2", "provider=%C2%B9", "kiosk=%C2%B9", "site=%C2%B9", "page=%C2%B2",
    "from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31", "period=7d&sort=trend&_method=DELETE",
]


def test_hostile_query_strings_get_a_page_or_a_clear_4xx(central, network):
    """Every hostile query on every page, on one network per backend (the pages only read)."""
    site_id = central.query(lambda m: m.Site.get(m.Site.name == "Kamppi").id)
    answers = {}
    for query in HOSTILE_QUERIES:
        for path in ("/overview", "/services", "/providers", "/drivers", "/comments", "/fleet",
                     f"/sites/{site_id}", f"/sites/{site_id}/days/2026-01-05", "/export"):
            answers[(path, query[:40])] = network["admin"].get(f"{path}?{query}").status_code
    assert {key: status for key, status in answers.items() if status not in (200, 400, 404)} == {}


@pytest.mark.parametrize("query, says", [("from=2026-01-05&to=2025-01-01", "start is after its end"),
                                         ("from=2026-01-01&to=2027-06-01", "at most 366 days"),
                                         ("from=2026-13-45&to=2026-01-01", "YYYY-MM-DD"),
                                         ("period=decade", "expected one of")])
def test_a_period_that_cannot_be_shown_says_why_and_shows_today(central, network, query, says):
    page = network["admin"].get(f"/overview?{query}")
    assert page.status_code == 400 and says in page.text and 'role="alert"' in page.text
    assert 'id="sites"' in page.text  # the page itself, with today's figures, not an error page
    assert network["admin"].get(f"/export?{query}").status_code == 400


def test_the_export_buttons_of_a_site_and_a_kiosk_export_just_those(central, network):
    admin = network["admin"]
    ids = central.query(lambda m: {k.name: (k.id, k.site_id) for k in m.Kiosk.select()})
    kiosk_id, site_id = ids["kamppi-1"]
    page = admin.get(f"/sites/{site_id}?period=7d")
    link = re.search(r'href="(/export\?[^"]*format=json[^"]*)"', page.text).group(1).replace("&amp;", "&")
    assert f"site={site_id}" in link
    exported = json.loads(admin.get(link).text)
    assert len(exported) == sum(len(SENT["Kamppi"][day]) for day in ("today", "yesterday")) + SENT["Kamppi"]["repeats"]
    assert {row["site"] for row in exported} == {"Kamppi"}
    empty_kiosk, _ = ids["kamppi-2"]
    kiosk_page = admin.get(f"/sites/{site_id}?period=7d&kiosk={empty_kiosk}")
    link = re.search(r'href="(/export\?[^"]*format=json[^"]*)"', kiosk_page.text).group(1).replace("&amp;", "&")
    assert json.loads(admin.get(link).text) == []
    lisboa_kiosk, lisboa_site = ids["lisboa-1"]
    assert admin.get(f"/export?format=json&site={site_id}&kiosk={lisboa_kiosk}").status_code == 404
    assert network["viewer"].get(f"/export?format=json&site={lisboa_site}").status_code == 404
    assert network["viewer"].get(f"/export?format=json&kiosk={kiosk_id}").status_code == 404


def test_today_exports_each_sites_own_local_day(central, network):
    """Near midnight "today" is a different date in Helsinki and in Lisbon: each site gives its own."""
    central.clock.set_wall(datetime(2026, 1, 5, 22, 30, tzinfo=timezone.utc))  # 00:30 on the 6th in Helsinki
    password, _ = central.add_user("night-shift", "admin")  # the morning's sessions have ended by now
    exported = json.loads(central.log_in("night-shift", password).get("/export?format=json&period=today").text)
    # Nothing is sent for 6 January, so Helsinki's today is empty; Lisbon's today is still the 5th.
    assert {row["site"] for row in exported} == {"Lisboa"}
    assert len(exported) == len(SENT["Lisboa"]["today"]) + SENT["Lisboa"]["repeats"]


def test_providers_stand_against_the_target_by_site_and_by_service(central, network):
    central.ok("set-target", "70")
    page = network["admin"].get("/providers?lang=en")
    shown = rows_of(page.text, "provider")
    for provider, site in (("Palvelu Oy", "Kamppi"), ("Outra Lda", "Lisboa")):
        mine = shown_percent(sum(r >= 3 for r in SENT[site]["today"]), len(SENT[site]["today"]))
        word = "on target" if mine >= 70 else "below target"
        assert word in shown[provider]["against-target"] and f"{mine - 70:+d}" in shown[provider]["against-target"]
    matrix = re.search(r'<table class="data matrix" id="provider-sites">(.*?)</table>', page.text, re.S).group(1)
    kamppi_cell = re.search(r'<tr data-matrix-provider="Palvelu Oy">.*?data-site="Kamppi">(.*?)</td>', matrix,
                            re.S).group(1)
    mine = shown_percent(sum(r >= 3 for r in SENT["Kamppi"]["today"]), len(SENT["Kamppi"]["today"]))
    assert f"{mine} %" in kamppi_cell and f"({len(SENT['Kamppi']['today'])})" in kamppi_cell
    by_service = re.search(r'id="provider-services">(.*?)</table>', page.text, re.S).group(1)
    assert 'data-service="checkout"' in by_service and 'data-service="returns"' in by_service


def test_the_fleet_shows_each_kiosks_last_sync(central, network):
    central.clock.set_wall(TODAY + timedelta(hours=2))
    page = network["admin"].get("/fleet?lang=en")
    last_sync = {name: re.search(rf'data-kiosk="{name}".*?</td>\s*<td>.*?</td>\s*<td.*?</td>\s*<td[^>]*>(.*?)</td>',
                                 page.text, re.S).group(1) for name in ("kamppi-1", "kamppi-2")}
    assert "2 h" in last_sync["kamppi-1"] and "ago" in last_sync["kamppi-1"]  # its batches came at 12:00
    assert "never" in last_sync["kamppi-2"]


def test_the_fleet_flags_a_kiosk_enrolled_and_never_heard_from(central, network):
    central.clock.set_wall(TODAY + timedelta(minutes=61))  # every site is open around the clock
    page = network["admin"].get("/fleet")
    assert 'data-kiosk="kamppi-2" data-silent="yes"' in page.text


@pytest.mark.parametrize("target, bands", [(None, (80, 60)), (85, (85, 75)), (5, (5, 0))])
def test_the_heat_map_is_shaded_against_the_target(target, bands):
    """Green exactly where an hour meets the brand's target, amber up to 10 points under it, and a legend
    naming every band a cell can have."""
    cells = {(0, hour): Counts(faces=(100 - value, 0, 0, value))  # satisfaction: value %
             for hour, value in enumerate((bands[0], bands[0] - 1, bands[1], max(bands[1] - 1, 0)), start=8)}
    cells[(1, 8)] = Counts(faces=(0, 0, 1, 1))  # too few
    heat = charts.heat_map(cells, target)
    shades = [cell.shade for cell in heat.rows[0][1]]
    expected = ["heat-good", "heat-mid", "heat-mid" if bands[1] < bands[0] else "heat-good",
                "heat-bad" if bands[1] > 0 else "heat-mid"]
    assert shades == expected
    assert [cell.shade for cell in heat.rows[1][1]] == ["heat-few", "heat-none", "heat-none", "heat-none"]
    legend = {entry.band: entry.values for entry in heat.legend}
    assert legend["good"] == {"n": bands[0]} and "few" in legend and "none" in legend
    assert ("bad" in legend) == (bands[1] > 0)
