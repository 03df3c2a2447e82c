"""A customer at the touchscreen: tap, thanks, reason, comment, Done."""
import sqlite3

import pytest
from playwright.sync_api import expect

from kiosk.storage.content import DEFAULT_REASONS
from tests.helpers.kiosk_db import stored_followups, stored_ratings

pytestmark = pytest.mark.browser


def test_full_touch_flow(open_screen, live):
    screen = open_screen()
    page = screen.page
    expect(page.locator("#question-text")).to_have_text("Miten onnistuimme tänään?")

    rating_id = screen.tap_face(4)
    [rating] = stored_ratings()
    assert (rating.id, rating.rating, rating.source, rating.filtered) == (rating_id, 4, "touch", None)
    expect(page.get_by_role("heading", name="Kiitos!")).to_be_visible()
    expect(page.get_by_text("Mikä vaikutti eniten?")).to_be_visible()

    screen.reason("staff").click()
    expect(screen.reason("staff")).to_have_attribute("aria-pressed", "true")
    screen.action("comment").click()
    screen.showing("comment")
    expect(page.get_by_text("Älä kirjoita nimiä")).to_be_visible()

    screen.type_comment("Hyvä palvelu, kiitos ååäöx")
    screen.action("backspace").click()
    comment = "Hyvä palvelu, kiitos ååäö"
    expect(page.locator("#comment-text")).to_have_value(comment)
    expect(page.locator("#comment-count")).to_have_text(f"{len(comment)}/500")

    with page.expect_response("**/followup") as reply:
        screen.action("done").click()
    assert reply.value.status == 201
    # The screen sent back the key the kiosk gave it for this rating, and nothing shows it.
    sent = reply.value.request.post_data_json
    assert sent == {"reason": "staff", "followup_key": screen.created["followup_key"], "comment": comment}
    assert screen.created["followup_key"] not in page.content()
    screen.showing("question")
    expect(page.locator("#question-text")).to_have_text("Miten onnistuimme tänään?")
    [followup] = stored_followups()
    assert (followup.rating_id, followup.reason, followup.comment) == (rating_id, "staff", comment)
    assert [r.id for r in stored_ratings()] == [rating_id]
    assert screen.errors == []
    foreign = [url for url in screen.requests if not url.startswith(live.url + "/")]
    assert foreign == [], "the screen must work with no network: everything from the kiosk itself"


def test_followup_timeout_posts_the_picked_reason_and_returns(open_screen):
    screen = open_screen(clock=True)
    page = screen.page
    rating_id = screen.tap_face(2)
    screen.reason("waiting").click()

    # Each touch starts the 8 s again: 7 s, a touch, 7 s more is still the follow-up.
    page.clock.fast_forward(7000)
    screen.showing("followup")
    screen.reason("waiting").click()
    page.clock.fast_forward(7000)
    screen.showing("followup")

    with page.expect_response("**/followup") as reply:
        page.clock.fast_forward(1500)
    assert reply.value.status == 201
    assert reply.value.request.post_data_json["followup_key"] == screen.created["followup_key"]
    screen.showing("question")
    [followup] = stored_followups()
    assert (followup.rating_id, followup.reason, followup.comment) == (rating_id, "waiting", None)


def test_timeout_without_a_reason_stores_only_the_rating(open_screen):
    screen = open_screen(clock=True)
    screen.tap_face(1)
    screen.page.clock.fast_forward(8500)
    screen.showing("question")
    assert screen.requests_to("/followup") == 0
    assert len(stored_ratings()) == 1 and stored_followups() == []


def test_done_without_a_reason_returns_at_once(open_screen):
    screen = open_screen()
    screen.tap_face(3)
    screen.action("done").click()
    screen.showing("question")
    assert stored_followups() == []


def test_keys_one_to_four_answer_and_never_twice(open_screen):
    screen = open_screen()
    page = screen.page
    with page.expect_response("**/api/ratings"):
        page.keyboard.press("3")
    screen.showing("followup")
    page.keyboard.press("4")  # the thanks is up: not a second answer
    page.keyboard.press("1")
    screen.action("done").click()
    screen.showing("question")
    with page.expect_response("**/api/ratings"):
        page.keyboard.press("1")
    assert [r.rating for r in stored_ratings()] == [3, 1]
    assert screen.requests_to("/api/ratings") == 2


def test_a_double_tap_stores_one_rating(open_screen):
    screen = open_screen()
    with screen.page.expect_response("**/api/ratings"):
        screen.face(4).dblclick()
    screen.showing("followup")
    expect(screen.body).to_have_attribute("data-rating-id", stored_ratings()[0].id)
    assert screen.requests_to("/api/ratings") == 1
    assert len(stored_ratings()) == 1


@pytest.mark.kiosk_config(busy_timeout_ms=50)
def test_storage_failure_still_thanks_calmly(open_screen, screen_app):
    screen = open_screen()
    page = screen.page
    # Another writer holds the database past the busy timeout: the kiosk answers 503.
    blocker = sqlite3.connect(screen_app.config["HYMY"].database_path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with page.expect_response("**/api/ratings") as reply:
            screen.face(2).click()
        assert reply.value.status == 503
    finally:
        blocker.rollback()
        blocker.close()
    expect(page.locator("#followup")).to_have_class("view view--followup is-thanks-only")
    expect(page.get_by_role("heading", name="Kiitos!")).to_be_visible()
    expect(page.locator(".reasons")).to_be_hidden()
    expect(page.locator(".actions")).to_be_hidden()
    assert "503" not in page.inner_text("body") and "rror" not in page.inner_text("body")
    screen.screenshot("thanks-only-1024x600")
    assert stored_ratings() == []
    assert screen.errors == []


def test_network_failure_still_thanks_calmly(open_screen):
    screen = open_screen(clock=True)
    page = screen.page
    page.route("**/api/ratings", lambda route: route.abort("connectionrefused"))
    screen.face(4).click()
    screen.let_the_followup_wake()
    expect(page.locator("#followup")).to_have_class("view view--followup is-thanks-only")
    expect(page.get_by_role("heading", name="Kiitos!")).to_be_visible()
    expect(page.locator(".reasons")).to_be_hidden()
    page.clock.fast_forward(4500)  # a short thank-you, then the question again
    screen.showing("question")
    assert screen.errors == []


def test_a_changed_question_reloads_the_screen(open_screen, kiosk):
    screen = open_screen()
    page = screen.page
    expect(screen.body).to_have_attribute("data-question-version", "1")
    # Central sent new content while this page still shows version 1.
    kiosk.content_store.apply({
        "question": {"id": "service", "version": 2, "texts": {"fi": "Saitko mitä tulit hakemaan?"}},
        "reasons": [{"key": reason.key, "group": reason.group} for reason in DEFAULT_REASONS],
        "timezone": "Europe/Helsinki",
    })
    with page.expect_response("**/api/ratings") as reply:
        screen.face(3).click()
    assert reply.value.status == 409
    expect(screen.body).to_have_attribute("data-question-version", "2")
    expect(page.locator("#question-text")).to_have_text("Saitko mitä tulit hakemaan?")
    screen.showing("question")
    assert stored_ratings() == []
