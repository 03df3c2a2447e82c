"""Finnish, Swedish and English on the screen, and back to the default."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TEXTS = {
    "fi": ("Miten onnistuimme tänään?", "Erittäin tyytyväinen", "Kiitos!", "Henkilökunta", "Valmis"),
    "sv": ("Hur lyckades vi i dag?", "Mycket nöjd", "Tack!", "Personalen", "Klar"),
    "en": ("How did we do today?", "Very happy", "Thank you!", "Staff", "Done"),
}


def check_language(screen, language):
    question, very_happy, thanks, staff, done = TEXTS[language]
    page = screen.page
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#question-text")).to_have_text(question)
    expect(screen.face(4)).to_have_attribute("aria-label", very_happy)
    expect(page.locator(".language[aria-current]")).to_have_attribute("lang", language)
    screen.tap_face(4)
    expect(page.locator("#thanks")).to_have_text(thanks)
    expect(screen.reason("staff")).to_have_text(staff)
    expect(screen.action("done")).to_have_text(done)


def test_switching_language_changes_every_text_and_returns_to_default(open_screen, live):
    screen = open_screen()
    page = screen.page
    check_language(screen, "fi")
    screen.action("done").click()

    for language, name in [("sv", "Svenska"), ("en", "English")]:
        page.get_by_role("link", name=name).click()
        screen.wait_live()
        check_language(screen, language)
        # The next customer gets the kiosk's own language again.
        screen.action("done").click()
        expect(page).to_have_url(live.url + "/")
        screen.wait_live()
        expect(page.locator("html")).to_have_attribute("lang", "fi")
        expect(page.locator("#question-text")).to_have_text(TEXTS["fi"][0])


def test_an_idle_screen_returns_to_the_default_language(open_screen, screen_app):
    idle_ms = screen_app.config["HYMY"].idle_timeout * 1000
    screen = open_screen("/?lang=sv", clock=True)
    page = screen.page
    expect(page.locator("#question-text")).to_have_text(TEXTS["sv"][0])

    page.clock.fast_forward(idle_ms - 1000)
    page.mouse.click(5, 5)  # a touch anywhere: someone is reading
    page.clock.fast_forward(idle_ms - 1000)
    expect(page.locator("html")).to_have_attribute("lang", "sv")

    page.clock.fast_forward(2000)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("#question-text")).to_have_text(TEXTS["fi"][0])


def test_the_default_language_comes_from_config(make_app, serve, context):
    server = serve(make_app(language="sv", stream_heartbeat=0.05))
    page = context.new_page()
    page.goto(server.url + "/")
    expect(page.locator("#question-text")).to_have_text(TEXTS["sv"][0])
    page.close()
