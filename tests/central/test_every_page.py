"""Every page of head office's, in every language, as every kind of user: never a 5xx, never English
left on a Finnish or Swedish page.

The routes come from central's own URL map (tests/helpers/routes.py), so a page added later is
requested the day it is added; its path ids come from a seeded network, and a kind of id the network
does not give is a failure, not a skip. The network: three sites in two time zones (Helsinki and
Stockholm), two services, two providers, kiosks with ratings, reasons and comments (one comment
blanked), a silent kiosk and a revoked one, open alerts (one acknowledged), and ratings on
both sides of both changes of daylight saving time (26 October 2025 and 29 March 2026) and around
local midnight, so the day pages of a 25-hour and a 23-hour day are among those asked.

Each URL is asked in Finnish, Swedish and English (the browser's ``Accept-Language``) by an admin,
by the viewer of Kamppi and by the viewer of Södermalm (for whom Kamppi's pages do not exist): the
answer is a 200, 302, 403 or 404, and a Finnish or Swedish HTML answer shows none of the English
message ids its catalog translates (tests/helpers/untranslated.py). The page URLs also carry
the query ids the pages take (a kiosk on its site's pages, a service, a provider, a period, the
drivers' grouping), and each route is asked once with an id that does not exist.
"""
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.central.alerts import episodes as alerts
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.network import parse_page
from tests.helpers.routes import PageRoute, page_routes
from tests.helpers.untranslated import EnglishFinder

pytestmark = pytest.mark.parametrize(
    "module_central", ["sqlite", "postgresql"], indirect=True,
    scope="module")

#: Central's now: Tuesday 31 March 2026, 10:00 UTC (13:00 in Helsinki, 12:00 in Stockholm), summer time.
NOW = datetime(2026, 3, 31, 10, 0, tzinfo=timezone.utc)
LANGUAGES = ("fi", "sv", "en")
ALLOWED = {200, 302, 403, 404}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CATALOGS = "sync/central/translations/{language}/LC_MESSAGES/messages.po"
#: Days with ratings (local days of both zones): both sides of the autumn's and the spring's change.
RATED_DAYS = [date(2025, 10, 25), date(2025, 10, 26), date(2025, 10, 27),
              date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 3, 31)]
CHANGE_DAYS = ["2025-10-26", "2026-03-29"]  # 25 hours and 23 hours long in both zones
#: The day pages asked: both changes of time, the day after one, today, a day with nothing, a leap day.
ASKED_DAYS = [*CHANGE_DAYS, "2026-03-30", "2026-03-31", "2026-03-01", "2024-02-29"]
SITES = {"Kamppi": "Europe/Helsinki", "Södermalm": "Europe/Stockholm", "Tampere": "Europe/Helsinki"}
#: kiosk -> (site, service, provider, sends ratings)
KIOSKS = {
    "kamppi-1": ("Kamppi", "Kassa", "Palvelu Oy", True),
    "kamppi-2": ("Kamppi", "Palautukset", None, True),
    "soder-1": ("Södermalm", "Kassa", "Städ AB", True),
    "tampere-1": ("Tampere", "Palautukset", "Palvelu Oy", False),  # enrolled, never heard from since
}
REASONS = [("waiting", "accessibility", "Jono oli pitkä ja kassoja auki vain yksi"),
           ("staff", "attitude", None), ("outcome", "outcome", "Kvittot saknades"),
           ("premises", "environment", "Lattia oli märkä")]
#: Users: who -> (name, role, sites).
USERS = {"admin": ("hanna", "admin", ()), "viewer": ("ville", "viewer", ("Kamppi",)),
         "other viewer": ("sanna", "viewer", ("Södermalm",))}


def _local(day, hour, minute, zone):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def _day_rows(day, zone, seq, kiosk_index):
    """A day's ratings at one kiosk: a morning, a lunch peak, an evening, and one just before and one just
    after local midnight (the day's edges, which a change of offset moves)."""
    moments = [_local(day, 0, 20, zone), _local(day, 23, 40, zone)]
    moments += [_local(day, hour, minute, zone) for hour in (8, 11, 12, 12, 13, 17, 19) for minute in (5, 35)]
    rows, followups = [], []
    for n, moment in enumerate(sorted(moments)):
        if moment > NOW:
            continue
        rating = [4, 4, 3, 1, 4, 2, 3, 4, 1, 4][(n + kiosk_index + day.toordinal()) % 10]
        row = rating_row(seq, rating=rating, recorded_at=moment, monotonic=float(1000 + seq))
        rows.append(row)
        seq += 1
        if rating <= 2:
            reason, group, comment = REASONS[(n + day.day) % len(REASONS)]
            followups.append(followup_row(row, reason=reason, reason_group=group, comment=comment))
    return rows, followups, seq


def _send(central, token, device_id, site, kiosk_index):
    rows, followups, seq = [], [], 1
    for day in RATED_DAYS:
        day_rows, day_followups, seq = _day_rows(day, SITES[site], seq, kiosk_index)
        rows += day_rows
        followups += day_followups
    rows.append(rating_row(seq, rating=4, recorded_at=NOW - timedelta(minutes=1), monotonic=float(1000 + seq),
                           filtered="repeat"))
    response = central.post_batch(token, batch(device_id, rows, followups, sent_at=NOW,
                                               monotonic=float(1000 + seq + 60)))
    assert response.status_code == 200 and not response.json()["rejected"], response.text


def _action(kiosk_id, title, started_on, target, **fields):
    return {"id": str(uuid.uuid4()), "kiosk_id": kiosk_id, "title": title, "note": fields.pop("note", None),
            "started_on": started_on, "target": target, "supersedes": None, "withdrawn": False,
            "recorded_at": "2026-03-31T09:00:00Z", **fields}


def _record_actions(central, enrolled):
    """Actions of every kind of target, one edited and one withdrawn: a kiosk's through the API, and one
    young one (started yesterday) whose after side is short."""
    token, device = enrolled["kamppi-1"]
    lunch = _action(device, "Toinen kassa lounaalle", "2026-03-28",
                    {"kind": "hours", "weekdays": [1, 2, 3, 4, 5, 6], "from_hour": 11, "to_hour": 14},
                    note="Ruuhka-apu klo 11–14 <b>ei lihavoitu</b>")
    edited = _action(device, "Toinen kassa lounaalle ja iltaan", "2026-03-28",
                     {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11, "to_hour": 19},
                     supersedes=lunch["id"], recorded_at="2026-03-31T09:05:00Z")
    queue = _action(device, "Jonon ohjaus", "2025-10-27", {"kind": "reason", "reason": "waiting"})
    floor = _action(device, "Lattiamatto", "2026-03-30", {"kind": "site"})
    withdrawn = dict(floor, id=str(uuid.uuid4()), supersedes=floor["id"], withdrawn=True,
                     recorded_at="2026-03-31T09:10:00Z")
    for action in (lunch, edited, queue, floor, withdrawn):
        response = central.request("POST", "/api/v1/actions", token, json=action)
        assert response.status_code == 201, response.text
    token, device = enrolled["soder-1"]
    response = central.request("POST", "/api/v1/actions", token,
                               json=_action(device, "Ny skylt vid kassan", "2026-03-30", {"kind": "site"}))
    assert response.status_code == 201, response.text


def _build(central):
    central.clock.set_wall(NOW - timedelta(days=2))  # the kiosks were enrolled two days ago
    for site, zone in SITES.items():
        hours = ("sat=10:00-16:00", "tue=08:00-20:00", "mon=08:00-20:00") if site == "Kamppi" else ()
        central.add_site(site, zone, hours=hours)
    for provider in ("Palvelu Oy", "Städ AB"):
        central.ok("add-provider", provider)
    enrolled = {name: central.enrolled_kiosk(name, site=site, service=service, provider=provider)
                for name, (site, service, provider, _) in KIOSKS.items()}
    central.clock.set_wall(NOW)
    for index, (name, (site, _, _, sends)) in enumerate(KIOSKS.items()):
        if sends:
            _send(central, *enrolled[name], site, index)
    _record_actions(central, enrolled)
    central.add_kiosk("kamppi-vanha", "Kamppi", "Kassa")
    central.ok("revoke-kiosk", "kamppi-vanha")
    central.ok("set-target", "85")
    central.ok("add-alert", "--site", "Kamppi", "--unhappy-share", "10", "--window", "600", "--min-responses", "2",
               "--silent-minutes", "30", "--email", "ops@example.com")
    central.ok("add-alert", "--service", "Palautukset", "--silent-minutes", "30", "--webhook",
               "https://hooks.example.com/hymy")
    result = central.cli("set-site-pin", "Kamppi", input="246813\n246813\n")
    assert result.exit_code == 0, result.output
    alerts.evaluate(NOW - timedelta(days=1))  # an episode that the next evaluation may end
    alerts.evaluate(NOW)
    users = {}
    for who, (name, role, sites) in USERS.items():
        password, _ = central.add_user(name, role, sites=sites)
        users[who] = central.log_in(name, password)

    def ids(models):
        episodes = [episode.id for episode in models.Alert.select()]
        if episodes:
            alerts.acknowledge(episodes[0], "hanna")
        comment = models.Followup.select().where(models.Followup.comment.is_null(False)).first()
        kiosks = {}
        for kiosk in models.Kiosk.select().order_by(models.Kiosk.name):
            kiosks.setdefault(kiosk.site_id, []).append(kiosk.id)
        return {
            "site_id": [site.id for site in models.Site.select().order_by(models.Site.name)],
            "kiosks of": kiosks,
            "service": [service.id for service in models.Service.select()],
            "provider": [provider.id for provider in models.Provider.select()],
            "alerts": len(episodes), "comment": comment.id,
            # Every row: the latest versions give the filled form, a replaced one or a withdrawal a redirect.
            "action_id": [action.id for action in models.Action.select().order_by(models.Action.recorded_at)],
        }

    found = central.query(ids)
    central.ok("redact-comment", str(found["comment"]), "--by", "hanna")
    assert found["alerts"] >= 2, "the network should hold alerts to show"
    found["day"] = ASKED_DAYS
    return found, users


@pytest.fixture(scope="module")
def network(module_central):
    found, users = _build(module_central)
    yield found, users
    for session in users.values():
        session.close()


def query_strings(ids):
    """Per endpoint, the query strings each URL is asked with (``{}``: none): each kind of id a page takes
    in its query. A site's pages take its own kiosks and one of another site's (a 404); a day page
    takes them on the days of the changes of time only, where a kiosk's hours are likeliest to go wrong."""
    periods = [{"period": "30d"}, {"from": "2025-10-20", "to": "2026-03-31"}]  # "today" is the default
    filters = [{"service": value} for value in ids["service"]] + [{"provider": value} for value in ids["provider"]]
    everyone = [kiosk for kiosks in ids["kiosks of"].values() for kiosk in kiosks]

    def kiosks(site_id):
        own = ids["kiosks of"].get(site_id, [])
        foreign = [kiosk for kiosk in everyone if kiosk not in own][:1]
        return [{"kiosk": kiosk} for kiosk in own + foreign]

    def site_day(values):
        changes = values["day"] in (CHANGE_DAYS if values["site_id"] in ids["kiosks of"] else ())
        return [{}] + (kiosks(values["site_id"]) if changes else [])

    return {
        "pages.overview": [{}, {"period": "7d"}, *periods, *filters, {"sort": "trend", "dir": "desc"}],
        "pages.site": lambda values: [{}, *kiosks(values["site_id"]), *periods],
        "pages.site_day": site_day,
        "pages.services": [{}, *periods, *filters],
        "pages.providers": [{}, *periods, *filters],
        "pages.drivers": [{}, *[{"by": by, "period": "30d"} for by in ("site", "service", "provider")], *filters],
        "pages.comments": [{}, {"period": "30d"}, {"period": "30d", "q": "jono"}, {"page": "2", "period": "30d"}],
        "pages.fleet": [{}, *filters],
        "pages.export": [{}, {"format": "json", "period": "30d"}, {"site": ids["site_id"][0], "period": "30d"}],
        "actions.actions_list": [{}, {"sort": "effect"}, {"sort": "site"}],
    }


#: An id that names nothing, per path argument: each route is also asked once with these.
UNKNOWN = {"site_id": [987654], "day": ["2026-02-30"], "action_id": ["00000000-0000-4000-8000-000000000000"]}


def every_url(app, ids):
    """Every page route of *app* with the network's ids and its query strings, and once with ids that name
    nothing."""
    queries = query_strings(ids)
    urls = []
    for route in page_routes(app):
        urls += route.urls(ids, queries.get(route.endpoint, ()))
        if route.arguments:
            urls += route.urls({**ids, **UNKNOWN})[:1]
    return urls


def test_the_routes_are_read_from_the_app_and_a_missing_id_kind_fails(module_central):
    routes = page_routes(module_central.app)
    rules = {route.rule for route in routes}
    assert {"/overview", "/sites/<id:site_id>", "/sites/<id:site_id>/days/<day:day>", "/admin", "/export"} <= rules
    assert not any(rule.startswith(("/api/", "/static/")) for rule in rules)
    day_page = next(route for route in routes if route.endpoint == "pages.site_day")
    with pytest.raises(LookupError, match="no values for day"):
        day_page.urls({"site_id": [1]})
    route = PageRoute("/x/<int:n>", "x", ("n",))
    assert route.urls({"n": [3, 4]}, [{}, {"a": "b"}]) == ["/x/3", "/x/3?a=b", "/x/4", "/x/4?a=b"]
    assert route.urls({"n": [3, 4]}, lambda values: [{"m": values["n"] * 2}]) == ["/x/3?m=6", "/x/4?m=8"]


def test_every_page_in_every_language_for_every_user_answers_without_a_5xx_or_english(module_central, network):
    ids, users = network
    urls = every_url(module_central.app, ids)
    finders = {language: EnglishFinder(CATALOGS.format(language=language)) for language in ("fi", "sv")}
    statuses, problems, requests_made = Counter(), [], 0
    for who, session in users.items():
        for language in LANGUAGES:
            for url in urls:
                response = session.http.get(module_central.url + url, allow_redirects=False, timeout=60,
                                            headers={"Accept-Language": language, "Accept": BROWSER})
                requests_made += 1
                statuses[response.status_code] += 1
                where = f"{who}, {language}: GET {url}"
                if response.status_code not in ALLOWED:
                    problems.append(f"{where} answered {response.status_code}: {response.text[:300]}")
                    continue
                if language in finders and response.headers.get("Content-Type", "").startswith("text/html"):
                    left = finders[language].left_in(response.text)
                    if left:
                        problems.append(f"{where} ({response.status_code}) shows English: {left}")
    assert not problems, f"{len(problems)} of {requests_made} answers wrong:\n" + "\n".join(problems[:40])
    print(f"\n{requests_made} requests on {module_central.backend}: {dict(sorted(statuses.items()))}")
    # Each kind of user met each kind of answer a page may give: pages, links on, and refusals.
    assert statuses[200] and statuses[302] and statuses[403] and statuses[404], statuses


EMPTY_HOURS = {"fi": "Tyhjä: avoinna ympäri vuorokauden", "sv": "Tom: öppet dygnet runt",
               "en": "Empty: open around the clock"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_opening_hours_box_reads_as_open_around_the_clock_not_as_hours(module_central, network,
                                                                                 language):
    _, users = network
    response = users["admin"].http.get(module_central.url + "/admin", timeout=60,
                                       headers={"Accept-Language": language})
    page = parse_page(response.text)
    boxes = {row.attrs["data-site"]: row.find("textarea", name="hours") for row in page.find_all("tr", data_site=True)}
    assert boxes["Södermalm"].text() == "" and boxes["Tampere"].text() == ""
    assert boxes["Kamppi"].text().split() == ["mon=08:00-20:00", "tue=08:00-20:00", "sat=10:00-16:00"]
    for box in page.find_all("textarea", name="hours"):  # each site's and the new site's
        assert box.attrs["placeholder"] == EMPTY_HOURS[language]
        assert box.attrs["aria-describedby"] == "hours-hint"
    hint = page.one("p", id="hours-hint")
    assert [code.text() for code in hint.find_all("code")] == ["mon=08:00-20:00", "sat=10:00-14:00,15:00-18:00"]
    assert EMPTY_HOURS[language].split(": ")[1].split()[-1] in hint.text()  # "vuorokauden", "runt", "clock"
