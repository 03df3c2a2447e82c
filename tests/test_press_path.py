"""The trimmed press path keeps its promises: all or nothing, gap-free under
several writers, and an LED that is lit when the press handler returns."""
import threading

import pytest

from kiosk.buttons.panel import FAILED, RECORDED
from kiosk.errors import StorageError
from kiosk.storage.db import connection, database
from kiosk.storage.models import Outbox
from kiosk.storage.recorder import Recorder
from tests.helpers.buttons import lit_count
from tests.helpers.kiosk_db import stored_ratings
from tests.helpers.live import wait_for


def test_a_press_whose_outbox_row_fails_leaves_nothing_behind(kiosk):
    with connection():
        database.execute_sql("CREATE TRIGGER outbox_refuses BEFORE INSERT ON outbox "
                             "BEGIN SELECT RAISE(ABORT, 'outbox refuses'); END")
    with pytest.raises(StorageError, match="outbox refuses"):
        kiosk.recorder.record(3, "touch")
    assert stored_ratings() == []  # the rating's INSERT went back with the outbox's
    with connection():
        database.execute_sql("DROP TRIGGER outbox_refuses")
    recorded = kiosk.recorder.record(3, "touch")  # no transaction left open, the write lock free
    assert recorded.seq == 1
    with connection():
        assert [o.item_id for o in Outbox.select()] == [recorded.id]


def test_two_recorders_on_one_database_keep_one_gap_free_sequence(kiosk, clock):
    """As ``hymy demo`` seeds beside a running kiosk: each writer has its own lock
    and connections, so only the database orders them."""
    other = Recorder(clock, kiosk.kiosk_id, kiosk.content_store)
    start = threading.Barrier(4)

    def press(recorder, n):
        start.wait()
        with connection():
            for i in range(n):
                recorder.record(i % 4 + 1, "button")

    threads = [threading.Thread(target=press, args=(recorder, 25)) for recorder in (kiosk.recorder, other) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    rows = stored_ratings()
    assert [row.seq for row in rows] == list(range(1, 101))
    # One clock that never moved: every press after the first is a repeat of the one before it.
    assert [row.filtered for row in rows] == [None] + ["repeat"] * 99


def test_the_led_is_lit_when_the_press_returns_and_goes_out_after(kiosk, clock):
    led = kiosk.buttons.led_pin(2)
    kiosk.buttons.button_pin(2).drive_low()
    assert led.state  # acknowledged before the callback returned, not by a thread starting later
    kiosk.buttons.button_pin(2).drive_high()
    wait_for(lambda: not led.state, message="the LED should go out after led_seconds")


def test_a_new_pattern_replaces_the_rest_of_the_old_one(kiosk):
    panel = kiosk.buttons
    panel.led_seconds = 1.0
    led = panel.led_pin(1)
    panel.show(1, FAILED)  # ten fast flickers, 50 ms apart...
    panel.show(1, RECORDED)  # ...replaced at once by one steady second
    wait_for(lambda: not led.state, message="the LED should go out after led_seconds")
    assert lit_count(led) == 1


def test_closing_the_panel_stops_its_led_thread(kiosk):
    kiosk.buttons.press(4)
    thread = kiosk.buttons.player._thread
    assert thread.is_alive()
    kiosk.buttons.close()
    assert not thread.is_alive()
