"""Head office's pages as a browser test finds them: the app behind a served demo, and path ids from links.

Used by the browser tests that walk every page route (tests/browser/test_head_office_layout.py,
tests/browser/test_content_policy.py) with tests/helpers/routes.py.
"""
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

from flask import Flask


def served_app(server):
    """The Flask app a waitress server serves (waitress wraps it in its proxy-header middleware)."""
    application = server.application
    if isinstance(application, Flask):
        return application
    found = [cell.cell_contents for cell in application.__closure__ or () if isinstance(cell.cell_contents, Flask)]
    assert found, f"no Flask app behind {application!r}"
    return found[0]


def linked_ids(page, url):
    """Path ids for the page routes, read from the links a user follows (*page*: a signed-in Playwright page):
    sites from the overview, days from the first site's page (its last 30 days), an action from the Actions page."""
    page.goto(url + "/overview?period=30d")
    sites = sorted({int(m) for m in re.findall(r"^/sites/(\d+)(?:\?|$)", "\n".join(
        page.eval_on_selector_all("a[href^='/sites/']", "links => links.map(a => a.getAttribute('href'))")),
        re.M)})
    page.goto(f"{url}/sites/{sites[0]}?period=30d")
    days = sorted({m for m in re.findall(r"/days/([\d-]+)", "\n".join(
        page.eval_on_selector_all("a[href*='/days/']", "links => links.map(a => a.getAttribute('href'))")))})
    page.goto(url + "/actions")
    actions = re.findall(r"^/actions/([0-9a-f-]{36})/edit", "\n".join(
        page.eval_on_selector_all("a[href^='/actions/']", "links => links.map(a => a.getAttribute('href'))")), re.M)
    return {"site_id": sites[:2], "day": days[-1:], "action_id": actions[:1]}


def rows_of(page_text, what):
    parser = Rows(what)
    parser.feed(page_text)
    return parser.rows


class Rows(HTMLParser):
    """Table rows carrying ``data-<what>="name"`` and their ``data-figure`` cells' text."""

    def __init__(self, what):
        super().__init__()
        self.what, self.rows, self._row, self._figure = f"data-{what}", {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and self.what in attrs:
            self._row = self.rows.setdefault(attrs[self.what], {})
        elif self._row is not None and "data-figure" in attrs:
            self._figure = attrs["data-figure"]
            self._row[self._figure] = ""

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        elif tag == "td":
            self._figure = None

    def handle_data(self, data):
        if self._row is not None and self._figure:
            self._row[self._figure] = " ".join((self._row[self._figure] + " " + data).split())


def shown_percent(numerator, denominator):
    return int((Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
