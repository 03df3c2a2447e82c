"""The manager's "The network" card in a real Chromium at the smallest panel, 800x480, in Finnish, Swedish
and English: on Today and on Week, beside the kiosk's own cards, nothing wider than the window and no
target too small for a finger. Screenshots go to tests/artifacts/ (manager-network-*.png)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kiosk.storage.network import NetworkStore
from tests.helpers.browser import check_fits, enter_pin, shot
from tests.helpers.network_document import network_document

pytestmark = pytest.mark.browser

TITLES = {"fi": "Verkosto", "sv": "Nätverket", "en": "The network"}
RANKS = {"fi": "4. / 12", "sv": "4:e av 12", "en": "4th of 12"}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_network_card_fits_800x480_on_today_and_week(seeded, kiosk, clock, open_screen, language):
    NetworkStore(kiosk.config.data_dir).save(network_document(names=["Tampere", "Kamppi", "Pasila"]), "e1",
                                             clock.now() - timedelta(hours=2))
    screen = open_screen("/")
    page = screen.page
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(f"{screen.url}/manager?lang={language}")
    enter_pin(page)
    expect(page.locator("body")).to_have_attribute("data-page", "today")
    network = page.locator(".card--network")
    expect(network.locator("h2")).to_have_text(TITLES[language])
    expect(network).to_contain_text(RANKS[language])
    check_fits(page, f"Today with the network ({language})")
    network.scroll_into_view_if_needed()
    shot(page, f"manager-network-today-{language}-800x480")
    page.goto(f"{screen.url}/manager/week?lang={language}")
    expect(page.locator("body")).to_have_attribute("data-page", "week")
    expect(page.locator(".card--network")).to_contain_text(RANKS[language])
    check_fits(page, f"Week with the network ({language})")
    page.locator(".card--network").scroll_into_view_if_needed()
    shot(page, f"manager-network-week-{language}-800x480")
