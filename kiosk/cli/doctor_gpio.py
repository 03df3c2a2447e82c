"""``hymy doctor``'s GPIO checks: the pin factory, the pins, and a press of each button.

A running kiosk holds the pins (gpiozero refuses a second claim), so then
doctor reports what the kiosk's own ``/healthz`` says of its buttons instead.
Otherwise it picks the pin factory the way the kiosk does
(``kiosk.buttons.panel.make_pin_factory``), claims the configured pins, looks for a
button that reads pressed with nobody at it and, in a terminal, asks for a
press of each with its LED lit. Nothing is recorded: these are gpiozero
devices of doctor's own, not the kiosk's button panel.
"""
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from gpiozero import LED, Button
from gpiozero.exc import GPIOZeroError
from gpiozero.pins.mock import MockFactory

from kiosk.buttons.panel import make_pin_factory
from kiosk.config import KioskConfig
from kiosk.storage.diagnostics import FAIL, OK, SKIP, WARN, Check
from kiosk.storage.process_lock import RunningKiosk
from sync.wire.errors import ConfigError

FACES = {1: "very unhappy", 2: "unhappy", 3: "happy", 4: "very happy"}
WIRING = "docs/install.md, Wiring the buttons"


class Pins:
    """The configured buttons and LEDs (rating 1 first), claimed until :meth:`close`.

    :param factory: the gpiozero pin factory; closed here only when *owns_factory*.
    """

    def __init__(self, factory: Any, button_pins: Sequence[int], led_pins: Sequence[int], owns_factory: bool) -> None:
        self.factory, self.owns_factory = factory, owns_factory
        self.button_pins = button_pins
        self.buttons: list[Any] = []  # gpiozero Buttons
        self.leds: list[Any] = []  # gpiozero LEDs
        try:
            for button_pin, led_pin in zip(button_pins, led_pins, strict=True):
                self.buttons.append(Button(button_pin, pin_factory=factory))
                self.leds.append(LED(led_pin, pin_factory=factory))
        except GPIOZeroError:
            self.close()
            raise

    def close(self) -> None:
        for device in self.buttons + self.leds:
            device.close()
        self.buttons, self.leds = [], []
        if self.owns_factory:
            self.factory.close()


def gpio_check(
    config: KioskConfig, running: RunningKiosk | None, healthz: dict[str, Any] | None, pin_factory: Any = None
) -> tuple[Check, Pins | None]:
    """``(Check, Pins or None)``: the pins claimed for the press check, or None when they are not."""
    if running is not None:
        return _held_by_kiosk(running, healthz), None
    if not config.buttons:
        return Check("gpio", OK, "buttons = false: this kiosk uses no GPIO"), None
    owns = pin_factory is None
    try:
        factory = make_pin_factory(config.pin_factory, config.data_dir)[0] if owns else pin_factory
    except ConfigError as error:
        return Check("gpio", FAIL, f"{error}: set pin_factory (auto takes lgpio where /dev/gpiochip0 exists)"), None
    try:
        pins = Pins(factory, config.button_pins, config.led_pins, owns)
    except GPIOZeroError as error:
        if owns:
            factory.close()
        return Check("gpio", FAIL, f"cannot claim button_pins {list(config.button_pins)} and led_pins "
                     f"{list(config.led_pins)} ({error}): another program holds them, or this user may not use "
                     "the GPIO chip (add it to the group gpio)"), None
    stuck = [rating for rating, button in enumerate(pins.buttons, start=1) if button.is_pressed]
    if stuck:
        pins.close()  # a held button would pass the press check without anyone pressing it
        named = ", ".join(f"{rating} (GPIO{config.button_pins[rating - 1]})" for rating in stuck)
        return Check("gpio", FAIL, f"button {named} reads pressed with nobody at it: a short to ground or a "
                     f"stuck switch ({WIRING})"), None
    if isinstance(factory, MockFactory):
        return Check("gpio", WARN, _why_simulated(config.pin_factory)), pins
    return Check("gpio", OK, f"pin factory {_name(factory)}: buttons on GPIO {_listed(config.button_pins)} and "
                 f"LEDs on GPIO {_listed(config.led_pins)} claimed"), pins


def _listed(pins: Iterable[int]) -> str:
    return ", ".join(map(str, pins))


def _why_simulated(configured: str) -> str:
    if configured == "mock":
        return 'the buttons are simulated (pin_factory = "mock"): set pin_factory = "auto" on a kiosk with buttons'
    if os.environ.get("GPIOZERO_PIN_FACTORY"):
        return (f"the buttons are simulated (GPIOZERO_PIN_FACTORY={os.environ['GPIOZERO_PIN_FACTORY']}, which "
                "pin_factory auto takes): unset it on a kiosk with buttons")
    return ("no GPIO chip (/dev/gpiochip0), so the buttons are simulated (pin_factory auto falls back to mock): "
            "on a Raspberry Pi, check that the kernel shows its GPIO")


def _name(factory: Any) -> str:
    return type(factory).__name__.removesuffix("Factory").lower()


def _held_by_kiosk(running: RunningKiosk, healthz: dict[str, Any] | None) -> Check:
    """What the running kiosk's ``/healthz`` says of the pins it holds."""
    who = f"the running kiosk (pid {running.pid})"
    if healthz is None:
        return Check("gpio", SKIP, f"{who} holds the pins but its /healthz did not answer (see the kiosk check)")
    buttons = healthz.get("buttons")
    if buttons == "off":
        return Check("gpio", OK, f"{who} runs without buttons (its /healthz: buttons off)")
    if buttons in ("mock", "MockFactory"):
        return Check("gpio", WARN, f"{who} holds the pins with simulated buttons (its /healthz: {buttons}): set "
                     'pin_factory = "auto" on a kiosk with buttons and restart it')
    return Check("gpio", OK, f"{who} holds the pins (its /healthz: pin factory {buttons})")


def buttons_check(pins: Pins | None, why_not: str | None, timeout: float, say: Callable[[str], object]) -> Check:
    """Ask for a press of each button, its LED lit, waiting up to *timeout* seconds for each;
    a ``skip`` saying *why_not* when it is set or no pins are claimed."""
    if why_not or pins is None:
        return Check("buttons", SKIP, why_not or "the pins are not claimed (see the gpio check)")
    silent = []
    for rating, (button, led) in enumerate(zip(pins.buttons, pins.leds, strict=True), start=1):
        pin = pins.button_pins[rating - 1]
        say(f"     press button {rating} ({FACES[rating]}, GPIO{pin}) within {timeout:g} s: its LED is lit")
        led.on()
        try:
            pressed = button.wait_for_press(timeout)
        finally:
            led.off()
        say(f"     button {rating}: {'pressed' if pressed else 'no press'}")
        if not pressed:
            silent.append(f"{rating} (GPIO{pin})")
    if silent:
        which = "its" if len(silent) == 1 else "their"
        return Check("buttons", FAIL, f"no press within {timeout:g} s on button {', '.join(silent)}: check {which} "
                     f"wiring from the pin to ground ({WIRING})")
    return Check("buttons", OK, "each of the four buttons answered a press")
