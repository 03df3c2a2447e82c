"""Did an action move its figure? Before against after, with a two-proportion z-test.

Every surface that shows an action's effect (the manager's Actions page from the kiosk's own hourly
tables, head office's from the site's rollups) compares the same way:

- a side is a share: happy and very happy among counted ratings (a site or an hours target), or
  the follow-ups naming a reason among the unhappy follow-ups (a reason target, where a smaller
  share is the better news);
- under ``min_responses`` on either side the effect is "too few" and no verdict is given;
- otherwise the change is real only when a two-proportion z-test (pooled, two-sided) at 95 %
  says so (:data:`Z_95`): "better" or "worse"; else "no clear change".
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sync.wire.defaults import N_
from sync.wire.display import whole_percent
from sync.wire.figures import Counts

#: Local days on each side of an action's start.
WINDOW_DAYS = 28
#: A span of local days, first and last included.
DaySpan = tuple[date, date]
#: The two-sided 95 % critical value of the standard normal distribution.
Z_95 = 1.959964
BETTER, WORSE, NO_CLEAR_CHANGE, TOO_FEW = "better", "worse", "no clear change", "too few"
#: What each verdict says, as message ids (each surface translates).
VERDICTS = {BETTER: N_("better"), WORSE: N_("worse"), NO_CLEAR_CHANGE: N_("no clear change"), TOO_FEW: N_("too few")}
#: How the test is named on the pages: a template's message (Jinja's gettext always formats, hence ``%%``).
TEST_NAME = N_("two-proportion z-test, 95 %%")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: *part* of *whole* (happy of counted, or naming of unhappy follow-ups)."""

    part: int
    whole: int
    days: int

    @property
    def percent(self) -> int | None:
        """The share as shown (a whole percent), None with nothing to share."""
        return whole_percent(Fraction(100 * self.part, self.whole)) if self.whole else None


@dataclass(frozen=True)
class Effect:
    before: Side
    after: Side
    verdict: str
    #: The z statistic (after minus before, in the direction of the share), None when too few or undefined.
    z: float | None
    #: A reason target's share is better when it falls.
    lower_is_better: bool = False

    @property
    def points(self) -> int | None:
        """The change in percentage points, as shown; None when either side is too few."""
        if self.verdict == TOO_FEW or self.before.percent is None or self.after.percent is None:
            return None
        return self.after.percent - self.before.percent

    @property
    def gain(self) -> int | None:
        """:attr:`points` turned so that more is better (a reason's share falling is a gain)."""
        points = self.points
        return None if points is None else -points if self.lower_is_better else points


def z_statistic(before: Side, after: Side) -> float | None:
    """The pooled two-proportion z of *after* against *before*; None when it is undefined (an empty
    side, or a pooled share of exactly 0 or 1: no variation to test against)."""
    if not before.whole or not after.whole:
        return None
    pooled = (before.part + after.part) / (before.whole + after.whole)
    spread = pooled * (1 - pooled) * (1 / before.whole + 1 / after.whole)
    if spread <= 0:
        return None
    return (after.part / after.whole - before.part / before.whole) / math.sqrt(spread)


def compare(before: Side, after: Side, min_responses: int, lower_is_better: bool = False) -> Effect:
    """The :class:`Effect` of going from *before* to *after*."""
    if before.whole < max(1, min_responses) or after.whole < max(1, min_responses):
        return Effect(before, after, TOO_FEW, None, lower_is_better)
    z = z_statistic(before, after)
    if z is None or abs(z) < Z_95:
        return Effect(before, after, NO_CLEAR_CHANGE, z, lower_is_better)
    rose = z > 0
    return Effect(before, after, BETTER if rose != lower_is_better else WORSE, z, lower_is_better)


def windows(started_on: date, today: date) -> tuple[DaySpan, DaySpan | None]:
    """``(before, after)``: the WINDOW_DAYS local days before *started_on*, and those from it up to
    *today* (fewer while the action is young); *after* is None when it starts after *today*."""
    before = (started_on - timedelta(days=WINDOW_DAYS), started_on - timedelta(days=1))
    if started_on > today:
        return before, None
    return before, (started_on, min(started_on + timedelta(days=WINDOW_DAYS - 1), today))


def span_days(span: DaySpan | None) -> int:
    """How many local days *span* holds (0 for none)."""
    return (span[1] - span[0]).days + 1 if span else 0


def in_hours(target: Mapping[str, Any], iso_weekday: int, local_hour: int) -> bool:
    """Whether the local hour *local_hour* of ISO weekday *iso_weekday* falls in an hours *target*:
    one of its weekdays, from its ``from_hour`` up to (not including) its ``to_hour``."""
    return iso_weekday in target["weekdays"] and target["from_hour"] <= local_hour < target["to_hour"]


def target_side(counts: Counts, target: Mapping[str, Any], days: int) -> Side:
    """The side *counts* (already restricted to the target's hours, for an hours target) make for
    *target*: the reason's follow-ups among the unhappy ones, else happy among counted ratings."""
    if target["kind"] == "reason":
        unhappy = counts.unhappy_reasons
        # By the key as text: central keeps a reason it never published under the key and the group
        # each kiosk gave it (an UnpublishedReason, equal only to itself), and the target names the key.
        naming = sum(n for key, n in unhappy.items() if str(key) == target["reason"])
        return Side(naming, sum(unhappy.values()), days)
    return Side(counts.happy, counts.counted, days)
