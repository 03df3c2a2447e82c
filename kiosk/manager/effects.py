"""An action's figure before and after it started, from this kiosk's own hourly tables.

The same comparison central makes from the site's rollups (sync/wire/effects.py: the 28 local days
before ``started_on`` against the 28 from it, the two-proportion z-test at 95 %), but counted
from this kiosk's ``hourly_count`` / ``hourly_reason`` rows only: the manager's page says so,
since the site's other kiosks are not in it. The hourly rows outlive raw retention, so an
action's before side stays whole as long as the calendar offers its days.
"""

from datetime import date
from typing import Any

from kiosk.manager.reports import hourly_counts
from sync.wire.effects import DaySpan, Effect, Side, compare, in_hours, span_days, target_side, windows
from sync.wire.figures import Counts


def _side(span: DaySpan | None, target: dict[str, Any]) -> Side:
    if span is None:
        return Side(0, 0, 0)
    hourly, _ = hourly_counts(*span)
    counts = Counts()
    for local_day, local_hour, hour in hourly.values():
        if target["kind"] != "hours" or in_hours(target, date.fromisoformat(local_day).isoweekday(), local_hour):
            counts = counts + hour
    return target_side(counts, target, span_days(span))


def action_effect(started_on: date, target: dict[str, Any], today: date, min_responses: int) -> Effect:
    """The effect at this kiosk of an action with *target* that started on *started_on*, as of the
    local day *today*."""
    before, after = windows(started_on, today)
    return compare(_side(before, target), _side(after, target), min_responses,
                   lower_is_better=target["kind"] == "reason")
