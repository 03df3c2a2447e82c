"""The demo's terminal buttons: 1-4 and Enter press a simulated physical button.

Each press goes through the kiosk's real :class:`~kiosk.buttons.panel.ButtonPanel`
(its MockFactory pin driven low and high), so the debounce, the recorder, its
filters and the LED answer exactly as for a thumb on the real button. One line
then says what was stored and whether it counts, so the person at the
terminal sees what the kiosk decided without opening a screen.
"""
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kiosk.storage.content import FACES
from sync.wire.protocol import CLOSED, REPEAT, UNVERIFIED

if TYPE_CHECKING:
    from kiosk.buttons.panel import ButtonPanel
    from kiosk.storage.recorder import Recorded

HELP = "keys: 1 (very unhappy), 2, 3 or 4 (very happy) and Enter press that button; Ctrl+C stops the demo"


def describe(recorded: "Recorded", press_interval: float) -> str:
    """One line for a stored press: ``stored: 4 (very happy), counted``, or why it does not count."""
    stored = f"stored: {recorded.rating} ({FACES[recorded.rating - 1].label.lower()})"
    if recorded.filtered is None:
        return f"{stored}, counted"
    why = {
        REPEAT: f"pressed again within {press_interval:g} s",
        CLOSED: "outside opening hours",
        UNVERIFIED: "the clock is not synchronised yet; central decides once it knows the time",
    }.get(recorded.filtered, "not counted")
    return f"{stored}, filtered: {recorded.filtered} ({why})"


class PressWatcher:
    """Catches what the recorder stores for the presses this object makes.

    gpiozero's mock pins call the button's handler on the thread that drives
    the pin, so the recorder's listener runs on the presser's thread: a
    thread-local list keeps a tap on the touchscreen (another thread) out.
    """

    def __init__(self, panel: "ButtonPanel") -> None:
        self.panel = panel
        self._local = threading.local()
        panel.recorder.on_recorded.append(self._caught)

    def _caught(self, recorded: "Recorded") -> None:
        rows = getattr(self._local, "rows", None)
        if rows is not None:
            rows.append(recorded)

    def press(self, rating: int) -> "Recorded | None":
        """Press and release button *rating*; return what was stored (None if nothing was)."""
        self._local.rows = []
        try:
            self.panel.press(rating)
            rows: list[Recorded] = self._local.rows
            return rows[-1] if rows else None
        finally:
            self._local.rows = None


def read_presses(stream: Iterable[str], panel: "ButtonPanel", echo: Callable[[str], object]) -> None:
    """Press the button named by each line of *stream*; say in one line (through
    *echo*) what was stored, or which keys do what. Returns at the end of *stream*."""
    watcher = PressWatcher(panel)
    not_stored = (f"not stored: a bounce (the same button again within {panel.debounce * 1000:g} ms) "
                  "or the database refused it (see the log)")
    for line in stream:
        key = line.strip()
        if key in ("1", "2", "3", "4"):
            recorded = watcher.press(int(key))
            echo(describe(recorded, panel.recorder.press_interval) if recorded else not_stored)
        else:
            echo(HELP)
