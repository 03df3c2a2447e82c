"""The screen fits every panel without scrolling, with big targets, and looks
the part: screenshots of each view at each size go to tests/artifacts/."""

import pytest

from tests.helpers.browser import SIZES

pytestmark = pytest.mark.browser

#: The smallest finger target on any panel (Apple and Android guidance is 44-48 px;
#: a kiosk at arm's length, perhaps with gloves, gets more).
MIN_TARGET_PX = 64

NO_SCROLL = """() => {
  const d = document.documentElement, b = document.body;
  return {w: Math.max(d.scrollWidth, b.scrollWidth), h: Math.max(d.scrollHeight, b.scrollHeight),
          vw: innerWidth, vh: innerHeight};
}"""

SMALL_TARGETS = """(min) => [...document.querySelectorAll('button, a')]
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.className + ' ' + (el.dataset.key || el.dataset.action || el.dataset.reason
                                      || el.dataset.rating || el.textContent.trim()),
                 el.getBoundingClientRect()])
  .filter(([, r]) => r.width < min || r.height < min)
  .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""

OUTSIDE = """() => [...document.querySelectorAll('.view:not([hidden]) *')]
  .filter((el) => el.offsetParent !== null && el.getClientRects().length)
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([, r]) => r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)
  .map(([el]) => el.className || el.tagName)"""


def check_fits(screen, where):
    page = screen.page
    size = page.evaluate(NO_SCROLL)
    assert size["w"] <= size["vw"] and size["h"] <= size["vh"], f"{where} scrolls: {size}"
    assert page.evaluate(OUTSIDE) == [], f"{where}: something is cut off"
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET_PX) == [], f"{where}: targets under {MIN_TARGET_PX} px"


@pytest.mark.parametrize("size", SIZES)
def test_every_view_fits_without_scrolling_and_targets_are_big(open_screen, size):
    screen = open_screen()
    width, height = SIZES[size]
    screen.page.set_viewport_size({"width": width, "height": height})

    check_fits(screen, f"question at {size}")
    screen.screenshot(f"question-{size}")

    screen.tap_face(3)
    screen.reason("staff").click()
    check_fits(screen, f"follow-up at {size}")
    screen.screenshot(f"followup-{size}")

    screen.action("comment").click()
    screen.showing("comment")
    screen.type_comment("Nopea ja ystävällinen palvelu")
    check_fits(screen, f"comment at {size}")
    screen.screenshot(f"comment-{size}")
    screen.action("layer").click()
    check_fits(screen, f"comment symbols at {size}")


@pytest.mark.parametrize("size", ["800x480"])
def test_swedish_fits_the_smallest_panel(open_screen, size):
    screen = open_screen("/?lang=sv")
    width, height = SIZES[size]
    screen.page.set_viewport_size({"width": width, "height": height})
    check_fits(screen, f"Swedish question at {size}")
    screen.tap_face(1)
    check_fits(screen, f"Swedish follow-up at {size}")
    screen.screenshot(f"followup-sv-{size}")
