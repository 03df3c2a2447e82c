"""Head office's pages under their Content-Security-Policy, in a real Chromium: no violation anywhere.

On the demo's seeded network, every GET page route of central's URL map (tests/helpers/routes.py; path
ids read from the pages' own links, tests/helpers/head_office.py) is opened as the admin, and the login
and an error page anonymously, in Finnish, Swedish and English. Chromium reports each blocked inline
script or style, eval, foreign load or framing both as a ``securitypolicyviolation`` event (recorded by
a script the test adds to every page) and as a console error: neither may appear. That the listener
hears a violation at all is checked first, with an inline style and script the test itself puts on a
page. The pages' own script still does its work under the policy: a select of the filter bar sends the
form, and a revoke asks first.
"""
import pytest
from playwright.sync_api import expect

from sync.central.cli.demo_central import start_demo_central
from tests.helpers.head_office import linked_ids, served_app
from tests.helpers.routes import page_routes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Records every violation the page reports, from before its first script runs.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                           + ` at ${event.sourceFile || ""}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    central = start_demo_central(tmp_path_factory.mktemp("content-policy"), "127.0.0.1", 0)
    yield central
    central.close()


class Watched:
    """A page whose policy violations and console errors are collected."""

    def __init__(self, context):
        context.add_init_script(LISTEN)
        self.page = context.new_page()
        self.console = []
        self.page.on("console", lambda message: self.console.append(message.text)
                     if message.type == "error" else None)

    def violations(self):
        """Violations since the page loaded (the event's and the console's), as lines."""
        reported = self.page.evaluate("(window.__violations || []).splice(0)")
        console = [text for text in self.console if "Content Security Policy" in text]
        self.console.clear()
        return reported + console


def sign_in(browser, network):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    watched = Watched(context)
    watched.page.goto(network.url + "/login?lang=en")
    watched.page.get_by_label("Name").fill(network.user)
    watched.page.get_by_label("Password").fill(network.password)
    watched.page.get_by_role("button", name="Log in").click()
    expect(watched.page).to_have_url(network.url + "/overview")
    return context, watched


def test_the_listener_hears_a_violation(browser, network):
    context, watched = sign_in(browser, network)
    watched.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    watched.page.wait_for_function("window.__violations.length > 0")
    assert any("style-src" in line for line in watched.violations())
    watched.page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';
                                     document.body.append(s); }""")
    watched.page.wait_for_function("window.__violations.length > 0")
    assert any("script-src" in line for line in watched.violations())
    assert watched.page.evaluate("window.x") is None  # and the inline script did not run
    context.close()


def test_no_page_in_any_language_meets_a_violation(browser, network):
    context, watched = sign_in(browser, network)
    page = watched.page
    ids = linked_ids(page, network.url)
    routes = page_routes(served_app(network.server))
    urls = [url for route in routes if route.endpoint not in ("pages.export", "login.login")
            for url in route.urls(ids)]
    urls += ["/overview?period=30d&sort=trend&dir=desc", "/drivers?by=provider&period=30d", "/comments?period=30d",
             f"/sites/{ids['site_id'][0]}?period=30d", "/no-such-page"]
    assert "/admin" in urls and "/alerts" in urls and any("/days/" in url for url in urls), urls
    found = []
    for language in ("fi", "sv", "en"):
        for url in urls:
            page.goto(f"{network.url}{url}{'&' if '?' in url else '?'}lang={language}")
            page.wait_for_load_state("load")
            assert page.evaluate("document.styleSheets.length") >= 1, url  # central.css applied
            found += [f"{url} ({language}): {line}" for line in watched.violations()]
    anonymous = browser.new_context(locale="fi-FI")
    watched_anonymous = Watched(anonymous)
    for url in ("/login", "/login?next=/overview", "/no-such-page", "/overview"):
        watched_anonymous.page.goto(network.url + url)
        watched_anonymous.page.wait_for_load_state("load")
        found += [f"{url} (anonymous): {line}" for line in watched_anonymous.violations()]
    anonymous.close()
    context.close()
    assert not found, "\n".join(found)


def test_the_pages_script_works_under_the_policy(browser, network):
    context, watched = sign_in(browser, network)
    page = watched.page
    page.goto(network.url + "/overview?period=30d&lang=en")
    # A select of the filter bar sends its form at once (data-autosubmit).
    with page.expect_navigation():
        page.get_by_label("Provider").select_option(index=1)
    assert "provider=" in page.url
    # A revoke asks first (data-confirm); dismissed, nothing is sent.
    page.goto(network.url + "/admin?lang=en")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    revoke = page.get_by_role("button", name="Revoke").first
    revoke.click()
    assert asked and "Revoke this kiosk?" in asked[0]
    expect(page).to_have_url(network.url + "/admin?lang=en")
    assert watched.violations() == []
    context.close()
