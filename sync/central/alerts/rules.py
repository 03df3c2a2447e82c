"""When an alert rule fires: the two conditions and the episode they start.

Both conditions are decided from facts central already keeps, without any
storage here, so the worker that evaluates them and the tests share one
definition:

- **Unhappy share**: among counted ratings in the rule's window (default 15
  minutes), at least ``min_responses`` (default 4) and a share of unhappy and
  very unhappy (ratings 1-2) above ``unhappy_share`` percent (default 50),
  computed with :func:`sync.wire.figures.unhappy_share`.
- **Silent kiosk**: no heartbeat for more than ``silent_minutes`` (default
  60) minutes *of the site's opening hours*: a kiosk is expected to be quiet
  at night, so closed time does not count.

An **episode** is a stretch during which the condition holds. A rule sends
once when an episode starts, never again while it lasts, and is re-armed
when the condition no longer holds.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.wire import figures
from sync.wire.figures import Counts
from sync.wire.hours import OpeningHours

DEFAULT_UNHAPPY_SHARE = 50
DEFAULT_WINDOW_MINUTES = 15
DEFAULT_MIN_RESPONSES = 4
DEFAULT_SILENT_MINUTES = 60
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Thresholds:
    unhappy_share: int = DEFAULT_UNHAPPY_SHARE
    window_minutes: int = DEFAULT_WINDOW_MINUTES
    min_responses: int = DEFAULT_MIN_RESPONSES
    silent_minutes: int = DEFAULT_SILENT_MINUTES


def unhappy_breach(counts: Counts, thresholds: Thresholds) -> bool:
    """True when the window's counted ratings are enough and too many of them unhappy."""
    share = figures.unhappy_share(counts, thresholds.min_responses)
    return share is not None and share > thresholds.unhappy_share


def open_minutes_since(last_seen: datetime, now: datetime, opening_hours: OpeningHours | None, enough: int) -> int:
    """Whole minutes of opening time between *last_seen* and *now*, counted up to *enough*.

    Counting stops at *enough* (the rule's threshold), so a kiosk silent for a
    month costs no more to judge than one silent for an hour beyond it.
    """
    counted, moment = 0, now
    while moment - MINUTE >= last_seen and counted < enough:
        moment -= MINUTE
        if opening_hours is None or opening_hours.is_open(moment):
            counted += 1
    return counted


def silent_breach(
    last_seen: datetime | None, now: datetime, opening_hours: OpeningHours | None, thresholds: Thresholds
) -> bool:
    """True when a kiosk's last heartbeat is older than the rule's minutes of opening time."""
    if last_seen is None:
        return False  # a kiosk that never reported is not enrolled yet: nothing to miss
    enough = thresholds.silent_minutes + 1
    return open_minutes_since(last_seen, now, opening_hours, enough) >= enough


@dataclass(frozen=True)
class Step:
    """What the worker does with one evaluation: *send* at an episode's start."""

    send: bool
    firing: bool  # the episode state to keep


def next_step(firing: bool, breaching: bool) -> Step:
    """The episode rule: send when a breach starts, nothing while it lasts, re-arm when it ends."""
    return Step(send=breaching and not firing, firing=breaching)
