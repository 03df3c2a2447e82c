"""The store manager's flow in a real Chromium, at the smallest and the largest
panel: the hidden way in from the customer screen, the PIN on the digit pad,
Today, Week, the kiosk's state, a pause the customer screen shows, and the
way back. Screenshots of each page go to tests/artifacts/ (manager-*.png)."""

import pytest
from playwright.sync_api import expect

from kiosk.manager.views import IDLE_SECONDS
from tests.helpers.browser import ARTIFACTS, SIZES, check_fits, enter_pin, shot
from tests.helpers.manager import PIN

pytestmark = pytest.mark.browser

HOLD_MS = 3000


def hold_corner(page, ms, x=6, y=6):
    page.mouse.move(x, y)
    page.mouse.down()
    page.clock.run_for(ms)


@pytest.mark.parametrize("size", ["800x480", "1920x1080"])
def test_the_manager_flow_from_the_hidden_corner_to_a_pause_and_back(seeded, open_screen, size):
    screen = open_screen("/", clock=True)
    page = screen.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})

    hold_corner(page, HOLD_MS + 100)
    page.wait_for_url("**/manager")
    page.mouse.up()
    expect(page.locator("h1")).to_have_text("Esihenkilön näkymä")
    check_fits(page, f"PIN page at {size}")
    shot(page, f"manager-pin-{size}")

    page.locator('.pad__key[data-digit="1"]').click()
    page.locator(".pad__key[data-erase]").click()
    expect(page.locator("#pin")).to_have_value("")
    enter_pin(page, "1357")
    expect(page.locator(".alert")).to_contain_text("Väärä PIN-koodi")
    enter_pin(page)
    expect(page.locator("body")).to_have_attribute("data-page", "today")
    expect(page.locator('[data-figure="1"] .figure__label')).to_have_text("Tyytyväisyys")
    assert page.locator(".chart__column").count() >= 12  # a counter open 8-20
    check_fits(page, f"Today at {size}")
    shot(page, f"manager-today-{size}")
    page.screenshot(path=str(ARTIFACTS / f"manager-today-full-{size}.png"), full_page=True, animations="disabled")

    page.locator(".tab", has_text="Viikko").click()
    expect(page.locator("body")).to_have_attribute("data-page", "week")
    assert page.locator(".chart__cell").count() > 7 * 10
    check_fits(page, f"Week at {size}")
    shot(page, f"manager-week-{size}")

    page.locator(".chart__link").last.click()  # a day of the week opens as its own Today page
    expect(page.locator("body")).to_have_attribute("data-page", "today")
    assert "day=2026-01-05" in page.url

    page.locator(".tab", has_text="Kioski").click()
    expect(page.locator(".verdict")).to_be_visible()
    check_fits(page, f"Kiosk at {size}")
    shot(page, f"manager-kiosk-{size}")

    page.locator(".tab", has_text="Tauko").click()
    page.locator("button", has_text="Laita kioski tauolle").click()
    expect(page.locator(".pause--on h1")).to_have_text("Kioski on tauolla")
    check_fits(page, f"Pause at {size}")
    shot(page, f"manager-paused-{size}")

    page.locator(".button--leave").click()
    page.wait_for_url(screen.url + "/")
    expect(page.locator("body")).to_have_attribute("data-view", "closed")
    expect(page.locator("#closed-title")).to_be_visible()
    expect(page.locator(".face").first).to_be_hidden()
    shot(page, f"closed-{size}")

    hold_corner(page, HOLD_MS + 100)  # the way in works on the closed screen too, to resume
    page.wait_for_url("**/manager")
    page.mouse.up()
    enter_pin(page)
    page.locator(".tab", has_text="Tauko").click()
    page.locator("button", has_text="Jatka arvioiden keräämistä").click()
    expect(page.locator(".pause--off")).to_be_visible()
    page.locator(".button--leave").click()
    expect(page.locator("body")).to_have_attribute("data-view", "question")


def test_a_short_press_a_press_elsewhere_or_a_slide_out_of_the_corner_does_nothing(open_screen):
    screen = open_screen("/", clock=True)
    page = screen.page
    hold_corner(page, HOLD_MS - 500)
    page.mouse.up()
    page.clock.run_for(HOLD_MS)
    question = page.locator("#question-text").bounding_box()  # not a face: a press there stores nothing
    hold_corner(page, HOLD_MS * 2, x=question["x"] + question["width"] / 2, y=question["y"] + question["height"] / 2)
    page.mouse.up()
    hold_corner(page, 500)
    page.mouse.move(400, 300)
    page.clock.run_for(HOLD_MS * 2)
    page.mouse.up()
    assert page.url == screen.url + "/"
    screen.showing("question")
    assert screen.requests_to("/manager") == 0 and screen.requests_to("/api/ratings") == 0


def test_the_pin_field_submits_on_enter_and_the_page_leaves_by_itself_after_three_idle_minutes(
        seeded, open_screen):
    screen = open_screen("/", clock=True)
    page = screen.page
    page.goto(screen.url + "/manager")
    page.locator("#pin").press_sequentially(PIN)
    page.locator("#pin").press("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "today")
    page.clock.run_for((IDLE_SECONDS - 10) * 1000)
    page.mouse.click(400, 300)  # a touch: the countdown starts again
    page.clock.run_for((IDLE_SECONDS - 10) * 1000)
    assert "/manager" in page.url
    page.clock.run_for(20 * 1000)
    page.wait_for_url(screen.url + "/")
    page.goto(screen.url + "/manager")
    expect(page.locator("#pin")).to_be_visible()  # the session ended with it


def test_a_screen_opened_before_the_pause_shows_closed_once_a_tap_comes_back_closed(open_screen, kiosk):
    screen = open_screen("/")
    kiosk.pause.pause()  # from another screen, or the manager's own browser
    screen.tap_face(4)
    screen.showing("followup")
    with screen.page.expect_navigation():
        screen.action("done").click()
    expect(screen.body).to_have_attribute("data-view", "closed")
    expect(screen.face(4)).to_be_hidden()
    screen.page.keyboard.press("3")  # keys 1-4 do nothing while closed
    screen.page.evaluate("() => new Promise((done) => setTimeout(done, 50))")  # a tap would have been sent by now
    assert screen.requests_to("/api/ratings") == 1


def test_open_screens_follow_a_pause_and_a_resume_within_seconds_when_idle(open_screen, kiosk):
    screen = open_screen("/", clock=True)
    screen.showing("question")
    kiosk.pause.pause()  # from the manager's own browser
    with screen.page.expect_navigation():
        screen.page.clock.run_for(16_000)
    screen.showing("closed")
    kiosk.pause.resume()
    with screen.page.expect_navigation():
        screen.page.clock.run_for(16_000)
    screen.showing("question")


def test_a_pause_does_not_interrupt_a_customer_answering(open_screen, kiosk):
    screen = open_screen("/", clock=True)
    screen.tap_face(2)
    screen.page.locator(".chip").first.click()
    screen.action("comment").click()
    screen.showing("comment")  # a customer typing has 30 s before the screen moves on
    kiosk.pause.pause()
    screen.page.clock.run_for(16_000)
    assert screen.requests_to("/api/state") == 0  # not even asked while someone answers
    screen.showing("comment")
