"""A public touchscreen: no menus, zoom, selection or scrolling, and nothing
fetched from anywhere but the kiosk itself."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DISPATCH = """([type, init]) => {
  const event = new (type === 'wheel' ? WheelEvent : MouseEvent)(type, {bubbles: true, cancelable: true, ...init});
  document.querySelector('.face').dispatchEvent(event);
  return event.defaultPrevented;
}"""


def test_context_menu_zoom_and_selection_are_off(open_screen):
    screen = open_screen()
    page = screen.page
    assert page.evaluate(DISPATCH, ["contextmenu", {}]) is True
    assert page.evaluate(DISPATCH, ["dragstart", {}]) is True
    assert page.evaluate(DISPATCH, ["wheel", {"ctrlKey": True, "deltaY": -100}]) is True
    viewport = page.get_attribute('meta[name="viewport"]', "content")
    assert "user-scalable=no" in viewport and "maximum-scale=1" in viewport
    style = page.evaluate("""() => { const s = getComputedStyle(document.body);
        return [s.userSelect, s.touchAction, s.overscrollBehaviorY, s.overflow]; }""")
    assert style == ["none", "none", "none", "hidden"]

    # A long press on a face neither selects its label nor opens a menu: it answers.
    screen.face(3).click(button="right")
    assert page.evaluate("() => String(getSelection())") == ""
    screen.showing("question")


def test_nothing_is_fetched_from_outside_the_kiosk(open_screen, live):
    screen = open_screen()
    page = screen.page
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.reload()
    screen.wait_live()
    screen.tap_face(4)
    screen.reason("trust").click()
    screen.action("comment").click()
    screen.type_comment("ok")
    with page.expect_response("**/followup"):
        screen.action("done").click()
    page.get_by_role("link", name="Svenska").click()
    screen.wait_live()

    assert screen.requests, "the page made no requests at all?"
    foreign = [url for url in screen.requests if not url.startswith(live.url + "/")]
    assert foreign == []
    assert failed == []
    assert screen.errors == []
    csp = page.request.get(live.url + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    expect(page.locator("#question-text")).to_have_text("Hur lyckades vi i dag?")
