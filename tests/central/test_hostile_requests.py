"""No query string, path id or form value gives a 5xx: a property test over every route of head office's.

Hypothesis draws, per route, path ids (the seeded network's real ones, and hostile ones: NUL, lone
surrogates, huge and negative numbers, Unicode digits such as ``²`` and ``١``, direction overrides,
very long values), a query string of such values under the names the pages read and under ``url_for``'s
own (``_method``, ``endpoint``, ``_external``), and for a POST a form of such values under the names
central's own forms use (read from the admin and account pages) with a valid CSRF token, so the view
itself runs. Each drawn request is sent over HTTP as an admin, a viewer of one site, a viewer of the
other and anonymously, on SQLite and on PostgreSQL: every answer is below 500.

The routes are central's URL map (tests/helpers/routes.py): every GET page route and every POST of the
session-backed pages but logging in and out (those have their own tests, and a random login would trip
the login limit). ``EXAMPLES`` is sized so both backends together stay under two minutes on two cores;
the test prints the count of examples and requests per backend.
"""
import re
import time
from collections import Counter
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.network import parse_page
from tests.helpers.routes import page_routes
from tests.helpers.seeded import ROLES, seed

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("module_central", ["sqlite", "postgresql"],
                                                        indirect=True, scope="module")]

#: Examples per route (each sent as every role): GET pages render reports and cost the most.
EXAMPLES = {"GET": 50, "POST": 30}
#: The POST routes left out, by endpoint (see the module's docstring).
NOT_DRAWN = ("login.login", "login.logout")
#: Query names the pages read, and url_for's own keywords (a query string once reached url_for).
QUERY_NAMES = ("period", "from", "to", "service", "provider", "kiosk", "site", "sort", "dir", "by", "q", "page",
               "format", "lang", "next", "_method", "endpoint", "_external", "_anchor", "_scheme", "values")
HOSTILE = [
    "", "0", "-1", "+1", " 1", "1 ", "01", "1.0", "1e3", "0x1f", "²", "¹", "١٢", "１２", "𝟏", "Ⅻ", "৩",
    "9" * 25, str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63), str(2**64), "99999999999999999999999",
    "\x00", "1\x00", "\ud800", "\udfff", "a\ud800b", "\u202e1", "\u200f", "\u2066x\u2069", "%", "%00", "\x7f",
    "x" * 5000, "9" * 5000, "0001-01-01", "9999-12-31", "2000-01-01", "1999-12-31", "2100-12-31", "2101-01-01",
    "2026-02-30", "2026-13-01", "+2026-01-01", "2026-1-1", "20260105", "2026-W02-1", "today", "7d", "30d",
    "custom", "csv", "json", "asc", "desc", "trend", "site", "service", "provider", "fi", "sv", "en",
    "javascript:alert(1)", "//evil.example", "/\\evil.example", "<script>x</script>", "'\";--", "\n",
    "\r\nX-Injected: 1", "DELETE", "site:", "service:", "mon=25:00-99:00", "Europe/Nowhere",
]
ODD_CHARACTERS = ["\x00", "\ud800", "\udbff", "\udc00", "\u202e", "\u202d", "\u200f", "²", "¹", "١", "٣", "𝟙",
                  "\x1b", "\r", "\n", "%", "&", "=", "#", "?", "/", "\\", "+", ";"]
_ARGUMENT = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def encoded(value):
    """*value* percent-encoded byte by byte; a lone surrogate as the bytes a careless client sends."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def values(real=()):
    """A drawn value: one of *real* (ids that exist), a hostile constant, a number, a date or odd text."""
    text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(ODD_CHARACTERS)), max_size=40)
    drawn = st.one_of(st.sampled_from(HOSTILE), st.integers(-2**70, 2**70).map(str),
                      st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat), text)
    if not real:
        return drawn
    known = st.sampled_from([str(value) for value in real])
    return st.booleans().flatmap(lambda use_real: known if use_real else drawn)  # one_of would flatten to 1 in 5


def path_strategy(rule, ids, protected):
    """The rule's path with drawn arguments (``protected``: ids a user argument must not take, the roles')."""
    arguments = _ARGUMENT.findall(rule)

    def allowed(name, value):
        return name != "user_id" or not (value.isascii() and value.isdigit() and int(value) in protected)

    drawn = {name: values(ids.get(name, ())).filter(lambda value, name=name: allowed(name, value))
             for name in arguments}

    def build(chosen):
        return _ARGUMENT.sub(lambda match: encoded(chosen[match.group(1)]), rule)

    return st.fixed_dictionaries(drawn).map(build)


def pairs(names, real):
    """One to four (name, value) pairs: five in six names known (so each gets its share of odd values), the
    rest odd; values as :func:`values`, half of them among *real*. Few at a time: the first bad value a
    page meets answers for the request, and would hide the others."""
    name = st.integers(0, 5).flatmap(lambda n: values() if n == 0 else st.sampled_from(names))
    return st.lists(st.tuples(name, values(real)), min_size=1, max_size=4)


def form_vocabulary(session, url):
    """The field names and values of central's own forms (the admin and account pages)."""
    names, known = set(), set()
    for path in ("/admin", "/account"):
        page = parse_page(session.http.get(url + path, timeout=60).text)
        for element in page.iter():
            if element.tag in ("input", "select", "textarea") and element.attrs.get("name"):
                names.add(element.attrs["name"])
            if element.tag in ("input", "option") and element.attrs.get("value"):
                known.add(element.attrs["value"])
    names.discard("csrf_token")
    return sorted(names), sorted(known - {""})


def csrf_token(session, url):
    """The CSRF token of *session*, from a page with a form (the login page's for anonymous)."""
    page = session.http.get(url + "/account", timeout=60)  # anonymous: sent on to the login page
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, page.url
    return found.group(1)


def drawn_routes(app):
    """``[(method, rule)]``: every GET page route and the POSTs of the session-backed pages."""
    routes = [("GET", route.rule) for route in page_routes(app)]
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("admin", "pages", "alerts", "login") \
                and rule.endpoint not in NOT_DRAWN:
            routes.append(("POST", rule.rule))
    return sorted(set(routes))


@pytest.fixture(scope="module")
def network(module_central):
    seeded = seed(module_central)
    yield seeded
    seeded.close()


def test_no_drawn_query_string_path_id_or_form_gives_a_5xx(module_central, network):
    url, ids = module_central.url, network.ids
    sessions = network.sessions
    tokens = {role: csrf_token(sessions[role], url) for role in ROLES}
    protected = set(module_central.query(lambda m: [user.id for user in m.User.select()
                                                    .where(m.User.name.in_(["hanna", "ville", "sanna"]))]))
    field_names, field_values = form_vocabulary(sessions["admin"], url)
    real_query = [*ids["site_id"], *ids["kiosk_id"], *ids["service"], *ids["provider"], *ids["day"]]
    routes = drawn_routes(module_central.app)
    assert ("GET", "/sites/<id:site_id>/days/<day:day>") in routes and ("POST", "/admin/target") in routes
    assert ("POST", "/comments/<uuid_text:followup_id>/redact") in routes, routes
    examples, answers, failures = Counter(), Counter(), []
    started = time.monotonic()

    def drive(method, rule):
        """Draw this route's examples and send each as every role."""
        request = st.tuples(path_strategy(rule, ids, protected), pairs(QUERY_NAMES, real_query),
                            pairs(field_names, field_values) if method == "POST" else st.just([]))

        @settings(max_examples=EXAMPLES[method], deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(request)
        def send(drawn):
            path, query, form = drawn
            examples[rule, method] += 1
            target = url + path + ("?" + "&".join(f"{encoded(k)}={encoded(v)}" for k, v in query) if query else "")
            for role in ROLES:
                body = "&".join(f"{encoded(k)}={encoded(v)}" for k, v in [*form, ("csrf_token", tokens[role])])
                response = sessions[role].http.request(
                    method, target, data=body.encode("ascii") if method == "POST" else None, timeout=60,
                    allow_redirects=False, headers={"Accept": "text/html,*/*;q=0.8",
                                                    "Content-Type": "application/x-www-form-urlencoded"})
                answers[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{role}: {method} {target[len(url):][:300]} form={form!r:.300} -> "
                                    f"{response.status_code}")
                assert response.status_code < 500, failures[-1]

        send()

    for method, rule in routes:
        drive(method, rule)

    took = time.monotonic() - started
    print(f"\n{module_central.backend}: {sum(examples.values())} examples over {len(routes)} routes, "
          f"{sum(answers.values())} requests in {took:.0f} s: {dict(sorted(answers.items()))}")
    assert not failures
    assert all(examples[rule, method] >= 1 for method, rule in routes)
    # The roles held to the end: no drawn request ended a session or deleted a user it belongs to.
    for role in ("admin", "viewer", "other viewer"):
        assert sessions[role].http.get(url + "/overview", allow_redirects=False, timeout=60).status_code == 200, role
    assert {200, 302, 400, 403, 404} <= set(answers), answers
