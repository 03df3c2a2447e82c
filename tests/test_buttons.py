"""Physical buttons on gpiozero's MockFactory pins: debounce, LEDs, failures."""
import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons.panel import FAILED, FILTERED, RECORDED, make_pin_factory
from sync.wire.errors import ConfigError
from tests.helpers.as_user import python_argv
from tests.helpers.buttons import lit_count, press
from tests.helpers.kiosk_db import stored_ratings
from tests.helpers.live import wait_for


def test_each_button_records_its_rating(kiosk, clock):
    for rating in (1, 2, 3, 4):
        press(kiosk, rating, clock)
    assert [(r.rating, r.source, r.filtered) for r in stored_ratings()] == [
        (1, "button", None), (2, "button", None), (3, "button", None), (4, "button", None)
    ]


def test_bouncing_contact_counts_once(kiosk, clock):
    pin = kiosk.buttons.button_pin(3)
    for _ in range(5):  # a noisy switch: edges 5 ms apart
        pin.drive_low()
        clock.advance(0.005)
        pin.drive_high()
        clock.advance(0.005)
    assert len(stored_ratings()) == 1


def test_release_bounce_does_not_count_as_a_press(kiosk, clock):
    pin = kiosk.buttons.button_pin(2)
    pin.drive_low()
    clock.advance(1.0)  # held for a second
    pin.drive_high()
    clock.advance(0.01)
    pin.drive_low()  # the release bounces
    clock.advance(0.01)
    pin.drive_high()
    assert len(stored_ratings()) == 1


def test_debounce_window_comes_from_config(make_app, clock):
    kiosk = make_app(debounce_ms=200).extensions["hymy"]
    pin = kiosk.buttons.button_pin(4)
    pin.drive_low()
    clock.advance(0.1)
    pin.drive_high()
    clock.advance(0.15)  # 150 ms after the release: still inside the window
    pin.drive_low()
    pin.drive_high()
    clock.advance(0.3)
    pin.drive_low()
    assert len(stored_ratings()) == 2


def test_led_lights_once_when_recorded(kiosk, clock):
    led = kiosk.buttons.led_pin(4)
    press(kiosk, 4, clock)
    wait_for(lambda: lit_count(led) == RECORDED.count and not led.state)
    assert all(lit_count(kiosk.buttons.led_pin(r)) == 0 for r in (1, 2, 3))


def test_led_blinks_differently_when_filtered(kiosk, clock):
    kiosk.buttons.button_pin(1).drive_low()
    kiosk.buttons.button_pin(1).drive_high()
    clock.advance(1)  # within the press interval: stored, flagged repeat
    kiosk.buttons.button_pin(2).drive_low()
    kiosk.buttons.button_pin(2).drive_high()
    led = kiosk.buttons.led_pin(2)
    assert stored_ratings()[-1].filtered == "repeat"
    wait_for(lambda: lit_count(led) == FILTERED.count and not led.state)


def test_led_flickers_when_the_press_could_not_be_stored(make_app, clock):
    app = make_app(busy_timeout_ms=20)
    kiosk = app.extensions["hymy"]
    blocker = sqlite3.connect(app.config["HYMY"].database_path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        press(kiosk, 3, clock)
    finally:
        blocker.rollback()
        blocker.close()
    led = kiosk.buttons.led_pin(3)
    wait_for(lambda: lit_count(led) == FAILED.count and not led.state)
    assert stored_ratings() == []
    press(kiosk, 3, clock)  # the kiosk carries on once the disk is free
    assert len(stored_ratings()) == 1


def test_buttons_can_be_switched_off(make_app):
    kiosk = make_app(buttons=False).extensions["hymy"]
    assert kiosk.buttons is None


def test_pins_come_from_config(make_app, clock):
    factory = MockFactory()
    make_app(pin_factory=factory, button_pins=[17, 27, 22, 23], led_pins=[24, 25, 8, 7])
    factory.pin(22).drive_low()
    assert stored_ratings()[0].rating == 3
    wait_for(lambda: lit_count(factory.pin(8)) == 1)


def test_pin_factory_is_chosen_explicitly(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    factory, name = make_pin_factory("auto")
    assert name == "mock" and isinstance(factory, MockFactory)
    factory.close()
    with pytest.raises(ConfigError, match="pin_factory"):
        make_pin_factory("gpio9000")


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user takes root")
def test_lgpio_gets_a_writable_working_directory():
    """lgpio fails on import in a read-only cwd (``/`` under systemd): the factory moves to the data dir first."""
    with tempfile.TemporaryDirectory() as data_dir:  # pytest's tmp_path is private to root
        os.chown(data_dir, 65534, 65534)
        _lgpio_moves_to(Path(data_dir))


def _lgpio_moves_to(data_dir):
    code = ("import os\nfrom kiosk.buttons.panel import make_pin_factory\nfrom sync.wire.errors import ConfigError\n"
            f"try:\n    make_pin_factory('lgpio', {str(data_dir)!r})\nexcept ConfigError:\n    pass\n"
            "print(os.getcwd(), os.environ['LG_WD'])")
    # As "nobody" in /, which that user may not write (root may write anywhere, so root would prove nothing).
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *python_argv(code)],
                          cwd="/", env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(data_dir), str(data_dir)]
