"""The manager's Actions page in a real Chromium at the smallest panel, 800x480, in Finnish, Swedish and
English: an action recorded through the form by touch (first refused for want of a weekday, and
shown again as typed with one line in the screen's language), listed with its before and after, flagged on
the Week chart on the day it started, and withdrawn; nothing wider than the window. Screenshots go to
tests/artifacts/ (manager-actions-*.png)."""

import pytest
from playwright.sync_api import expect

from kiosk.storage import actions
from tests.helpers.browser import check_fits, enter_pin, shot

pytestmark = pytest.mark.browser

RECORD = {"fi": "Kirjaa toimenpide", "sv": "Registrera åtgärden", "en": "Record the action"}
HOURS = {"fi": "Nämä tunnit näinä viikonpäivinä", "sv": "Dessa timmar på dessa veckodagar",
         "en": "These hours on these weekdays"}
MONDAY = {"fi": "ma", "sv": "mån", "en": "Mon"}
WITHDRAWN = {"fi": "peruttu", "sv": "återkallad", "en": "withdrawn"}
WITHDRAW = {"fi": "Peru", "sv": "Återkalla", "en": "Withdraw"}
NO_WEEKDAY = {"fi": "Valitse vähintään yksi viikonpäivä", "sv": "Välj minst en veckodag",
              "en": "Choose at least one weekday"}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_manager_records_an_action_by_touch_and_withdraws_it_at_800x480(seeded, kiosk, open_screen, language):
    screen = open_screen("/")
    page = screen.page
    page.set_viewport_size({"width": 800, "height": 480})
    page.goto(f"{screen.url}/manager?lang={language}")
    enter_pin(page)
    page.goto(f"{screen.url}/manager/actions?lang={language}")
    expect(page.locator("body")).to_have_attribute("data-page", "actions")
    page.locator(".heading a.button--primary").click()
    form = page.locator("form.action-form")
    form.locator("input[name=title]").fill("Toinen kassa")
    form.locator("input[name=started_on]").fill("2026-01-02")
    form.get_by_label(HOURS[language]).check()
    form.get_by_role("button", name=RECORD[language]).click()  # no weekday yet: refused, kept as typed
    expect(page.locator(".notice")).to_contain_text(NO_WEEKDAY[language])
    expect(form.locator("input[name=title]")).to_have_value("Toinen kassa")
    expect(form.get_by_label(HOURS[language])).to_be_checked()
    check_fits(page, f"a refused action form ({language})")
    shot(page, f"manager-actions-refused-{language}-800x480")
    form.get_by_label(MONDAY[language], exact=True).check()
    check_fits(page, f"the action form ({language})")
    shot(page, f"manager-actions-form-{language}-800x480")
    form.get_by_role("button", name=RECORD[language]).click()
    expect(page.locator("body")).to_have_attribute("data-page", "actions")
    item = page.locator("li.action", has_text="Toinen kassa")
    expect(item.locator("[data-verdict]")).to_be_visible()
    check_fits(page, f"the Actions page ({language})")
    shot(page, f"manager-actions-{language}-800x480")
    page.goto(f"{screen.url}/manager/week?lang={language}")
    flag = page.locator("svg.chart [data-action-start='2026-01-02']")
    expect(flag).to_have_count(1)
    expect(flag.locator("title")).to_have_text("Toinen kassa")
    check_fits(page, f"the Week with an action's start ({language})")
    shot(page, f"manager-actions-week-{language}-800x480")
    page.goto(f"{screen.url}/manager/actions?lang={language}")
    item.get_by_role("button", name=WITHDRAW[language]).click()
    expect(page.locator("li.action", has_text="Toinen kassa")).to_contain_text(WITHDRAWN[language])
    rows = sorted(actions.kept_rows(), key=lambda row: row["withdrawn"])  # one clock reading: order by kind
    assert [(row["title"], row["withdrawn"]) for row in rows] == [("Toinen kassa", False), ("Toinen kassa", True)]
    assert rows[1]["supersedes"] == rows[0]["id"]
    assert {key: rows[0]["target"][key] for key in ("kind", "weekdays", "from_hour", "to_hour")} == {
        "kind": "hours", "weekdays": [1], "from_hour": 11, "to_hour": 14}
