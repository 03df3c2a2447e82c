"""The kiosk's own browser opens ``/?kiosk`` (systemd/hymy-browser.service): no mouse pointer on its
touchscreen, also after the page has gone back to the question; any other browser keeps its pointer."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CURSOR = "(selector) => getComputedStyle(document.querySelector(selector)).cursor"


def test_the_kiosks_own_screen_shows_no_pointer_and_others_do(open_screen):
    kiosk = open_screen("/?kiosk")
    assert kiosk.page.evaluate(CURSOR, ".face") == "none"
    kiosk.page.get_by_role("link", name="Svenska").click()  # another page of the same tab, without ?kiosk
    expect(kiosk.page.locator("html")).to_have_attribute("lang", "sv")
    kiosk.wait_live()
    assert "kiosk" not in kiosk.page.url
    assert kiosk.page.evaluate(CURSOR, ".face") == "none"

    other = open_screen("/", own_window=True)
    assert other.page.evaluate(CURSOR, ".face") == "pointer"
