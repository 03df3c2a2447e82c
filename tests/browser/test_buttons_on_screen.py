"""A press on a physical smiley button shows on every open screen."""
import pytest
import requests
from playwright.sync_api import expect

from tests.helpers.kiosk_db import stored_followups, stored_ratings


def last_button_rating():
    return [r for r in stored_ratings() if r.source == "button"][-1]


@pytest.mark.browser
def test_a_press_reaches_two_open_screens_while_they_are_tapped(open_screen, kiosk):
    first, second = open_screen(), open_screen(own_window=True)

    # A tap on the first screen is shown there only: the second keeps the question.
    tapped = first.tap_face(1)
    expect(second.body).to_have_attribute("data-last-event", tapped)
    second.showing("question")
    first.reason("staff").click()

    # The button: a new customer. Both screens thank them and ask the follow-up;
    # the first one keeps the reason its customer picked before.
    with first.page.expect_response("**/followup") as reply:
        kiosk.buttons.press(4)
    assert reply.value.status == 201  # the first customer's, with the key of the first screen's tap
    assert reply.value.request.post_data_json["followup_key"] == first.created["followup_key"]
    pressed = last_button_rating()
    assert pressed.rating == 4
    for screen in (first, second):
        screen.showing("followup")
        expect(screen.body).to_have_attribute("data-rating-id", pressed.id)
        expect(screen.body).to_have_attribute("data-rating", "4")
        expect(screen.reason("staff")).to_have_attribute("aria-pressed", "false")

    # The customer answers on the second screen, while the first is tapped again.
    second.reason("premises").click()
    with second.page.expect_response("**/followup") as reply:
        second.action("done").click()
    # A press's key reached the screens on the stream, and the screen that answered sent it back.
    assert reply.value.status == 201
    assert reply.value.request.post_data_json["followup_key"] == kiosk.followup_keys.key_for(pressed.id)
    first.action("done").click()
    first.showing("question")
    again = first.tap_face(3)
    kiosk.buttons.press(2)
    expect(second.body).to_have_attribute("data-rating", "2")
    second.showing("followup")
    expect(first.body).to_have_attribute("data-rating", "2")

    by_rating = {f.rating_id: f.reason for f in stored_followups()}
    assert by_rating == {tapped: "staff", pressed.id: "premises"}
    assert [(r.rating, r.source) for r in stored_ratings()] == [
        (1, "touch"), (4, "button"), (3, "touch"), (2, "button")
    ]
    assert again == stored_ratings()[2].id
    assert first.errors == second.errors == []


@pytest.mark.browser
@pytest.mark.kiosk_config(press_interval=3)
def test_a_repeat_press_keeps_the_follow_up_it_interrupts(open_screen, kiosk, clock):
    screen = open_screen()
    kiosk.buttons.press(3)
    first = last_button_rating()
    expect(screen.body).to_have_attribute("data-rating-id", first.id)
    screen.reason("outcome").click()

    clock.advance(1)  # past the debounce, within the press interval
    kiosk.buttons.press(3)  # the same customer, again
    repeat = last_button_rating()
    assert repeat.filtered == "repeat"
    expect(screen.body).to_have_attribute("data-last-event", repeat.id)
    expect(screen.body).to_have_attribute("data-rating-id", first.id)
    expect(screen.reason("outcome")).to_have_attribute("aria-pressed", "true")

    with screen.page.expect_response("**/followup") as reply:
        screen.action("done").click()
    assert reply.value.status == 201
    assert reply.value.request.post_data_json["followup_key"] == kiosk.followup_keys.key_for(first.id)
    assert [(f.rating_id, f.reason) for f in stored_followups()] == [(first.id, "outcome")]


def test_a_reopened_stream_replays_the_presses_it_missed(make_app, serve, clock):
    """EventSource sends back the last id it saw; the kiosk replays what came after."""
    app = make_app(stream_heartbeat=0.05, stream_max_age=0.3)
    kiosk = app.extensions["hymy"]
    server = serve(app)
    for rating in (1, 4):
        clock.advance(5)
        kiosk.buttons.press(rating)
    first, missed = stored_ratings()
    with requests.get(f"{server.url}/events", headers={"Last-Event-ID": str(first.seq)},
                      stream=True, timeout=5) as stream:
        text = stream.content.decode()  # the stream ends by itself after 0.3 s
    assert f"id: {missed.seq}\nevent: rating\n" in text
    assert missed.id in text and first.id not in text
