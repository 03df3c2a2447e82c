"""A screen refused a stream (every slot taken) comes back by itself, 5 to 10
seconds later: never at once, so refused screens do not hammer the kiosk."""
import pytest
import requests
from playwright.sync_api import expect

from tests.helpers.browser import Screen, hold_the_clock
from tests.helpers.live import wait_for

#: Counts the page's ``new EventSource(...)``: each is the page reopening its stream.
COUNT_EVENT_SOURCES = """
(() => {
  const Original = window.EventSource;
  window.eventSourcesMade = 0;
  function Counted(...args) {
    window.eventSourcesMade += 1;
    return new Original(...args);
  }
  Counted.prototype = Original.prototype;
  Object.assign(Counted, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  window.EventSource = Counted;
})();
"""


@pytest.mark.browser
@pytest.mark.kiosk_config(max_streams=1)
def test_a_refused_screen_retries_later_and_goes_live(live, context, kiosk):
    blocker = requests.get(f"{live.url}/events", stream=True, timeout=5)  # another screen holds the one slot
    assert blocker.status_code == 200
    page = context.new_page()
    page.add_init_script(COUNT_EVENT_SOURCES)
    hold_the_clock(page)
    screen = Screen(page, live.url)
    try:
        with page.expect_response("**/events") as refused:
            page.goto(live.url + "/")
        assert refused.value.status == 503
        expect(screen.body).to_have_attribute("data-live", "false")
        screen.showing("question")  # the customer still sees the question and can tap
        assert screen.errors == []
    finally:
        blocker.close()
    wait_for(lambda: kiosk.events.subscriber_count == 0, message="the held slot was not freed")

    # The page's own attempts are counted, not requests: a connection the browser
    # itself retried (its own reconnect after a network error, under load) is not
    # the page's doing.
    assert page.evaluate("window.eventSourcesMade") == 1
    page.clock.fast_forward(4_900)
    assert page.evaluate("window.eventSourcesMade") == 1  # not before 5 seconds
    with page.expect_response("**/events") as reopened:
        page.clock.fast_forward(5_200)  # at most 10 seconds after the refusal
    assert reopened.value.status == 200 and page.evaluate("window.eventSourcesMade") == 2
    screen.wait_live()
    page.close()  # let go of the stream before the server stops
    wait_for(lambda: kiosk.events.subscriber_count == 0, message="the page's stream was not freed")
