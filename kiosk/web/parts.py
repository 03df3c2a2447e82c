"""The running kiosk's parts, shared by the views and the button thread."""
from dataclasses import dataclass, field

from flask import current_app


@dataclass
class KioskParts:
    """The parts of one running kiosk, kept on ``app.extensions["hymy"]``."""

    config: object  # config.KioskConfig
    clock: object
    kiosk_id: str
    recorder: object  # recorder.Recorder: the one write path
    events: object  # events.Broadcaster
    followup_keys: object = None  # followup_keys.FollowupKeys
    buttons: object = None  # buttons.ButtonPanel when enabled
    closers: list = field(default_factory=list)

    @property
    def content_store(self):
        """Where the content in force is read (``.current()``): the question, reasons, hours, target."""
        return self.recorder.content_store

    @property
    def pause(self):
        """The manager's :class:`~kiosk.storage.pause.PauseSwitch`."""
        return self.recorder.pause_switch

    def close(self) -> None:
        """Release pins and other resources (tests and shutdown)."""
        while self.closers:
            self.closers.pop()()


def current_parts():
    """The :class:`KioskParts` of the current app."""
    return current_app.extensions["hymy"]
