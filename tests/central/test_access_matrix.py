"""Who gets what from central: every route, as anonymous, as a viewer of another site, as the site's
own viewer and as an admin, on SQLite and on PostgreSQL.

One small network is built once per backend: sites A (Arabianranta) and B (Bulevardi), two kiosks
each with ratings and comments, a site alert rule per site and one for a service both sites run,
with open episodes (and more of A's, ended, than the Alerts page shows at once), and four users: an
admin, a viewer of A, a viewer of B and a viewer of no site yet. Each site also has a service and a
provider that serve it alone, so a viewer of the other site seeing their names is a leak as surely
as seeing the site's own name.

:data:`MATRIX` names every route of the app with its check (a test fails when a route has none):

- anonymous: a page is the login (302), an API a 401, a form changes nothing; none of any site's
  names, kiosks or comments is in the answer;
- a viewer asking for the other site's things (its id, a kiosk, a day, a comment, an alert, an
  export, a filter naming its service or provider): a 404/403, or a page with none of that site's
  names, kiosk names or comment texts;
- a viewer asking for their own site: they see it, and nothing of the other;
- an admin sees both; a viewer on ``/admin`` gets a 403;
- a form without its CSRF token is a 400 and changes nothing in the database.
"""
import csv
import io
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from sync.central.alerts import episodes as alerts
from sync.central.store.db import write_transaction
from sync.wire.protocol import format_time
from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.central import RECEIVE_TIME, WebSession

TODAY = "2026-01-05"  # RECEIVE_TIME's local day at both sites (Helsinki)
MORNING = datetime(2026, 1, 5, 11, 0, tzinfo=timezone.utc)  # today's ratings: 13:00 in Helsinki
YESTERDAY = datetime(2026, 1, 4, 10, 0, tzinfo=timezone.utc)
SHARED_SERVICE, SHARED_PROVIDER = "Shared checkout", "Yhteinen Palvelu Oy"
RULE = ("--unhappy-share", "10", "--window", "180", "--min-responses", "2", "--silent-minutes", "30",
        "--email", "ops@example.com")
#: A's ended episodes, newer than B's one ended episode: more than the Alerts page shows at once.
FILLER_EPISODES = 200
_names = itertools.count(1)


@dataclass
class Kiosk:
    name: str
    service: str
    provider: str
    today: list  # ratings (1-4), a minute apart from MORNING
    yesterday: list = field(default_factory=list)
    comments: dict = field(default_factory=dict)  # index in today's ratings -> (reason, group, comment)


@dataclass
class Place:
    """One site of the network and everything that is its alone."""

    key: str
    name: str
    only_service: str
    only_provider: str
    kiosks: list

    @property
    def kiosk_names(self):
        return [kiosk.name for kiosk in self.kiosks]

    @property
    def comment_texts(self):
        return [text for kiosk in self.kiosks for _, _, text in kiosk.comments.values()]

    @property
    def counted_today(self):
        return sum(len(kiosk.today) for kiosk in self.kiosks)

    @property
    def counted(self):
        return sum(len(kiosk.today) + len(kiosk.yesterday) for kiosk in self.kiosks)

    @property
    def secrets(self):
        """What no one who may not see this site may find in an answer."""
        return [self.name, *self.kiosk_names, *self.comment_texts]

    @property
    def catalogue(self):
        """The service and provider that serve this site alone."""
        return [self.only_service, self.only_provider]


A = Place("A", "Arabianranta", "sauna rental", "Kuusi Palvelut Oy", [
    Kiosk("arabia-front", SHARED_SERVICE, SHARED_PROVIDER, [1, 1, 2, 4, 3, 1, 2],
          comments={0: ("waiting", "accessibility", "Jono ei liikkunut lainkaan"),
                    1: ("outcome", "outcome", "Please blank this remark")}),
    Kiosk("arabia-back", "sauna rental", "Kuusi Palvelut Oy", [3, 4, 1, 4], [4, 4, 3],
          comments={2: ("staff", "attitude", "Sauna was cold again")}),
])
B = Place("B", "Bulevardi", "book lending", "Tammi Services Ab", [
    Kiosk("bulevardi-front", SHARED_SERVICE, SHARED_PROVIDER, [4, 2, 3],
          comments={1: ("waiting", "accessibility", "Lainaus sujui hitaasti")}),
    Kiosk("bulevardi-back", "book lending", "Tammi Services Ab", [4, 1], [2, 4],
          comments={1: ("staff", "attitude", "Book return desk unmanned")}),
])
PLACES = {"A": A, "B": B}
OTHER = {"A": B, "B": A}
#: The comment the admin's redaction blanks (not one the other checks look for on their own site).
SPARE_COMMENT = "Please blank this remark"
#: The service-wide rule's window over both sites: 6 of 10 unhappy (A: 5 of 7, B: 1 of 3).
NETWORK_WIDE_COUNTS = "6 of 10 counted"


@dataclass
class Net:
    central: object
    sessions: dict  # "admin", "A", "B", "none" -> a logged-in WebSession (A, B: the site's viewer; none: of no site)
    passwords: dict
    api_tokens: dict  # the same -> user API token
    kiosk_tokens: dict  # kiosk name -> (token, device id)
    batches: dict  # kiosk name -> the batch it sent (for re-delivery)
    site_ids: dict  # "A", "B" -> id
    kiosk_ids: dict  # kiosk name -> id
    service_ids: dict
    provider_ids: dict
    user_ids: dict
    comment_ids: dict  # comment text -> followup id
    episodes: dict  # "A", "B" -> ids of episodes only that site's users may see; "shared": the service rule's
    old_episode_b: int  # B's ended episode, older than A's FILLER_EPISODES
    fillers: list  # A's ended episodes
    csrf: dict = field(default_factory=dict)  # who -> their session's CSRF token

    def get(self, who, path, **kwargs):
        """GET *path* as ``"anonymous"``, ``"admin"``, the viewer of ``"A"``/``"B"`` or of ``"none"``; never
        followed."""
        if who != "anonymous":
            return self.sessions[who].get(path, allow_redirects=False, **kwargs)
        anonymous = WebSession(self.central.url)
        try:
            return anonymous.get(path, allow_redirects=False, **kwargs)
        finally:
            anonymous.close()

    def post(self, who, path, data, csrf=True):
        """POST a form as *who* (``"anonymous"``: one anonymous browser), with the session's CSRF token or
        without; never followed."""
        if who not in self.sessions:
            self.sessions[who] = WebSession(self.central.url)
        session = self.sessions[who]
        data = dict(data)
        if csrf:
            if who not in self.csrf:
                self.csrf[who] = session.csrf_token("/login" if who == "anonymous" else "/account")
            data["csrf_token"] = self.csrf[who]
        return session.post(path, data=data, allow_redirects=False)

    def fresh(self, who):
        """A new logged-in session of *who* (for what ends or changes a session)."""
        name = {"admin": "hallinto", "A": "viivi", "B": "ville", "none": "nelli"}[who]
        return self.central.log_in(name, self.passwords[who])


def _send(central, token, device_id, kiosk):
    rows, seq = [], 1
    for n, value in enumerate(kiosk.yesterday):
        rows.append(rating_row(seq, rating=value, recorded_at=YESTERDAY + timedelta(minutes=n)))
        seq += 1
    today = []
    for n, value in enumerate(kiosk.today):
        today.append(rating_row(seq, rating=value, recorded_at=MORNING + timedelta(minutes=n)))
        seq += 1
    followups = [followup_row(today[index], reason=reason, reason_group=group, comment=text)
                 for index, (reason, group, text) in kiosk.comments.items()]
    document = batch(device_id, rows + today, followups, sent_at=RECEIVE_TIME)
    response = central.post_batch(token, document)
    assert response.status_code == 200 and not response.json()["rejected"], response.text
    return document


def _heartbeat(device_id, at):
    return {"kiosk_id": device_id, "software_version": "1.0.0-test", "pending": 0, "oldest_pending_seconds": None,
            "quarantined": 0, "boot_id": "boot-a", "wall": format_time(at), "monotonic": 50.0,
            "clock_trusted": True, "free_disk_bytes": 5_000_000_000, "gap_error": None}


def _fill_episodes(central, site_ids):
    """A's many ended episodes, newer than one ended episode of B's."""
    def write(models):
        rule = {site: models.AlertRule.get(models.AlertRule.site == site_ids[site]).id for site in ("A", "B")}
        with write_transaction():
            old = models.Alert.create(rule=rule["B"], kind="unhappy", kiosk=None,
                                      started_at=datetime(2026, 1, 3, 9, 0, tzinfo=timezone.utc),
                                      ended_at=datetime(2026, 1, 3, 10, 0, tzinfo=timezone.utc),
                                      detail={"counted": 4, "unhappy": 3, "window_minutes": 180,
                                              "sites": [site_ids["B"]]})
            start = datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)
            models.Alert.insert_many([
                {"rule": rule["A"], "kind": "unhappy", "kiosk": None, "started_at": start + timedelta(seconds=n),
                 "ended_at": start + timedelta(seconds=n, minutes=5),
                 "detail": {"counted": 4, "unhappy": 3, "window_minutes": 180, "sites": [site_ids["A"]]}}
                for n in range(FILLER_EPISODES)]).execute()
        fillers = [a.id for a in models.Alert.select().where((models.Alert.rule == rule["A"])
                                                             & models.Alert.ended_at.is_null(False))]
        return old.id, fillers

    return central.query(write)


def _build(central):
    for place in PLACES.values():
        central.add_site(place.name, "Europe/Helsinki")
    for name in (SHARED_PROVIDER, A.only_provider, B.only_provider):
        central.ok("add-provider", name)
    kiosk_tokens, batches = {}, {}
    for place in PLACES.values():
        for kiosk in place.kiosks:
            kiosk_tokens[kiosk.name] = central.enrolled_kiosk(kiosk.name, site=place.name, service=kiosk.service,
                                                              provider=kiosk.provider)
            batches[kiosk.name] = _send(central, *kiosk_tokens[kiosk.name], kiosk)
    # The front kiosks last reported at 10:00: silent for two hours at noon.
    central.clock.set_wall(RECEIVE_TIME - timedelta(hours=2))
    for place in PLACES.values():
        token, device_id = kiosk_tokens[place.kiosks[0].name]
        response = central.request("POST", "/api/v1/heartbeat", token, json=_heartbeat(device_id, central.clock.now()))
        assert response.status_code == 200, response.text
    central.clock.set_wall(RECEIVE_TIME)
    for place in PLACES.values():
        central.ok("add-alert", "--site", place.name, *RULE)
    central.ok("add-alert", "--service", SHARED_SERVICE, *RULE)
    alerts.evaluate(RECEIVE_TIME)

    ids = central.query(lambda m: {
        "site": {s.name: s.id for s in m.Site.select()}, "kiosk": {k.name: k.id for k in m.Kiosk.select()},
        "service": {s.name: s.id for s in m.Service.select()}, "provider": {p.name: p.id for p in m.Provider.select()},
        "comment": {f.comment: f.id for f in m.Followup.select() if f.comment},
        "episodes": [(e.id, e.rule.site_id, e.rule.service_id, e.kiosk_id, e.kind)
                     for e in m.Alert.select(m.Alert, m.AlertRule).join(m.AlertRule)]})
    site_ids = {key: ids["site"][place.name] for key, place in PLACES.items()}
    kiosk_site = {ids["kiosk"][k.name]: key for key, place in PLACES.items() for k in place.kiosks}
    episodes = {"A": [], "B": [], "shared": []}
    for episode_id, site_id, _service_id, kiosk_id, _kind in ids["episodes"]:
        if site_id is not None:
            episodes[next(key for key, value in site_ids.items() if value == site_id)].append(episode_id)
        elif kiosk_id is not None:
            episodes[kiosk_site[kiosk_id]].append(episode_id)
        else:
            episodes["shared"].append(episode_id)
    # Each site: its rule's unhappy share and silent front kiosk, the service rule's silent front kiosk.
    assert [len(episodes[key]) for key in ("A", "B", "shared")] == [3, 3, 1], ids["episodes"]
    old_episode_b, fillers = _fill_episodes(central, site_ids)

    users = {"admin": ("hallinto", "admin", ()), "A": ("viivi", "viewer", (A.name,)),
             "B": ("ville", "viewer", (B.name,)), "none": ("nelli", "viewer", ())}
    passwords, api_tokens, sessions = {}, {}, {}
    for who, (name, role, sites) in users.items():
        passwords[who], api_tokens[who] = central.add_user(name, role, sites=sites)
        sessions[who] = central.log_in(name, passwords[who])
    user_ids = central.query(lambda m: {u.name: u.id for u in m.User.select()})
    return Net(central, sessions, passwords, api_tokens, kiosk_tokens, batches, site_ids, ids["kiosk"],
               ids["service"], ids["provider"], {who: user_ids[name] for who, (name, _, _) in users.items()},
               ids["comment"], episodes, old_episode_b, fillers)


@pytest.fixture(scope="module")
def net(module_central):
    network = _build(module_central)
    yield network
    for session in network.sessions.values():
        session.close()


# -- what an answer may and may not hold -----------------------------------------------------------

def text_of(response):
    """The answer's text with HTML entities undone (a name with an apostrophe is escaped in a page)."""
    return unescape(response.text)


def assert_hides(response, place, what="secrets"):
    body = text_of(response)
    found = [secret for secret in getattr(place, what) if secret in body]
    assert not found, f"{response.request.method} {response.request.path_url} ({response.status_code}) shows " \
                      f"site {place.key}'s {found}"


def assert_shows(response, expected):
    body = text_of(response)
    missing = [item for item in expected if item not in body]
    assert response.status_code == 200 and not missing, \
        f"{response.request.method} {response.request.path_url} ({response.status_code}) lacks {missing}"


def assert_login(response):
    assert response.status_code == 302 and "/login" in response.headers["Location"], \
        (response.request.path_url, response.status_code, response.headers.get("Location"))
    assert_hides(response, A)
    assert_hides(response, B)


def assert_refused(response, statuses=(403, 404)):
    assert response.status_code in statuses, (response.request.path_url, response.status_code)


def snapshot(central):
    """Every row of every table of central's, in an order that compares."""
    from sync.central.store.models import MODELS

    def read(models):
        return {model.__name__: sorted(map(repr, model.select().tuples())) for model in MODELS}

    return central.query(read)


class Watch:
    """Central's database as last seen: every refusal must leave it so."""

    def __init__(self, central):
        self.central = central
        self.seen = snapshot(central)

    def unchanged(self, what):
        now = snapshot(self.central)
        changed = [name for name in self.seen if self.seen[name] != now[name]]
        self.seen = now
        assert not changed, f"{what} changed {changed}"


# -- pages: one checker per kind -------------------------------------------------------------------

def check_page(net, path, shows, naming_other=lambda net, place: []):
    """A report page every user opens, scoped to their own sites.

    :param shows: place -> what the page shows of that site to someone who may see it.
    :param naming_other: (net, place) -> variants of *path* that name that site's things (its id, its
        kiosk, its service or provider, words of its comments); the other site's viewer gets a 404 or a
        page without any of that site's secrets.
    """
    for variant in (path, *naming_other(net, A), *naming_other(net, B)):
        assert_login(net.get("anonymous", variant))
    for key, place in PLACES.items():
        page = net.get(key, path)
        assert_shows(page, shows(net, place))
        assert_hides(page, OTHER[key])
        for variant in naming_other(net, place):
            answer = net.get(OTHER[key].key, variant)
            assert answer.status_code in (200, 400, 404), (variant, answer.status_code)
            assert_hides(answer, place)
    assert_shows(net.get("admin", path), [*shows(net, A), *shows(net, B)])


def check_site_page(net, paths, shows):
    """A page of one site (``paths(net, place)``): its viewer and the admin see it, the other site's
    viewer gets a 404, anonymous the login."""
    for key, place in PLACES.items():
        for path in paths(net, place):
            assert_login(net.get("anonymous", path))
            mine = net.get(key, path)
            assert_shows(mine, shows(place))
            assert_hides(mine, OTHER[key])
            others = net.get(OTHER[key].key, path)
            assert_refused(others, (404,))
            assert_hides(others, place)
            assert_shows(net.get("admin", path), shows(place))


def _filters(net, place):
    """Query strings that name *place*'s own service and provider."""
    return [f"service={net.service_ids[place.only_service]}", f"provider={net.provider_ids[place.only_provider]}"]


def _with_filters(path):
    def variants(net, place):
        joiner = "&" if "?" in path else "?"
        return [f"{path}{joiner}{query}" for query in _filters(net, place)]
    return variants


def check_overview(net):
    check_page(net, "/overview", lambda net, place: [place.name], _with_filters("/overview"))


def check_services(net):
    check_page(net, "/services", lambda net, place: [place.name, SHARED_SERVICE], _with_filters("/services"))


def check_providers(net):
    check_page(net, "/providers", lambda net, place: [place.name, SHARED_PROVIDER], _with_filters("/providers"))


def check_drivers(net):
    shows = {"site": lambda net, place: [place.name],
             "service": lambda net, place: [SHARED_SERVICE],
             "provider": lambda net, place: [SHARED_PROVIDER]}
    for by, what in shows.items():
        check_page(net, f"/drivers?by={by}&period=7d", what, _with_filters(f"/drivers?by={by}&period=7d"))


def check_comments(net):
    def naming(net, place):
        words = [text.split()[0] for text in place.comment_texts]
        return [*_with_filters("/comments?period=7d")(net, place), *[f"/comments?period=7d&q={w}" for w in words]]

    check_page(net, "/comments?period=7d",
               lambda net, place: [t for t in place.comment_texts if t != SPARE_COMMENT], naming)


def check_fleet(net):
    check_page(net, "/fleet", lambda net, place: place.kiosk_names, _with_filters("/fleet"))


def check_alerts(net):
    def shows(net, place):
        return [f'data-alert="{episode}"' for episode in net.episodes[place.key]]

    check_page(net, "/alerts", shows)
    for key in PLACES:
        body = net.get(OTHER[key].key, "/alerts").text
        leaked = [e for e in net.episodes[key] if f'data-alert="{e}"' in body]
        assert not leaked, f"the viewer of {OTHER[key].key} sees site {key}'s episodes {leaked}"


def check_account(net):
    assert_login(net.get("anonymous", "/account"))
    for key in PLACES:
        page = net.get(key, "/account")
        assert page.status_code == 200
        assert_hides(page, OTHER[key])
    assert net.get("admin", "/account").status_code == 200


def check_home(net):
    assert_login(net.get("anonymous", "/"))
    for who in ("admin", "A", "B"):
        answer = net.get(who, "/")
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/overview")


def check_login_page(net):
    page = net.get("anonymous", "/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert_hides(page, A)
    assert_hides(page, B)


def check_admin_page(net):
    assert_login(net.get("anonymous", "/admin"))
    for key in PLACES:
        refused = net.get(key, "/admin")
        assert refused.status_code == 403
        assert_hides(refused, A)
        assert_hides(refused, B)
    assert_shows(net.get("admin", "/admin"), [A.name, B.name, *A.kiosk_names, *B.kiosk_names])


def _site_paths(net, place):
    return [f"/sites/{net.site_ids[place.key]}", f"/sites/{net.site_ids[place.key]}?period=30d"]


def _kiosk_paths(net, place):
    site = net.site_ids[place.key]
    return [f"/sites/{site}?kiosk={net.kiosk_ids[name]}" for name in place.kiosk_names]


def check_site(net):
    check_site_page(net, _site_paths, lambda place: [place.name, *place.kiosk_names])
    check_site_page(net, _kiosk_paths, lambda place: [place.name])
    for key in PLACES:
        # The viewer's own site with the other site's kiosk: that kiosk does not stand here.
        other = OTHER[key]
        for who in (key, "admin"):
            for name in other.kiosk_names:
                answer = net.get(who, f"/sites/{net.site_ids[key]}?kiosk={net.kiosk_ids[name]}")
                assert_refused(answer, (404,))
                assert_hides(answer, other)


def check_site_day(net):
    def paths(net, place):
        site = net.site_ids[place.key]
        return [f"/sites/{site}/days/{TODAY}", *[f"/sites/{site}/days/{TODAY}?kiosk={net.kiosk_ids[name]}"
                                                  for name in place.kiosk_names]]

    check_site_page(net, paths, lambda place: [place.name])
    for key in PLACES:
        other = OTHER[key]
        for who in (key, "admin"):
            for name in other.kiosk_names:
                answer = net.get(who, f"/sites/{net.site_ids[key]}/days/{TODAY}?kiosk={net.kiosk_ids[name]}")
                assert_refused(answer, (404,))
                assert_hides(answer, other)


def _export_rows(response):
    assert response.status_code == 200, (response.request.path_url, response.status_code, response.text[:300])
    if response.headers["Content-Type"].startswith("application/json"):
        return json.loads(response.text)
    return list(csv.DictReader(io.StringIO(response.text)))


def check_export(net):
    for fmt in ("json", "csv"):
        path = f"/export?format={fmt}&period=7d"
        assert_login(net.get("anonymous", path))
        for key, place in PLACES.items():
            mine = net.get(key, path)
            rows = _export_rows(mine)
            assert {row["site"] for row in rows} == {place.name} and len(rows) == place.counted, (key, fmt)
            assert_hides(mine, OTHER[key])
            other = OTHER[key]
            for variant in [*_with_filters(path)(net, other), f"{path}&site={net.site_ids[other.key]}",
                            f"{path}&site={net.site_ids[other.key]}&kiosk={net.kiosk_ids[other.kiosk_names[0]]}",
                            f"{path}&kiosk={net.kiosk_ids[other.kiosk_names[0]]}"]:
                answer = net.get(key, variant)
                assert answer.status_code in (200, 404), (variant, answer.status_code)
                assert_hides(answer, other)
        rows = _export_rows(net.get("admin", path))
        assert {row["site"] for row in rows} == {A.name, B.name} and len(rows) == A.counted + B.counted


# -- forms -----------------------------------------------------------------------------------------

def _anonymous_posts(net, watch, path, data):
    """Anonymous, with and without a CSRF token (an anonymous browser has one from /login): nothing changes."""
    bare = net.post("anonymous", path, data, csrf=False)
    assert bare.status_code == 400 or (bare.status_code == 302 and "/login" in bare.headers["Location"]), \
        (path, bare.status_code)
    assert_hides(bare, A)
    assert_hides(bare, B)
    watch.unchanged(f"anonymous POST {path} without a CSRF token")
    assert_login(net.post("anonymous", path, data))
    watch.unchanged(f"anonymous POST {path}")


def _refused_post(net, watch, who, path, data, statuses, csrf=True):
    answer = net.post(who, path, data, csrf=csrf)
    assert answer.status_code in statuses, (who, path, "with" if csrf else "without", "CSRF", answer.status_code)
    for place in PLACES.values():
        if who not in ("admin", place.key):
            assert_hides(answer, place)
    watch.unchanged(f"{who}'s POST {path}{'' if csrf else ' without its CSRF token'}")


def _done(answer, path):
    assert answer.status_code in (200, 302, 303), (path, answer.status_code, answer.text[:300])


def check_admin_form(net, path, refused_data, make_target=None):
    """An admin form: anonymous and viewers (of the site it names, and of the other: 403) change nothing,
    nor does an admin without the CSRF token (400); an admin with it is answered (``make_target`` then
    gives the path and data of a harmless change, and a check that it was made)."""
    watch = Watch(net.central)
    _anonymous_posts(net, watch, path, refused_data)
    for who in ("A", "B"):
        _refused_post(net, watch, who, path, refused_data, (403,))
    _refused_post(net, watch, "admin", path, refused_data, (400,), csrf=False)
    if make_target is not None:
        target_path, data, made = make_target(net)
        _done(net.post("admin", target_path, data), target_path)
        assert net.central.query(made), target_path


def _spare(prefix):
    return f"{prefix}-{next(_names)}"


def _spare_site(net):
    name = _spare("Spare site")
    net.central.add_site(name, "Europe/Helsinki")
    return name, net.central.query(lambda m: m.Site.get(m.Site.name == name).id)


def _spare_kiosk(net):
    site, _ = _spare_site(net)
    name = _spare("spare-kiosk")
    net.central.ok("add-service", f"{name} service")
    net.central.add_kiosk(name, site, f"{name} service")
    return site, name, net.central.query(lambda m: m.Kiosk.get(m.Kiosk.name == name).id)


def check_admin_add_site(net):
    name = _spare("Spare site")
    check_admin_form(net, "/admin/sites", {"name": name, "timezone": "Europe/Helsinki"},
                     lambda net: ("/admin/sites", {"name": name, "timezone": "Europe/Helsinki"},
                                  lambda m: m.Site.select().where(m.Site.name == name).exists()))


def check_admin_change_site(net):
    def target(net):
        _, site_id = _spare_site(net)
        return (f"/admin/sites/{site_id}", {"timezone": "Europe/Lisbon", "hours": ""},
                lambda m: m.Site.get_by_id(site_id).timezone == "Europe/Lisbon")

    check_admin_form(net, f"/admin/sites/{net.site_ids['A']}", {"timezone": "Europe/Lisbon", "hours": ""}, target)


def check_admin_site_pin(net):
    def target(net):
        _, site_id = _spare_site(net)
        return f"/admin/sites/{site_id}/pin", {"pin": "135790"}, lambda m: m.Site.get_by_id(site_id).manager_pin_hash

    check_admin_form(net, f"/admin/sites/{net.site_ids['A']}/pin", {"pin": "135790"}, target)


def check_admin_add_service(net):
    name = _spare("spare service")
    check_admin_form(net, "/admin/services", {"name": name},
                     lambda net: ("/admin/services", {"name": name},
                                  lambda m: m.Service.select().where(m.Service.name == name).exists()))


def check_admin_add_provider(net):
    name = _spare("Spare Provider")
    check_admin_form(net, "/admin/providers", {"name": name},
                     lambda net: ("/admin/providers", {"name": name},
                                  lambda m: m.Provider.select().where(m.Provider.name == name).exists()))


def check_admin_add_kiosk(net):
    name = _spare("spare-kiosk")
    refused = {"name": name, "site": A.name, "service": SHARED_SERVICE}

    def target(net):
        site, _ = _spare_site(net)
        net.central.ok("add-service", f"{name} service")
        return ("/admin/kiosks", {"name": name, "site": site, "service": f"{name} service"},
                lambda m: m.Kiosk.select().where(m.Kiosk.name == name).exists())

    check_admin_form(net, "/admin/kiosks", refused, target)


def check_admin_revoke_kiosk(net):
    def target(net):
        _, _, kiosk_id = _spare_kiosk(net)
        return f"/admin/kiosks/{kiosk_id}/revoke", {}, lambda m: m.Kiosk.get_by_id(kiosk_id).revoked

    check_admin_form(net, f"/admin/kiosks/{net.kiosk_ids[A.kiosk_names[0]]}/revoke", {}, target)


def check_admin_add_user(net):
    name = _spare("spare-user")
    data = {"name": name, "role": "admin"}
    check_admin_form(net, "/admin/users", data,
                     lambda net: ("/admin/users", {"name": name, "role": "viewer", "sites": [A.name]},
                                  lambda m: m.User.get(m.User.name == name).role == "viewer"))


def check_admin_delete_user(net):
    def target(net):
        name = _spare("spare-user")
        net.central.add_user(name, "viewer")
        user_id = net.central.query(lambda m: m.User.get(m.User.name == name).id)
        return f"/admin/users/{user_id}/delete", {}, lambda m: m.User.get_or_none(m.User.id == user_id) is None

    check_admin_form(net, f"/admin/users/{net.user_ids['A']}/delete", {}, target)


def check_admin_target(net):
    from sync.central import reports

    def target(net):
        current = int(net.central.query(lambda m: reports.brand_settings()[0]))
        return "/admin/target", {"target": str(current)}, \
            lambda m: m.Setting.get(m.Setting.key == "target").value == current

    check_admin_form(net, "/admin/target", {"target": "1"}, target)


def check_admin_network(net):
    def target(net):  # off, as it was: the kiosks' documents (check_network) name no other site
        return "/admin/network", {}, lambda m: m.Setting.get(m.Setting.key == "share_site_names").value is False

    check_admin_form(net, "/admin/network", {"share_site_names": "on"}, target)


def check_admin_add_alert_rule(net):
    def target(net):
        site, site_id = _spare_site(net)
        return ("/admin/alerts", {"covers": f"site:{site}", "emails": "spare@example.com"},
                lambda m: m.AlertRule.select().where(m.AlertRule.site == site_id).exists())

    check_admin_form(net, "/admin/alerts", {"covers": f"site:{A.name}", "emails": "x@example.com"}, target)


def check_admin_toggle_alert_rule(net):
    def target(net):
        site, site_id = _spare_site(net)
        net.central.ok("add-alert", "--site", site, "--email", "spare@example.com")
        rule_id = net.central.query(lambda m: m.AlertRule.get(m.AlertRule.site == site_id).id)
        return f"/admin/alerts/{rule_id}/active", {}, lambda m: m.AlertRule.get_by_id(rule_id).active is False

    rule_a = net.central.query(lambda m: m.AlertRule.get(m.AlertRule.site == net.site_ids["A"]).id)
    check_admin_form(net, f"/admin/alerts/{rule_a}/active", {}, target)


def check_redact(net):
    watch = Watch(net.central)
    for key, place in PLACES.items():
        first = f"/comments/{net.comment_ids[place.comment_texts[0]]}/redact"
        _anonymous_posts(net, watch, first, {})
        _refused_post(net, watch, "admin", first, {}, (400,), csrf=False)
        for text in place.comment_texts:
            path = f"/comments/{net.comment_ids[text]}/redact"
            _refused_post(net, watch, OTHER[key].key, path, {}, (403, 404))
            _refused_post(net, watch, key, path, {}, (403,))  # redaction is an admin's
    spare = net.comment_ids[SPARE_COMMENT]
    answer = net.post("admin", f"/comments/{spare}/redact", {})
    _done(answer, "redact")
    assert SPARE_COMMENT not in net.get("admin", "/comments?period=7d").text
    assert net.central.query(lambda m: m.Followup.get_by_id(spare).comment) is None


def check_acknowledge(net):
    watch = Watch(net.central)
    for key in PLACES:
        first = f"/alerts/{net.episodes[key][0]}/acknowledge"
        _anonymous_posts(net, watch, first, {})
        _refused_post(net, watch, key, first, {}, (400,), csrf=False)
        _refused_post(net, watch, "admin", first, {}, (400,), csrf=False)
        for episode in [*net.episodes[key], net.fillers[0] if key == "A" else net.old_episode_b]:
            _refused_post(net, watch, OTHER[key].key, f"/alerts/{episode}/acknowledge", {}, (404,))
    mine, admins = net.fillers[0], net.fillers[1]
    for who, episode in (("A", mine), ("admin", admins)):
        _done(net.post(who, f"/alerts/{episode}/acknowledge", {}), "acknowledge")
    seen = net.central.query(lambda m: {a.id: a.acknowledged_by for a in m.Alert.select()})
    assert (seen[mine], seen[admins]) == ("viivi", "hallinto")


def check_account_form(net):
    data = {"form": "contact", "contact-email": "someone@example.com"}
    watch = Watch(net.central)
    _anonymous_posts(net, watch, "/account", data)
    for who in ("A", "B", "admin"):
        _refused_post(net, watch, who, "/account", data, (400,), csrf=False)
    # Each user changes their own contact only.
    _done(net.post("B", "/account", {"form": "contact", "contact-email": "ville@example.com"}), "/account")
    emails = net.central.query(lambda m: {u.id: u.email for u in m.User.select()})
    assert emails[net.user_ids["B"]] == "ville@example.com"
    assert emails[net.user_ids["A"]] is None and emails[net.user_ids["admin"]] is None


def check_login_form(net):
    browser = WebSession(net.central.url)
    watch = Watch(net.central)
    refused = browser.post("/login", data={"name": "viivi", "password": net.passwords["A"]}, allow_redirects=False)
    assert refused.status_code == 400
    assert_login(browser.get("/overview", allow_redirects=False))
    watch.unchanged("a login without its CSRF token")
    logged_in = browser.post("/login", data={"name": "viivi", "password": net.passwords["A"]}, csrf_from="/login")
    assert_shows(logged_in, [A.name])
    assert_hides(logged_in, B)
    browser.close()


def check_logout(net):
    _anonymous_posts(net, Watch(net.central), "/logout", {})
    session = net.fresh("A")
    assert session.post("/logout", allow_redirects=False).status_code == 400
    assert session.get("/overview", allow_redirects=False).status_code == 200  # still logged in
    out = session.post("/logout", csrf_from="/overview", allow_redirects=False)
    assert_login(out)
    assert_login(session.get("/overview", allow_redirects=False))
    session.close()


# -- the APIs --------------------------------------------------------------------------------------

def _api(net, method, path, token, **kwargs):
    return net.central.request(method, path, token, **kwargs)


def _refused_api(net, watch, method, path, token, status, **kwargs):
    answer = _api(net, method, path, token, **kwargs)
    assert answer.status_code == status, (method, path, answer.status_code, answer.text[:300])
    if status == 401:
        assert answer.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert_hides(answer, A)
    assert_hides(answer, B)
    watch.unchanged(f"{method} {path} refused with {status}")
    return answer


def _user_tokens(net):
    """Anonymous, an unknown token and every user's: none opens a kiosk endpoint."""
    return [None, "hymy_u_unknown", *net.api_tokens.values()]


def check_batches(net):
    watch = Watch(net.central)
    for token in _user_tokens(net):
        _refused_api(net, watch, "POST", "/api/v1/batches", token, 401, json=net.batches[A.kiosk_names[0]])
    for key, place in PLACES.items():
        for kiosk in place.kiosk_names:
            document = net.batches[kiosk]
            # The other site's kiosk sending this kiosk's batch (this kiosk's device id in the body).
            other = OTHER[key].kiosk_names[place.kiosk_names.index(kiosk)]
            _refused_api(net, watch, "POST", "/api/v1/batches", net.kiosk_tokens[other][0], 403, json=document)
            # The kiosk itself: a re-delivery, answered, stores nothing new.
            ratings = net.central.count("Rating")
            answer = net.central.post_batch(net.kiosk_tokens[kiosk][0], document)
            assert answer.status_code == 200 and not answer.json()["accepted"], answer.text
            assert net.central.count("Rating") == ratings


def check_config(net):
    watch = Watch(net.central)
    for token in _user_tokens(net):
        _refused_api(net, watch, "GET", "/api/v1/config", token, 401)
    for key, place in PLACES.items():
        for kiosk in place.kiosk_names:
            answer = _api(net, "GET", "/api/v1/config", net.kiosk_tokens[kiosk][0])
            assert answer.status_code == 200 and answer.json()["site"] == place.name, answer.text
            assert_hides(answer, OTHER[key])
            assert_hides(answer, OTHER[key], "catalogue")


def check_network(net):
    """Each kiosk gets its own site's standing; with site names off (the default) no other site is named."""
    watch = Watch(net.central)
    for token in _user_tokens(net):
        _refused_api(net, watch, "GET", "/api/v1/network", token, 401)
    for key, place in PLACES.items():
        for kiosk in place.kiosk_names:
            answer = _api(net, "GET", "/api/v1/network", net.kiosk_tokens[kiosk][0])
            assert answer.status_code == 200 and "site_names" not in answer.json(), answer.text
            assert_hides(answer, OTHER[key])


def _action(device, **fields):
    action = {"id": str(uuid.uuid4()), "kiosk_id": device, "title": "Second till at lunch", "note": None,
              "started_on": "2026-01-05", "target": {"kind": "hours", "weekdays": [1, 2, 3, 4, 5], "from_hour": 11,
                                                     "to_hour": 14},
              "supersedes": None, "withdrawn": False, "recorded_at": "2026-01-05T10:00:00Z"}
    action.update(fields)
    return action


def check_actions(net):
    """Only a kiosk's own token keeps its action, for its own site; again is a no-op, other content a 409."""
    watch = Watch(net.central)
    device = net.kiosk_tokens[A.kiosk_names[0]][1]
    for token in _user_tokens(net):
        _refused_api(net, watch, "POST", "/api/v1/actions", token, 401, json=_action(device))
    for key, place in PLACES.items():
        token, device = net.kiosk_tokens[place.kiosk_names[0]]
        other_device = net.kiosk_tokens[OTHER[key].kiosk_names[0]][1]
        _refused_api(net, watch, "POST", "/api/v1/actions", token, 403, json=_action(other_device))
        action = _action(device)
        assert _api(net, "POST", "/api/v1/actions", token, json=action).status_code == 201
        watch = Watch(net.central)
        assert _api(net, "POST", "/api/v1/actions", token, json=action).status_code == 200
        watch.unchanged(f"{place.name}'s action sent again")
        _refused_api(net, watch, "POST", "/api/v1/actions", token, 409, json=dict(action, title="Changed"))
        # The other site's kiosk cannot edit this site's action.
        other_token = net.kiosk_tokens[OTHER[key].kiosk_names[0]][0]
        _refused_api(net, watch, "POST", "/api/v1/actions", other_token, 422,
                     json=_action(other_device, supersedes=action["id"]))
        site_of = net.central.query(lambda m, i=action["id"]: m.Action.get_by_id(i).site.name)
        assert site_of == place.name


def _deed(net, key, who="admin"):
    """An action of site *key* recorded through the site page's form by *who*; its id."""
    title = _spare(f"{PLACES[key].name} deed")
    _done(net.post(who, f"/sites/{net.site_ids[key]}/actions", _deed_form(title)), "record an action")
    return net.central.query(lambda m: m.Action.get(m.Action.title == title).id)


def _deed_form(title):
    return {"title": title, "started_on": TODAY, "kind": "hours", "weekday": ["1", "2"], "from_hour": "11",
            "to_hour": "14"}


def check_actions_page(net):
    """The network-wide Actions page lists each viewer's own sites' actions only."""
    titles = {}
    for key in PLACES:
        deed = _deed(net, key)
        titles[key] = net.central.query(lambda m, i=deed: m.Action.get_by_id(i).title)
    check_page(net, "/actions", lambda net, place: [titles[place.key]])
    for key in PLACES:
        assert titles[OTHER[key].key] not in net.get(key, "/actions?sort=effect").text


def check_edit_action_page(net):
    """The form to change an action: the action's site's viewer and the admin; the other site's viewer
    gets a 404 and none of its words; an id that names no action a 404."""
    deeds = {key: _deed(net, key) for key in PLACES}
    titles = {key: net.central.query(lambda m, i=deed: m.Action.get_by_id(i).title) for key, deed in deeds.items()}
    check_site_page(net, lambda net, place: [f"/actions/{deeds[place.key]}/edit"],
                    lambda place: [place.name, titles[place.key]])
    assert_refused(net.get("admin", f"/actions/{uuid.uuid4()}/edit"), (404,))


def check_record_action(net):
    """A viewer records for their own site only; another site's id is a 404 and stores nothing."""
    watch = Watch(net.central)
    for key in PLACES:
        path = f"/sites/{net.site_ids[key]}/actions"
        _anonymous_posts(net, watch, path, _deed_form("Nobody's"))
        _refused_post(net, watch, key, path, _deed_form("No token"), (400,), csrf=False)
        _refused_post(net, watch, OTHER[key].key, path, _deed_form("Not mine"), (404,))
        _refused_post(net, watch, "none", path, _deed_form("Of no site"), (404,))
    for who in ("A", "B", "admin"):
        key = "A" if who == "admin" else who
        title = _spare(f"{who} records")
        _done(net.post(who, f"/sites/{net.site_ids[key]}/actions", _deed_form(title)), "record an action")
        site = net.central.query(lambda m, t=title: m.Action.get(m.Action.title == t).site.name)
        assert site == PLACES[key].name


def _check_action_form(net, verb, data):
    """Changing or withdrawing an action: only its site's viewer and the admin, each with the CSRF token."""
    for key in PLACES:
        deed = _deed(net, key)
        watch = Watch(net.central)
        path = f"/actions/{deed}/{verb}"
        _anonymous_posts(net, watch, path, data)
        _refused_post(net, watch, key, path, data, (400,), csrf=False)
        _refused_post(net, watch, OTHER[key].key, path, data, (404,))
        _refused_post(net, watch, "none", path, data, (404,))
        _done(net.post(key, path, data), f"{verb} an action")
        latest = net.central.query(lambda m, i=deed: m.Action.get(m.Action.supersedes == i))
        assert latest.site_id == net.site_ids[key] and latest.recorded_by == {"A": "viivi", "B": "ville"}[key]
    _refused_post(net, Watch(net.central), "admin", f"/actions/{uuid.uuid4()}/{verb}", data, (404,))


def check_edit_action(net):
    _check_action_form(net, "edit", _deed_form("Changed by its site"))


def check_withdraw_action(net):
    _check_action_form(net, "withdraw", {})


def check_heartbeat(net):
    watch = Watch(net.central)
    for token in _user_tokens(net):
        beat = _heartbeat(net.kiosk_tokens[A.kiosk_names[0]][1], RECEIVE_TIME - timedelta(hours=2))
        _refused_api(net, watch, "POST", "/api/v1/heartbeat", token, 401, json=beat)
    for key, place in PLACES.items():
        device = net.kiosk_tokens[place.kiosk_names[0]][1]
        beat = _heartbeat(device, RECEIVE_TIME - timedelta(hours=2))
        for other in OTHER[key].kiosk_names:
            _refused_api(net, watch, "POST", "/api/v1/heartbeat", net.kiosk_tokens[other][0], 403, json=beat)
        # The kiosk itself, at the time it last reported (so its silence stays as built).
        net.central.clock.set_wall(RECEIVE_TIME - timedelta(hours=2))
        try:
            answer = _api(net, "POST", "/api/v1/heartbeat", net.kiosk_tokens[place.kiosk_names[0]][0], json=beat)
        finally:
            net.central.clock.set_wall(RECEIVE_TIME)
        assert answer.status_code == 200, answer.text
        watch = Watch(net.central)


def check_enroll(net):
    watch = Watch(net.central)
    for user_token in _user_tokens(net):
        body = {"kiosk_id": net.kiosk_tokens[A.kiosk_names[0]][1], "software_version": "1.0.0-test"}
        _refused_api(net, watch, "POST", "/api/v1/enroll", user_token, 401, json=body)
    for key, place in PLACES.items():
        for n, kiosk in enumerate(place.kiosk_names):
            token, device = net.kiosk_tokens[kiosk]
            body = {"kiosk_id": device, "software_version": "1.0.0-test"}
            # The other site's kiosk claiming this kiosk's device: its token is bound to its own device.
            other = OTHER[key].kiosk_names[n]
            _refused_api(net, watch, "POST", "/api/v1/enroll", net.kiosk_tokens[other][0], 409, json=body)
            assert net.central.enroll(token, device).status_code == 200  # the kiosk itself: idempotent
            watch.unchanged(f"kiosk {kiosk} enrolling again")


def check_ratings_api(net):
    days = {"from_": "2026-01-04", "to": TODAY}
    for token in [None, "hymy_u_unknown", *[token for token, _ in net.kiosk_tokens.values()]]:
        answer = net.central.export(token, **days)
        assert answer.status_code == 401 and "WWW-Authenticate" in answer.headers, answer.status_code
        assert_hides(answer, A)
        assert_hides(answer, B)
    for key, place in PLACES.items():
        token = net.api_tokens[key]
        for fmt in ("json", "csv"):
            mine = net.central.export(token, format=fmt, **days)
            rows = _export_rows(mine)
            assert {row["site"] for row in rows} == {place.name} and len(rows) == place.counted, (key, fmt)
            assert_hides(mine, OTHER[key])
        own = net.central.export_json(token, site=place.name, **days)
        assert {row["site"] for row in own} == {place.name}
        for fmt in ("json", "csv"):
            refused = net.central.export(token, format=fmt, site=OTHER[key].name, **days)
            assert refused.status_code == 403
            assert_hides(refused, OTHER[key])
    everything = net.central.export_json(net.api_tokens["admin"], **days)
    assert {row["site"] for row in everything} == {A.name, B.name}
    assert len(everything) == A.counted + B.counted
    only_a = net.central.export_json(net.api_tokens["admin"], site=A.name, **days)
    assert {row["site"] for row in only_a} == {A.name} and len(only_a) == A.counted


def check_openapi(net):
    answer = _api(net, "GET", "/api/v1/openapi.json", None)
    assert answer.status_code == 200 and answer.json()["openapi"].startswith("3.1")
    assert_hides(answer, A)
    assert_hides(answer, B)


def check_static(net):
    answer = net.get("anonymous", "/static/css/central.css")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/css")
    assert_hides(answer, A)
    assert_hides(answer, B)


#: Every route of the app -> (who may use it, its check). "public": anyone; "page"/"form": any logged-in
#: user, within their sites; "site page": a site's viewers and admins; "admin page"/"admin form": admins;
#: "kiosk API": a kiosk token; "user API": a user's API token. A new route fails
#: test_every_route_is_in_the_matrix until it is added here with a check.
MATRIX = {
    ("GET", "/static/<path:filename>"): ("public", check_static),
    ("GET", "/api/v1/openapi.json"): ("public", check_openapi),
    ("GET", "/login"): ("public", check_login_page),
    ("POST", "/login"): ("public form", check_login_form),
    ("GET", "/"): ("page", check_home),
    ("POST", "/logout"): ("form", check_logout),
    ("GET", "/account"): ("page", check_account),
    ("POST", "/account"): ("form", check_account_form),
    ("GET", "/overview"): ("page", check_overview),
    ("GET", "/sites/<id:site_id>"): ("site page", check_site),
    ("GET", "/sites/<id:site_id>/days/<day:day>"): ("site page", check_site_day),
    ("GET", "/services"): ("page", check_services),
    ("GET", "/providers"): ("page", check_providers),
    ("GET", "/drivers"): ("page", check_drivers),
    ("GET", "/comments"): ("page", check_comments),
    ("POST", "/comments/<uuid_text:followup_id>/redact"): ("admin form", check_redact),
    ("GET", "/export"): ("page", check_export),
    ("GET", "/fleet"): ("page", check_fleet),
    ("GET", "/alerts"): ("page", check_alerts),
    ("POST", "/alerts/<id:alert_id>/acknowledge"): ("form", check_acknowledge),
    ("GET", "/actions"): ("page", check_actions_page),
    ("POST", "/sites/<id:site_id>/actions"): ("form", check_record_action),
    ("GET", "/actions/<uuid_text:action_id>/edit"): ("site page", check_edit_action_page),
    ("POST", "/actions/<uuid_text:action_id>/edit"): ("form", check_edit_action),
    ("POST", "/actions/<uuid_text:action_id>/withdraw"): ("form", check_withdraw_action),
    ("GET", "/admin"): ("admin page", check_admin_page),
    ("POST", "/admin/sites"): ("admin form", check_admin_add_site),
    ("POST", "/admin/sites/<id:site_id>"): ("admin form", check_admin_change_site),
    ("POST", "/admin/sites/<id:site_id>/pin"): ("admin form", check_admin_site_pin),
    ("POST", "/admin/services"): ("admin form", check_admin_add_service),
    ("POST", "/admin/providers"): ("admin form", check_admin_add_provider),
    ("POST", "/admin/kiosks"): ("admin form", check_admin_add_kiosk),
    ("POST", "/admin/kiosks/<id:kiosk_id>/revoke"): ("admin form", check_admin_revoke_kiosk),
    ("POST", "/admin/users"): ("admin form", check_admin_add_user),
    ("POST", "/admin/users/<id:user_id>/delete"): ("admin form", check_admin_delete_user),
    ("POST", "/admin/target"): ("admin form", check_admin_target),
    ("POST", "/admin/network"): ("admin form", check_admin_network),
    ("POST", "/admin/alerts"): ("admin form", check_admin_add_alert_rule),
    ("POST", "/admin/alerts/<id:rule_id>/active"): ("admin form", check_admin_toggle_alert_rule),
    ("POST", "/api/v1/batches"): ("kiosk API", check_batches),
    ("GET", "/api/v1/config"): ("kiosk API", check_config),
    ("GET", "/api/v1/network"): ("kiosk API", check_network),
    ("POST", "/api/v1/actions"): ("kiosk API", check_actions),
    ("POST", "/api/v1/heartbeat"): ("kiosk API", check_heartbeat),
    ("POST", "/api/v1/enroll"): ("kiosk API", check_enroll),
    ("GET", "/api/v1/ratings"): ("user API", check_ratings_api),
}


def test_every_route_is_in_the_matrix(module_central):
    routes = {(method, rule.rule) for rule in module_central.app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(routes - set(MATRIX)) == [], "routes without an access check"
    assert sorted(set(MATRIX) - routes) == [], "checks of routes the app no longer has"


@pytest.mark.parametrize("route", list(MATRIX), ids=[f"{method} {rule}" for method, rule in MATRIX])
def test_access(net, route):
    _kind, check = MATRIX[route]
    check(net)


# -- what the matrix found leaking, each on its own --------------------------------------------------

def _viewer_pages(net):
    """Every page a viewer opens, as (who may see it, path)."""
    pages = ["/overview", "/services", "/providers", "/drivers?by=site", "/drivers?by=service",
             "/drivers?by=provider", "/comments?period=7d", "/fleet", "/alerts", "/account"]
    yield from ((None, path) for path in pages)
    for key in PLACES:
        site = net.site_ids[key]
        yield key, f"/sites/{site}"
        yield key, f"/sites/{site}/days/{TODAY}"
        yield key, f"/sites/{site}?kiosk={net.kiosk_ids[PLACES[key].kiosk_names[0]]}"


@pytest.mark.parametrize("what", ["providers", "services"])
def test_the_providers_and_services_pages_list_none_serving_only_another_site(net, what):
    for key, place in PLACES.items():
        page = net.get(OTHER[key].key, f"/{what}")
        listed = re.findall(rf'data-{what[:-1]}="([^"]+)"', unescape(page.text))
        assert place.only_service not in listed and place.only_provider not in listed, \
            f"the viewer of {OTHER[key].key} is shown {listed} on /{what}"
        assert_hides(page, place, "catalogue")
    page = net.get("admin", f"/{what}")
    assert_shows(page, [*A.catalogue, *B.catalogue])


def test_no_page_names_a_provider_or_service_serving_only_another_site(net):
    """The filter dropdowns included, and a filter naming one by its id: a viewer of B is never told
    what serves A alone (a 404 for such a filter is as good as a page without the name)."""
    leaks = []
    for key, place in PLACES.items():
        viewer = OTHER[key].key
        for owner, path in _viewer_pages(net):
            if owner not in (None, viewer):
                continue
            page = net.get(viewer, path)
            assert page.status_code == 200, (viewer, path, page.status_code)
            joiner = "&" if "?" in path else "?"
            variants = [(path, page)]
            if path not in ("/alerts", "/account"):  # the pages with the filter bar, and the fleet
                variants += [(f"{path}{joiner}{query}", None) for query in _filters(net, place)]
            for variant, answer in variants:
                answer = answer or net.get(viewer, variant)
                assert answer.status_code in (200, 404), (viewer, variant, answer.status_code)
                found = [name for name in place.catalogue if name in text_of(answer)]
                if found:
                    leaks.append((viewer, variant, found))
    summary = {}
    for viewer, variant, found in leaks:
        names, paths = summary.setdefault(viewer, (set(), []))
        names.update(found)
        paths.append(variant)
    assert not summary, "; ".join(f"the viewer of {viewer} is told of {sorted(names)} on {len(paths)} pages: "
                                  f"{', '.join(paths[:6])}{', …' if len(paths) > 6 else ''}"
                                  for viewer, (names, paths) in sorted(summary.items()))


@pytest.mark.parametrize("path", ["/alerts", "/overview"])
def test_a_service_wide_episode_shows_a_viewer_no_other_sites_counts(net, path):
    """The service rule counted both sites' ratings (6 of 10); a viewer of one site must not see those."""
    for key in PLACES:
        body = text_of(net.get(key, path))
        assert NETWORK_WIDE_COUNTS not in body, f"the viewer of {key} sees the network-wide counts on {path}"
    if path == "/alerts":
        assert NETWORK_WIDE_COUNTS in text_of(net.get("admin", path))


def test_other_sites_episodes_never_crowd_a_viewers_own_off_the_alerts_page(net):
    """A's 200 newer episodes must not push B's older one off B's viewer's list."""
    page = net.get("B", "/alerts")
    assert f'data-alert="{net.old_episode_b}"' in page.text, "B's own ended episode is missing from B's alerts"
    assert_hides(page, A)


def _export_link(page, fmt):
    found = re.search(rf'href="([^"]*/export\?[^"]*format={fmt}[^"]*)"', page.text)
    assert found, f"no {fmt} export button on {page.request.path_url}"
    return unescape(found.group(1))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_export_buttons_on_a_site_page_export_that_site(net, fmt):
    for key, place in PLACES.items():
        page = net.get("admin", f"/sites/{net.site_ids[key]}?period=7d")
        exported = net.get("admin", _export_link(page, fmt))
        rows = _export_rows(exported)
        assert {row["site"] for row in rows} == {place.name} and len(rows) == place.counted, \
            f"the export button on site {key}'s page gave {sorted({row['site'] for row in rows})}"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_export_buttons_on_a_kiosk_page_export_that_kiosk(net, fmt):
    for place in PLACES.values():
        for kiosk in place.kiosks:
            page = net.get("admin", f"/sites/{net.site_ids[place.key]}?kiosk={net.kiosk_ids[kiosk.name]}&period=7d")
            rows = _export_rows(net.get("admin", _export_link(page, fmt)))
            assert {row["kiosk"] for row in rows} == {kiosk.name} and \
                len(rows) == len(kiosk.today) + len(kiosk.yesterday), \
                f"the export button on kiosk {kiosk.name}'s page gave {sorted({row['kiosk'] for row in rows})}"


def test_a_viewer_sees_their_own_sites_figures_only(net):
    """The overview's key figures and the services page's total are the viewer's sites' alone."""
    for who, expected in (("A", A.counted_today), ("B", B.counted_today), ("admin", A.counted_today +
                                                                           B.counted_today)):
        overview = net.get(who, "/overview").text
        responses = re.search(r'kpi__label">Responses</div><div class="kpi__value">(\d+)<', overview)
        assert responses and int(responses.group(1)) == expected, (who, responses and responses.group(1))
        services = net.get(who, "/services").text
        total = re.search(r"<tfoot><tr><td>All services</td><td class=\"num\">(\d+)<", services)
        assert total and int(total.group(1)) == expected, (who, total and total.group(1))


def test_a_viewer_of_no_site_sees_nothing(net):
    """A viewer linked to no site yet: no site's names, kiosks, comments, services or providers anywhere."""
    for owner, path in _viewer_pages(net):
        page = net.get("none", path)
        assert page.status_code == (200 if owner is None else 404), (path, page.status_code)
        for place in PLACES.values():
            assert_hides(page, place)
            assert_hides(page, place, "catalogue")
    assert _export_rows(net.get("none", "/export?format=json&period=7d")) == []
    assert net.central.export_json(net.api_tokens["none"], from_="2026-01-04", to=TODAY) == []
    for place in PLACES.values():
        assert net.central.export(net.api_tokens["none"], from_="2026-01-04", to=TODAY, site=place.name).status_code \
            == 403
    assert net.get("none", "/admin").status_code == 403
