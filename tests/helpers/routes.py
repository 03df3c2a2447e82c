"""Every page route of a Flask app, read from its URL map, and the URLs that fill them with real ids.

A test that means to cover *every* page asks the app, not a list kept by hand: a page added later
is covered the day it is added. Its path arguments are filled from a mapping of argument name to
real values (site ids, days, ...). An argument nobody gave values for is an error
(:class:`MissingIds`), never a skip, so a new kind of id fails the test until it is seeded.

Used by the all-pages test (tests/central/test_every_page.py) and meant for any later test that
walks every route (a property test drawing its arguments, for one).
"""
import itertools
from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule

#: What is not a page: the token APIs and static files have their own tests.
NOT_PAGES = ("/api/", "/static/")


class MissingIds(LookupError):
    """A route takes a path argument no values were given for."""


@dataclass(frozen=True)
class PageRoute:
    """One GET route: its rule as written (``/sites/<id:site_id>``), its endpoint and its path arguments
    (and the app's URL converters beyond werkzeug's own, to build its paths with)."""

    rule: str
    endpoint: str
    arguments: tuple[str, ...]
    converters: dict = field(default_factory=dict, compare=False)

    def urls(self, ids, query=()):
        """Every URL of this route with each combination of *ids* (argument -> values) for its arguments.

        :param query: the query strings (mappings) each URL is asked with, ``{}`` for none; or a function
            of the path's values (argument -> value) that returns them, for a query id that belongs to a
            path id (a kiosk of the site in the path). ``()``: the URLs without a query string.
        :raises MissingIds: an argument has no values in *ids*.
        """
        missing = [name for name in self.arguments if not ids.get(name)]
        if missing:
            raise MissingIds(f"{self.rule}: no values for {', '.join(missing)}")
        choices = [[(name, value) for value in ids[name]] for name in self.arguments]
        urls = []
        for combination in itertools.product(*choices):
            values = dict(combination)
            path = self.path(values)
            queries = query(values) if callable(query) else query
            urls += [f"{path}?{urlencode(params)}" if params else path for params in queries or [{}]]
        return urls

    def path(self, values):
        """This route's path with *values* for its arguments (as the app's ``url_for`` would build it)."""
        rules = [Rule(self.rule, endpoint=self.endpoint, methods=["GET"])]
        adapter = Map(rules, converters=self.converters).bind("localhost")
        return adapter.build(self.endpoint, {name: values[name] for name in self.arguments})


def page_routes(app, under="/", leave_out=NOT_PAGES):
    """The app's GET routes under *under* (a path prefix), but not those under *leave_out*, by rule."""
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not rule.rule.startswith(under):
            continue
        if any(rule.rule.startswith(prefix) for prefix in leave_out):
            continue
        found[rule.rule] = PageRoute(rule.rule, rule.endpoint, tuple(sorted(rule.arguments)),
                                     dict(app.url_map.converters))
    return [found[key] for key in sorted(found)]
