"""The four physical smiley buttons and their LEDs (gpiozero).

Each button calls the same recorder as the touchscreen. Its LED answers only
after the recorder returns: steady for ``led_seconds`` when the press was
stored and counted, three short blinks when it was stored but filtered, a fast
flicker when it could not be stored.

Debounce is twofold: gpiozero's ``bounce_time`` for the hardware driver, and
this module's own drop of any press edge within ``debounce_ms`` of the previous
edge (press or release) on the same button, measured on the kiosk's monotonic
clock. The second matters because gpiozero's MockPin ignores ``bounce_time``
and some drivers only approximate it.
"""
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpiozero import LED, Button
from gpiozero.exc import GPIOZeroError

from kiosk.errors import StorageError
from sync.wire.errors import ConfigError

if TYPE_CHECKING:
    from flask import Flask

    from kiosk.storage.recorder import Recorder
    from sync.common.clock import Clock

log = logging.getLogger(__name__)


class Pattern:
    """An LED pattern as gpiozero ``blink`` arguments, in units of ``led_seconds``."""

    def __init__(self, name: str, on: float, off: float, count: int) -> None:
        self.name, self.on, self.off, self.count = name, on, off, count


RECORDED = Pattern("recorded", on=1.0, off=0.0, count=1)
FILTERED = Pattern("filtered", on=0.15, off=0.15, count=3)
FAILED = Pattern("failed", on=0.05, off=0.05, count=10)


class LedPlayer:
    """Plays LED patterns for a panel's LEDs on one long-lived thread.

    gpiozero's ``blink(background=True)`` starts a thread for every pattern
    (and stops and joins the LED's previous one): about half a millisecond per
    press, more than the durable commit. Here the caller's thread lights the
    LED at once, so the acknowledgement is on when the press handler returns,
    and this thread times the rest. A new pattern on an LED replaces what is
    left of its old one, as ``blink`` does. The timing is real time, as
    gpiozero's: it is for the customer's eyes, not for any decision.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._plans: dict[Any, deque[tuple[float, bool]]] = {}  # LED -> (due, lit) steps, soonest first
        self._thread: threading.Thread | None = None
        self._closed = False

    def play(self, led: Any, pattern: Pattern, unit: float) -> None:
        """Light *led* now and play the rest of *pattern* (times in units of *unit* seconds)."""
        steps: deque[tuple[float, bool]] = deque()
        due = time.monotonic()
        for _ in range(pattern.count):
            steps.append((due, True))
            due += pattern.on * unit
            steps.append((due, False))
            due += pattern.off * unit
        steps.popleft()  # the first "on" is written here
        with self._wake:
            if self._closed:
                return
            led.on()
            self._plans[led] = steps
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hymy-leds", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._closed:
                now = time.monotonic()
                soonest = None
                for led, steps in list(self._plans.items()):
                    while steps and steps[0][0] <= now:
                        self._write(led, steps.popleft()[1])
                    if steps:
                        soonest = steps[0][0] if soonest is None else min(soonest, steps[0][0])
                    else:
                        del self._plans[led]
                self._wake.wait(None if soonest is None else soonest - now)

    def _write(self, led: Any, lit: bool) -> None:
        try:
            led.value = lit
        except GPIOZeroError as error:
            log.error("LED on %s: %s", led.pin, error)

    def close(self) -> None:
        """Stop playing (LEDs are left as they are); safe to call more than once."""
        with self._wake:
            self._closed = True
            self._plans.clear()
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()


def make_pin_factory(name: str, work_dir: str | os.PathLike[str] | None = None) -> tuple[Any, str]:
    """Return ``(factory, name)`` for a configured pin factory name.

    ``auto`` takes ``GPIOZERO_PIN_FACTORY`` if set, else ``lgpio`` where a GPIO
    chip exists, else gpiozero's MockFactory (a laptop, CI) with a log line.
    Choosing explicitly keeps gpiozero from guessing and warning.

    lgpio keeps its notification pipes in the working directory and fails on
    import where that is read-only (``/`` under systemd, a root-owned home for
    a dropped user): with ``work_dir`` given, the process moves there first.
    """
    if name == "auto":
        name = os.environ.get("GPIOZERO_PIN_FACTORY") or ""
        if not name:
            name = "lgpio" if Path("/dev/gpiochip0").exists() else "mock"
            if name == "mock":
                log.warning("no GPIO chip found: the buttons are simulated (pin_factory = mock)")
    if name == "lgpio" and work_dir is not None:
        _writable_working_directory(Path(work_dir).absolute())
    found = entry_points(group="gpiozero_pin_factories", name=name)
    if not found:
        raise ConfigError(f"pin_factory: gpiozero has no pin factory called {name!r}")
    try:
        return next(iter(found)).load()(), name
    except (ImportError, OSError, GPIOZeroError) as error:
        raise ConfigError(f"pin_factory: cannot use {name!r} here: {error}") from None


def _writable_working_directory(work_dir: Path) -> None:
    """Move to ``work_dir`` (lgpio's C side reads ``LG_WD``, its Python side the cwd)."""
    if os.access(".", os.W_OK | os.X_OK):
        return
    log.info("lgpio needs a writable working directory: moving to %s", work_dir)
    try:
        os.chdir(work_dir)
    except OSError as error:
        raise ConfigError(f"pin_factory: lgpio needs a writable working directory and cannot use data_dir "
                          f"{work_dir}: {error.strerror}") from None
    os.environ["LG_WD"] = str(work_dir)


class ButtonPanel:
    """Four buttons (ratings 1 to 4) with an LED each, wired to a recorder.

    :param recorder: the kiosk's :class:`~kiosk.storage.recorder.Recorder`.
    :param pin_factory: a gpiozero pin factory (``MockFactory()`` in tests).
    :param button_pins: four pin numbers, rating 1 first.
    :param led_pins: four pin numbers, rating 1 first.
    :param clock: the kiosk clock; its monotonic reading times the debounce.

    Example, on a laptop::

        panel = ButtonPanel(recorder, MockFactory(), [5, 6, 13, 19], [12, 16, 20, 21], clock)
        panel.press(4)   # what a customer's thumb does to the real pin
    """

    def __init__(
        self,
        recorder: "Recorder",
        pin_factory: Any,
        button_pins: Sequence[int],
        led_pins: Sequence[int],
        clock: "Clock",
        debounce_ms: int = 50,
        led_seconds: float = 1.0,
        factory_name: str = "custom",
    ) -> None:
        self.recorder = recorder
        self.clock = clock
        self.factory = pin_factory
        self.factory_name = factory_name
        self.debounce = debounce_ms / 1000
        self.led_seconds = led_seconds
        self._lock = threading.Lock()
        self._last_edge: dict[int, float] = {}
        self.player = LedPlayer()
        self.buttons: list[Any] = []  # gpiozero Buttons, rating 1 first
        self.leds: list[Any] = []  # gpiozero LEDs, rating 1 first
        try:
            for rating, (button_pin, led_pin) in enumerate(zip(button_pins, led_pins, strict=True), start=1):
                button = Button(button_pin, bounce_time=self.debounce or None, pin_factory=pin_factory)
                button.when_pressed = partial(self._on_press, rating)
                button.when_released = partial(self._on_release, rating)
                self.buttons.append(button)
                self.leds.append(LED(led_pin, pin_factory=pin_factory))
        except GPIOZeroError as error:
            self.close()
            raise ConfigError(f"button_pins/led_pins: cannot claim the pins: {error}") from None

    def _edge_is_bounce(self, rating: int) -> bool:
        """Note an edge on *rating*'s button; True if it follows the last too closely."""
        now = self.clock.monotonic()
        with self._lock:
            previous = self._last_edge.get(rating)
            self._last_edge[rating] = now
        return previous is not None and now - previous < self.debounce

    def _on_release(self, rating: int) -> None:
        self._edge_is_bounce(rating)

    def _on_press(self, rating: int) -> None:
        if self._edge_is_bounce(rating):
            log.debug("button %d: edge dropped as bounce", rating)
            return
        try:
            recorded = self.recorder.record(rating, "button")
        except StorageError as error:
            log.error("button %d: press not stored: %s", rating, error)
            self.show(rating, FAILED)
            return
        self.show(rating, FILTERED if recorded.filtered else RECORDED)

    def show(self, rating: int, pattern: Pattern) -> None:
        """Light the LED of *rating* now and play the rest of *pattern* in the background."""
        self.player.play(self.leds[rating - 1], pattern, self.led_seconds)

    def button_pin(self, rating: int) -> Any:
        return self.buttons[rating - 1].pin

    def led_pin(self, rating: int) -> Any:
        return self.leds[rating - 1].pin

    def press(self, rating: int) -> None:
        """Press and release a simulated button (MockFactory only): demo and tests."""
        pin = self.button_pin(rating)
        pin.drive_low()
        pin.drive_high()

    def close(self) -> None:
        self.player.close()
        for device in self.buttons + self.leds:
            device.close()
        self.buttons, self.leds = [], []


def init_app(app: "Flask", pin_factory: Any = None) -> None:
    """Start the buttons when ``buttons`` is on; closed by ``KioskParts.close()``."""
    kiosk = app.extensions["hymy"]
    config = kiosk.config
    if not config.buttons:
        return
    if pin_factory is None:
        pin_factory, name = make_pin_factory(config.pin_factory, config.data_dir)
    else:
        name = type(pin_factory).__name__
    panel = ButtonPanel(kiosk.recorder, pin_factory, config.button_pins, config.led_pins, kiosk.clock,
                        debounce_ms=config.debounce_ms, led_seconds=config.led_seconds, factory_name=name)
    kiosk.buttons = panel
    kiosk.closers.append(panel.close)
