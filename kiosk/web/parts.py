"""The running kiosk's parts, shared by the views and the button thread."""
from dataclasses import dataclass, field

from flask import current_app


@dataclass
class KioskParts:
    """The parts of one running kiosk, kept on ``app.extensions["hymy"]``."""

    config: object  # config.KioskConfig
    clock: object
    kiosk_id: str
    recorder: object  # recorder.Recorder
    events: object  # events.Broadcaster
    followup_keys: object = None  # followup_keys.FollowupKeys
    buttons: object = None  # buttons.ButtonPanel when enabled
    closers: list = field(default_factory=list)

    def close(self):
        """Release pins and other resources (tests and shutdown)."""
        while self.closers:
            self.closers.pop()()


def current_parts():
    """The :class:`KioskParts` of the current app."""
    return current_app.extensions["hymy"]
