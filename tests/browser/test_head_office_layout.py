"""Every head-office page fits across the common desktop screens, in every language, in a real Chromium.

On the demo's seeded network, every GET page route of central's URL map (tests/helpers/routes.py; its
path ids read from the pages' own links, so a route whose ids no page links to fails) is opened at
1280x800, 1440x900 and 1920x1080 in Finnish, Swedish and English. Nothing may scroll the page sideways
(``scrollWidth`` over ``clientWidth``), and no table may be wider than the box it stands in (a card
that scrolls its table sideways hides the last columns). Full-page screenshots of each page at each
size, in Finnish (the longest words), go to tests/artifacts/head-office-layout-*.png.
"""
import re

import pytest
from playwright.sync_api import expect

from sync.central.cli.demo_central import start_demo_central
from tests.helpers.browser import ARTIFACTS
from tests.helpers.head_office import linked_ids, served_app
from tests.helpers.routes import page_routes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = {"1280x800": (1280, 800), "1440x900": (1440, 900), "1920x1080": (1920, 1080)}
LANGUAGES = ("fi", "sv", "en")

#: What does not fit: the page wider than the window, a table wider than its box (by more than a pixel).
OVERFLOW = """() => {
  const found = [], page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) found.push(`the page: ${page.scrollWidth} > ${page.clientWidth} px`);
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement, width = Math.ceil(table.getBoundingClientRect().width);
    const room = box.clientWidth - parseFloat(getComputedStyle(box).paddingLeft)
                 - parseFloat(getComputedStyle(box).paddingRight);
    if (table.offsetParent !== null && (width > room + 1 || box.scrollWidth > box.clientWidth + 1)) {
      const name = table.id || table.closest('[id]')?.id || table.closest('section')?.querySelector('h2')?.textContent;
      found.push(`table ${name}: ${width} px in ${Math.round(room)} px`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    central = start_demo_central(tmp_path_factory.mktemp("head-office-layout"), "127.0.0.1", 0)
    yield central
    central.close()


@pytest.fixture(scope="module")
def signed_in(browser, network):
    """A browser context logged in as the demo's admin (pages asked with ``?lang=``)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(network.url + "/login?lang=en")
    page.get_by_label("Name").fill(network.user)
    page.get_by_label("Password").fill(network.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(network.url + "/overview")
    yield page
    context.close()


def test_every_page_fits_at_1280_1440_and_1920_in_every_language(network, signed_in):
    page = signed_in
    ids = linked_ids(page, network.url)
    routes = page_routes(served_app(network.server))
    # The export is a download, not a page; the login page is its own test (a signed-in user is sent on).
    urls = [url for route in routes if route.endpoint not in ("pages.export", "login.login")
            for url in route.urls(ids)]
    assert "/drivers" in urls and "/admin" in urls and any("/days/" in url for url in urls), urls
    ARTIFACTS.mkdir(exist_ok=True)
    problems, shown = [], 0
    for screen, (width, height) in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        for language in LANGUAGES:
            for url in urls:
                answer = page.goto(f"{network.url}{url}{'&' if '?' in url else '?'}lang={language}")
                assert answer.status < 400, f"{url}: {answer.status}"
                shown += 1
                problems += [f"{url} at {screen} in {language}: {what}" for what in page.evaluate(OVERFLOW)]
                if language == "fi":
                    name = re.sub(r"\W+", "-", url.strip("/")) or "home"
                    page.screenshot(path=ARTIFACTS / f"head-office-layout-{name}-{screen}.png", full_page=True)
    assert not problems, "\n".join(problems)
    assert shown >= len(SCREENS) * len(LANGUAGES) * 10


def test_the_login_page_fits_too(browser, network):
    for screen, (width, height) in SCREENS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fi-FI")
        page = context.new_page()
        page.goto(network.url + "/login")
        assert page.evaluate(OVERFLOW) == [], screen
        context.close()


NOT_FOUND = {"fi": ("Sivua ei löydy", "Takaisin yleiskuvaan"),
             "sv": ("Sidan hittades inte", "Tillbaka till översikten"),
             "en": ("Page not found", "Back to the overview")}


def test_an_address_that_matches_nothing_is_a_styled_page_with_a_way_back(network, signed_in):
    page = signed_in
    page.set_viewport_size({"width": 1440, "height": 900})
    for language, (heading, way_back) in NOT_FOUND.items():
        answer = page.goto(f"{network.url}/services/1?lang={language}")
        assert answer.status == 404 and answer.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate(OVERFLOW) == []
        card = page.locator("section.error")
        assert card.evaluate("el => getComputedStyle(el).borderRadius") != "0px"  # central's stylesheet applies
        page.screenshot(path=ARTIFACTS / f"head-office-layout-not-found-{language}.png")
        page.get_by_role("link", name=way_back).click()
        expect(page).to_have_url(f"{network.url}/overview")
