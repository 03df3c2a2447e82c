"""How a figure is shown, decided once for every surface.

:mod:`sync.wire.figures` says what a figure *is* (exact fractions from counts);
this module says how it is *shown*, and the manager screen, head office's
pages and charts, the alert email and webhook and the daily digest all ask it:

- **the percent**: a whole number, halves rounded up (12.5 % shows as 13 %
  everywhere, whatever a float would say); the Happy Index with one decimal;
- **too few**: below ``min_responses`` counted ratings no percentage is shown;
- **the verdict** against the brand's target: ``below`` or ``met``, decided on
  the percent as shown, so a page never says "below" beside a figure that
  reads as the target;
- **the heat band** of a weekday-hour: ``good`` at or above the target,
  ``mid`` up to :data:`MIDDLING_POINTS` under it, ``bad`` further under,
  ``few`` for too few ratings, ``none`` for no ratings (80/60 without a
  target), and the legend that explains every band a map can use;
- **the trend**: points of change, its arrow and whether it is good news;
- **the axis scale** of a bar chart: a round step and a top that covers the peak.

It returns numbers, band keys and message ids (English, marked with ``N_``),
never translated text: each surface translates with its own catalog, and the
English digest and alert email use the ids as they are.
"""
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from sync.wire.defaults import DEFAULT_MIN_RESPONSES, N_
from sync.wire.figures import happy_index, satisfaction

if TYPE_CHECKING:
    from sync.wire.figures import Counts

#: A number a figure may be: an exact fraction from counts, or a plain number (a target, a stored value).
Number = Fraction | int | float

#: Shown instead of a percentage when fewer than ``min_responses`` ratings count.
TOO_FEW = N_("too few")

# -- numbers as shown ---------------------------------------------------------------------------


def whole_percent(value: Number | None) -> int | None:
    """A percentage as shown: a whole number, halves rounded up; None stays None."""
    if value is None:
        return None
    return int(_decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def one_decimal(value: Number | None) -> float | None:
    """A score as shown (the Happy Index): one decimal, halves rounded up; None stays None."""
    if value is None:
        return None
    return float(_decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))


def share(part: int, whole: int | None) -> int | None:
    """*part* of *whole* as a whole percent (half up); None when *whole* is nothing.

    For a share that has no "too few" (an alert's counts, a reason among follow-ups).
    """
    if not whole:
        return None
    return whole_percent(Fraction(100 * part, whole))


# -- the verdict against the target -------------------------------------------------------------

def shown_target(target: Number | None) -> int | float | None:
    """The target as shown and compared: one decimal at most, a whole number when it is one (``85.0`` ->
    ``85``, ``82.5`` stays); None stays None. Head office may set any percentage; every surface writes it
    alike, and a verdict compares with what the reader sees."""
    if target is None:
        return None
    value = one_decimal(target)
    assert value is not None
    return int(value) if value == int(value) else value


BELOW, MET = "below", "met"
#: What each verdict says, as message ids.
VERDICTS = {BELOW: N_("below target"), MET: N_("on target")}


def verdict(percent: int | None, target: Number | None) -> str | None:
    """``BELOW`` or ``MET`` for a satisfaction *percent* as shown; None when too few (None) or no target."""
    if percent is None or target is None:
        return None
    return BELOW if percent < target else MET


@dataclass(frozen=True)
class Shown:
    """A stretch's headline figures as every surface shows them.

    :param counted: counted ratings.
    :param satisfaction: whole percent, None when too few.
    :param happy_index: one decimal, None when too few.
    :param verdict: ``BELOW``, ``MET`` or None (too few, or no target).
    """

    counted: int
    satisfaction: int | None
    happy_index: float | None
    verdict: str | None

    @property
    def too_few(self) -> bool:
        return self.satisfaction is None

    @property
    def below(self) -> bool | None:
        """True below the target, False on it, None when there is no verdict."""
        return None if self.verdict is None else self.verdict == BELOW


def shown(counts: "Counts", target: Number | None = None, min_responses: int = DEFAULT_MIN_RESPONSES) -> Shown:
    """The :class:`Shown` figures of ``sync.wire.figures.Counts`` *counts* against *target* (percent or None)."""
    percent = whole_percent(satisfaction(counts, min_responses))
    return Shown(counts.counted, percent, one_decimal(happy_index(counts, min_responses)), verdict(percent, target))


# -- heat bands ---------------------------------------------------------------------------------

GOOD, MIDDLING, BAD, FEW, NONE = "good", "mid", "bad", "few", "none"
#: Every band a heat map cell can have, in the order a legend lists them.
HEAT_BANDS = (GOOD, MIDDLING, BAD, FEW, NONE)
#: Without a target: 80 % and over is good, 60-79 % middling, under 60 % bad.
UNTARGETED_BANDS = (80, 60)
#: With a target: at or over it is good, up to this many points under it middling.
MIDDLING_POINTS = 10
_RANK = {BAD: 0, MIDDLING: 1, GOOD: 2}


def heat_thresholds(target: Number | None) -> tuple[int, int]:
    """``(good from, middling from)`` in whole percent: against the brand's target when there is one,
    so a cell is green exactly when that hour meets it (a target of 82.5 is met from 83 %, as shown)."""
    if target is None:
        return UNTARGETED_BANDS
    return math.ceil(target), max(0, math.ceil(target - MIDDLING_POINTS))


def heat_band(counted: int, percent: int | None, target: Number | None) -> str:
    """The band of one cell: *counted* ratings with satisfaction *percent* (as shown, None when too few)."""
    if not counted:
        return NONE
    if percent is None:
        return FEW
    good_from, middling_from = heat_thresholds(target)
    return GOOD if percent >= good_from else MIDDLING if percent >= middling_from else BAD


def band_rank(band: str) -> int | None:
    """How good a percentage band is (bad 0, mid 1, good 2); None for ``few`` and ``none``."""
    return _RANK.get(band)


@dataclass(frozen=True)
class LegendEntry:
    """One key of a heat map's legend: its band, a message id and the values the message takes."""

    band: str
    message: str
    values: Mapping[str, int] = field(default_factory=dict)


def heat_legend(target: Number | None) -> tuple[LegendEntry, ...]:
    """The legend of a heat map against *target*: every band a cell can have, in :data:`HEAT_BANDS` order.

    With any target over :data:`MIDDLING_POINTS` (and without one) that is all five; a band no
    percentage can fall in (middling under a target of 0, bad under one of 10 or less) is left out.
    """
    good_from, middling_from = heat_thresholds(target)
    entries = [LegendEntry(GOOD, N_("%(n)s %% or more"), {"n": good_from})]
    if middling_from < good_from:
        entries.append(LegendEntry(MIDDLING, N_("%(low)s–%(high)s %%"), {"low": middling_from, "high": good_from - 1}))
    if middling_from > 0:
        entries.append(LegendEntry(BAD, N_("under %(n)s %%"), {"n": middling_from}))
    entries.append(LegendEntry(FEW, TOO_FEW))
    entries.append(LegendEntry(NONE, N_("no ratings")))
    return tuple(entries)


# -- trends -------------------------------------------------------------------------------------

UP, DOWN, FLAT = "up", "down", "flat"
ARROWS = {UP: "▲", DOWN: "▼", FLAT: "■"}


@dataclass(frozen=True)
class Trend:
    """A change in percentage points as shown: its sign, arrow and whether it is good news.

    :param points: the change (None when either side is too few).
    :param higher_is_better: False for a share of complaints, where a rise is bad news.
    """

    points: int | None
    higher_is_better: bool = True

    @property
    def direction(self) -> str | None:
        if self.points is None:
            return None
        return UP if self.points > 0 else DOWN if self.points < 0 else FLAT

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction] if self.direction else ""

    @property
    def signed(self) -> str:
        """The points with their sign: ``+3``, ``-2``, ``0``; empty when there is no change to show."""
        if self.points is None:
            return ""
        return f"{self.points:+d}" if self.points else "0"

    @property
    def tone(self) -> str | None:
        """``good``, ``bad`` or ``flat`` news; None when there is no change to show."""
        if self.direction in (None, FLAT):
            return self.direction
        return "good" if (self.direction == UP) == self.higher_is_better else "bad"


def trend(now: int | None, before: int | None, higher_is_better: bool = True) -> Trend:
    """The :class:`Trend` from percent *before* to percent *now* (both as shown; None: too few)."""
    if now is None or before is None:
        return Trend(None, higher_is_better)
    return Trend(now - before, higher_is_better)


# -- axis scales --------------------------------------------------------------------------------

#: The percent axis of a satisfaction chart: always the whole scale, so months compare at a glance.
PERCENT_GRIDLINES = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Axis:
    """A count axis from 0 to ``top`` with a gridline every ``step``."""

    top: int
    step: int

    @property
    def gridlines(self) -> tuple[int, ...]:
        """The values that get a gridline, 0 included."""
        return tuple(range(0, self.top + 1, self.step))


def axis_scale(peak: float, most_lines: int = 5) -> Axis:
    """The :class:`Axis` for counts up to *peak*: the smallest round step (1, 2, 5 times a power of ten)
    giving at most *most_lines* gridlines above zero, and the first multiple of it at or over *peak*.

    A peak of 0 (or less) gets the axis of 1, so an empty chart still has a scale.
    """
    if most_lines < 1:
        raise ValueError("an axis needs at least one gridline above zero")
    peak = max(1, math.ceil(peak))
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            if -(-peak // step) <= most_lines:
                return Axis(-(-peak // step) * step, step)
        magnitude *= 10
