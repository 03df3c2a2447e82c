"""Head office's pages in a real Chromium, on the demo's seeded network (three sites, six kiosks).

Screenshots land in tests/artifacts/ (head-office-*.png) to be looked at;
docs/head-office-*.png in the README are copies of two of them.
"""
import re

import pytest
from playwright.sync_api import expect

from sync.central.cli.demo_central import start_demo_central
from tests.helpers.browser import ARTIFACTS

pytestmark = pytest.mark.browser

LAPTOP, TABLET = {"width": 1440, "height": 900}, {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    central = start_demo_central(tmp_path_factory.mktemp("head-office"), "127.0.0.1", 0)
    yield central
    central.close()


def log_in(browser, network, viewport=LAPTOP, name=None, password=None):
    page = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    page.goto(network.url + "/?lang=en")
    expect(page).to_have_url(network.url + "/login")
    page.get_by_label("Name").fill(name or network.user)
    page.get_by_label("Password").fill(password or network.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(network.url + "/overview")
    return page


def test_login_and_the_overview_on_a_laptop_and_a_tablet(browser, network):
    page = log_in(browser, network)
    page.get_by_role("link", name="30 days").click()
    expect(page.locator("#sites tbody tr")).to_have_count(3)
    expect(page.locator("tr[data-site='Tampere Koskikeskus']")).to_contain_text("%")
    page.screenshot(path=ARTIFACTS / "head-office-overview.png", full_page=True)
    tablet = log_in(browser, network, TABLET)
    tablet.goto(network.url + "/overview?period=30d")
    tablet.screenshot(path=ARTIFACTS / "head-office-overview-tablet.png", full_page=True)
    assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def test_drill_down_from_site_to_a_day(browser, network):
    page = log_in(browser, network)
    page.goto(network.url + "/overview?period=30d")
    page.get_by_role("link", name="Tampere Koskikeskus").click()
    expect(page.get_by_role("heading", name="Tampere Koskikeskus")).to_be_visible()
    expect(page.locator("#kiosks tbody tr")).to_have_count(2)
    expect(page.locator("svg.chart path.line")).to_have_count(1)
    page.screenshot(path=ARTIFACTS / "head-office-site.png", full_page=True)
    page.locator("#days tbody tr a").first.click()
    expect(page.locator("svg.chart rect").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "head-office-day.png", full_page=True)


def test_providers_lift_and_drag(browser, network):
    page = log_in(browser, network)
    page.goto(network.url + "/providers?period=30d")
    expect(page.locator("tr[data-provider='Palvelu Oy']")).to_contain_text("lifts")
    expect(page.locator("tr[data-provider='Nordic Service AB']")).to_contain_text("drags")
    page.screenshot(path=ARTIFACTS / "head-office-providers.png", full_page=True)
    page.goto(network.url + "/drivers?period=30d")
    expect(page.locator(".split")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "head-office-drivers.png", full_page=True)


def test_the_fleet_flags_the_silent_kiosk(browser, network):
    page = log_in(browser, network)
    page.goto(network.url + "/fleet")
    expect(page.locator("tr[data-kiosk='tampere-returns-1']")).to_have_attribute("data-silent", "yes")
    expect(page.locator("tr[data-kiosk='stockholm-returns-1']")).to_contain_text("clock not synchronised")
    page.screenshot(path=ARTIFACTS / "head-office-fleet.png", full_page=True)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_fleets_ten_columns_fit_a_laptop_in_every_language(browser, network, language):
    page = log_in(browser, network, {"width": 1280, "height": 800})
    page.goto(network.url + f"/fleet?lang={language}")
    expect(page.locator("tr[data-kiosk='stockholm-returns-1'] .badge--warn").last).to_be_visible()
    table, card = page.evaluate("[document.querySelector('#fleet').scrollWidth, "
                                "document.querySelector('#fleet').parentElement.clientWidth]")
    assert table <= card, f"the fleet table is {table - card} px wider than its card in {language}"


def test_a_viewer_sees_only_their_site(browser, network):
    page = log_in(browser, network, name=network.viewer, password=network.viewer_password)
    page.goto(network.url + "/overview?period=30d")
    expect(page.locator("#sites tbody tr")).to_have_count(1)
    expect(page.locator("#sites")).to_contain_text("Tampere Koskikeskus")
    expect(page.locator("body")).not_to_contain_text("Stockholm")


def test_an_open_alert_is_on_the_overview_and_is_acknowledged(browser, network):
    page = log_in(browser, network)
    expect(page.locator("#open-alerts")).to_contain_text("tampere-returns-1")
    page.get_by_role("link", name="See the alerts").click()
    row = page.locator("#alerts tbody tr").first
    expect(row).to_contain_text("Silent kiosk")
    expect(row.locator("[data-started]")).to_have_text(re.compile(r"\d{2}:\d{2} EES?T$"))  # Tampere's local time
    page.screenshot(path=ARTIFACTS / "head-office-alerts.png", full_page=True)
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts tbody tr").first).to_contain_text("seen by head-office")


def test_the_login_and_admin_pages(browser, network):
    page = browser.new_context(viewport=LAPTOP, locale="fi-FI").new_page()
    page.goto(network.url + "/login")
    expect(page.get_by_role("button", name="Kirjaudu")).to_be_visible()  # Finnish by the browser's language
    page.screenshot(path=ARTIFACTS / "head-office-login-fi.png")
    admin = log_in(browser, network)
    admin.get_by_role("link", name="Admin").click()
    expect(admin.locator("#sites tr[data-site='Tampere Koskikeskus']")).to_be_visible()
    admin.screenshot(path=ARTIFACTS / "head-office-admin.png", full_page=True)


def test_the_actions_page_sorts_by_gain_and_a_viewer_records_an_action_for_their_site(browser, network):
    page = log_in(browser, network)
    page.get_by_role("link", name="Actions").click()
    page.get_by_role("link", name="Largest gain").click()
    first = page.locator("#actions-table tbody tr").first
    expect(first).to_contain_text("Second cashier at lunch")  # the demo's planted lunch-hour change
    expect(first.locator("[data-verdict]")).to_have_text("better")
    expect(page.locator("#actions-table tbody tr").last).to_contain_text("withdrawn")
    page.screenshot(path=ARTIFACTS / "head-office-actions.png", full_page=True)

    viewer = log_in(browser, network, name=network.viewer, password=network.viewer_password)
    viewer.goto(network.url + "/actions")
    expect(viewer.locator("#actions-table tbody tr")).to_have_count(2)
    expect(viewer.locator("body")).not_to_contain_text("Stockholm")
    viewer.locator("#actions-table").get_by_role("link", name="Tampere Koskikeskus").first.click()
    form = viewer.locator("#actions form.action-form")
    viewer.locator("#actions summary", has_text="Record an action").click()
    form.get_by_label("What was done").fill("Saturday opening by two")
    form.get_by_label("Hours on chosen weekdays").check()
    form.get_by_label("Sat").check()
    form.locator("select[name=from_hour]").select_option("10")
    form.locator("select[name=to_hour]").select_option("16")
    form.get_by_role("button", name="Record the action").click()
    expect(viewer.locator(".notice")).to_contain_text("Action recorded.")
    row = viewer.locator("#actions-table tbody tr", has_text="Saturday opening by two")
    expect(row).to_contain_text("Sat, 10:00–16:00")
    expect(row).to_contain_text(f"recorded by {network.viewer}")
    viewer.locator("#actions").screenshot(path=ARTIFACTS / "head-office-site-actions.png")

    # A change with the hours reversed comes back as typed, with one line saying what to correct.
    row.get_by_role("link", name="Edit").click()
    form = viewer.locator("form.action-form")
    expect(form.get_by_label("What was done")).to_have_value("Saturday opening by two")
    form.get_by_label("What was done").fill("Saturday opening by three")
    form.locator("select[name=to_hour]").select_option("9")
    form.get_by_role("button", name="Save the change").click()
    refusal = re.compile("not saved: Choose at least one weekday, and an end hour")
    expect(viewer.locator(".notice")).to_have_text(refusal)
    expect(form.get_by_label("What was done")).to_have_value("Saturday opening by three")
    expect(form.get_by_label("Sat")).to_be_checked()
    viewer.screenshot(path=ARTIFACTS / "head-office-action-refused.png", full_page=True)
    form.locator("select[name=to_hour]").select_option("17")
    form.get_by_role("button", name="Save the change").click()
    expect(viewer.locator(".notice")).to_contain_text("Action changed.")
    changed = viewer.locator("#actions-table tbody tr", has_text="Saturday opening by three")
    expect(changed).to_contain_text("Sat, 10:00–17:00")
    expect(changed).to_contain_text("changed")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_actions_page_fits_a_laptop_in_every_language(browser, network, language):
    page = log_in(browser, network)
    page.goto(network.url + f"/actions?lang={language}&sort=effect")
    expect(page.locator("[data-verdict='better']").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    page.screenshot(path=ARTIFACTS / f"head-office-actions-{language}.png", full_page=True)
