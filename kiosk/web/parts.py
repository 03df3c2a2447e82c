"""The running kiosk's parts, shared by the views and the button thread."""
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app

from kiosk.config import KioskConfig
from kiosk.storage.content_store import ContentStore
from kiosk.storage.followup_keys import FollowupKeys
from kiosk.storage.pause import PauseSwitch
from kiosk.storage.recorder import Recorder
from sync.common.clock import Clock


@dataclass
class KioskParts:
    """The parts of one running kiosk, kept on ``app.extensions["hymy"]``."""

    config: KioskConfig
    clock: Clock
    kiosk_id: str
    #: The one write path.
    recorder: Recorder
    #: The screen's :class:`~kiosk.screen.events.Broadcaster` (the screen is a part above this one).
    events: Any
    followup_keys: FollowupKeys
    #: The :class:`~kiosk.buttons.panel.ButtonPanel` when the buttons are on (a part above this one).
    buttons: Any = None
    closers: list[Callable[[], object]] = field(default_factory=list)

    @property
    def content_store(self) -> ContentStore:
        """Where the content in force is read (``.current()``): the question, reasons, hours, target."""
        return self.recorder.content_store

    @property
    def pause(self) -> PauseSwitch:
        """The manager's :class:`~kiosk.storage.pause.PauseSwitch`."""
        return self.recorder.pause_switch

    def close(self) -> None:
        """Release pins and other resources (tests and shutdown)."""
        while self.closers:
            self.closers.pop()()


def current_parts() -> KioskParts:
    """The :class:`KioskParts` of the current app."""
    return cast(KioskParts, current_app.extensions["hymy"])
