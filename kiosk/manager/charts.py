"""The manager's charts as geometry: figures in, rectangles and colours out.

The templates (templates/manager/_charts.html) draw these as inline SVG, so
the charts work with no network and no script. Colour carries meaning and
nothing else: a face's own colour for its ratings; for an hour's or a day's
satisfaction, red below the brand's target and green at or above it; on the
weekday × hour map, head office's heat bands. Every figure, verdict, band
and axis comes from ``sync.wire.figures`` and ``sync.wire.display``; nothing here
restates a formula or a rule of how a figure is shown.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sync.wire import display
from sync.wire.display import Axis, LegendEntry, Number
from sync.wire.figures import Counts, Drivers
from sync.wire.protocol import FUNCTIONAL, TECHNICAL

if TYPE_CHECKING:
    from kiosk.manager.reports import HourBar

#: The faces' own colours (templates/kiosk/_faces.html), very unhappy first.
FACE_COLOURS = ("#d93a35", "#f39325", "#9ccc4a", "#2f9e55")
LAST_WEEK = "#c3cad3"
#: Technical quality (the outcome, *what*) and functional quality (*how*): two
#: hues that say neither good nor bad.
DIMENSION_COLOURS = {TECHNICAL: "#2f6db5", FUNCTIONAL: "#8a4fb8"}
#: Gridlines above zero on a bar chart's count axis, at most.
MOST_GRIDLINES = 5


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    fill: str
    rating: int
    count: int


def stack(faces: Iterable[int], bottom: float, scale: float) -> list[Segment]:
    """Stacked segments of *faces* counts, very unhappy at the bottom, from *bottom* up."""
    segments: list[Segment] = []
    y = bottom
    for rating, count in enumerate(faces, start=1):
        if count:
            height = count * scale
            y -= height
            segments.append(Segment(round(y, 2), round(height, 2), FACE_COLOURS[rating - 1], rating, count))
    return segments


@dataclass(frozen=True)
class Column:
    """One hour (or one day) of a bar chart."""

    label: str
    x: float
    width: float
    segments: list[Segment]
    total: int
    percent: int | None  # satisfaction as shown; None: too few
    below: bool | None  # against the target; None: too few or no target
    note: str = ""  # a second line under the label (the date, day chart only)
    before_total: int | None = None  # the same weekday last week (hour chart only)
    before_y: float = 0
    before_height: float = 0


@dataclass(frozen=True)
class BarChart:
    """A bar chart in viewBox units: plot from ``top`` to ``bottom``, columns left to right."""

    width: float
    height: float
    top: float
    bottom: float
    left: float
    columns: list[Column]
    gridlines: list[tuple[float, int]] = field(default_factory=list)  # (y, value)

    @property
    def empty(self) -> bool:
        return not any(column.total or column.before_total for column in self.columns)


AXIS_LEFT = 38


def _gridlines(axis: Axis, bottom: float, scale: float) -> list[tuple[float, int]]:
    return [(round(bottom - value * scale, 2), value) for value in axis.gridlines]


def _has_ratings(counts: Counts) -> bool:
    return bool(counts.counted or sum(counts.filtered.values()))


def hour_range(*hour_lists: Sequence["HourBar"], fallback: tuple[int, int] = (8, 20)) -> tuple[int, int]:
    """Indexes of the first and last hour holding any rating in any of *hour_lists* (lists of HourBar)."""
    busy = [i for hours in hour_lists for i, bar in enumerate(hours) if _has_ratings(bar.counts)]
    if not busy:
        longest = max((len(hours) for hours in hour_lists), default=24)
        return min(fallback[0], longest - 1), min(fallback[1], longest - 1)
    return min(busy), max(busy)


def hour_chart(
    hours: Sequence["HourBar"], last_week: Sequence["HourBar"], target: Number | None, min_responses: int
) -> BarChart:
    """Counted ratings per local hour, stacked by face, beside the same weekday a week earlier.

    :param hours: ``reports.HourBar`` list of the day (23, 24 or 25 of them).
    :param last_week: the same for the same weekday a week earlier (its hours
        are matched by label, so a DST day on either side lines up by clock hour).
    """
    before_by_label = {bar.label: bar.counts for bar in last_week}
    first, last = hour_range(hours, last_week)
    shown = hours[first:last + 1]
    befores = [before_by_label.get(bar.label, Counts()) for bar in shown]
    peak = max([bar.counts.counted for bar in shown] + [c.counted for c in befores] + [1])
    axis = display.axis_scale(peak, MOST_GRIDLINES)
    width, height, top, bottom = 760, 236, 30, 204
    scale = (bottom - top) / axis.top
    slot = (width - AXIS_LEFT - 4) / len(shown)
    columns = []
    for index, (bar, before) in enumerate(zip(shown, befores, strict=True)):
        figure = display.shown(bar.counts, target, min_responses)
        before_height = before.counted * scale
        columns.append(Column(
            label=bar.label, x=round(AXIS_LEFT + index * slot, 2), width=round(slot, 2),
            segments=stack(bar.counts.faces, bottom, scale), total=bar.counts.counted, percent=figure.satisfaction,
            below=figure.below,
            before_total=before.counted, before_y=round(bottom - before_height, 2),
            before_height=round(before_height, 2),
        ))
    return BarChart(width, height, top, bottom, AXIS_LEFT, columns, _gridlines(axis, bottom, scale))


def day_chart(
    days: Sequence[tuple[date, Counts]], labels: Sequence[tuple[str, str]], target: Number | None, min_responses: int
) -> BarChart:
    """Counted ratings day by day, stacked by face, each with its satisfaction.

    :param days: ``[(date, Counts)]``; *labels*: ``(label, note)`` under each day.
    """
    axis = display.axis_scale(max([counts.counted for _, counts in days] + [1]), MOST_GRIDLINES)
    width, height, top, bottom = 470, 312, 30, 250
    scale = (bottom - top) / axis.top
    slot = (width - AXIS_LEFT - 4) / len(days)
    columns = []
    for index, ((_, counts), (label, note)) in enumerate(zip(days, labels, strict=True)):
        shown = display.shown(counts, target, min_responses)
        columns.append(Column(label, round(AXIS_LEFT + index * slot, 2), round(slot, 2),
                              stack(counts.faces, bottom, scale), counts.counted, shown.satisfaction, shown.below,
                              note))
    return BarChart(width, height, top, bottom, AXIS_LEFT, columns, _gridlines(axis, bottom, scale))


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    band: str  # a ``sync.wire.display`` heat band: good, mid, bad, few or none
    percent: int | None  # satisfaction as shown; None: too few or none
    counted: int


@dataclass(frozen=True)
class HeatMap:
    width: float
    height: float
    cell: float
    left: float
    top: float
    rows: Sequence[tuple[str, float, list[HeatCell]]]
    hours: Sequence[tuple[str, float]]  # (label, x)
    legend: tuple[LegendEntry, ...]  # every band a cell can have


def heat_map(
    heat: Sequence[Sequence[Counts]], weekday_labels: Sequence[str], target: Number | None, min_responses: int
) -> HeatMap:
    """A weekday (rows, Monday first) × local hour (columns) map of satisfaction, in head office's bands.

    Only the hours that hold a rating on some weekday are drawn, so a counter
    open 8-20 fills the width instead of sharing it with empty nights.
    """
    busy = [hour for hour in range(24) if any(_has_ratings(row[hour]) for row in heat)]
    first, last = (min(busy), max(busy)) if busy else (8, 20)
    cell, left, top = 40, 52, 26
    hours = [(f"{hour:02d}", left + (hour - first) * cell) for hour in range(first, last + 1)]
    rows = []
    for weekday, (label, row) in enumerate(zip(weekday_labels, heat, strict=True)):
        y = top + weekday * cell
        cells = []
        for hour in range(first, last + 1):
            counts = row[hour]
            percent = display.shown(counts, target, min_responses).satisfaction
            cells.append(HeatCell(left + (hour - first) * cell, y, display.heat_band(counts.counted, percent, target),
                                  percent, counts.counted))
        rows.append((label, y, cells))
    return HeatMap(left + len(hours) * cell + 2, top + 7 * cell + 2, cell, left, top, rows, hours,
                   display.heat_legend(target))


@dataclass(frozen=True)
class Split:
    """What vs how among some follow-ups: counts and whole percentages."""

    total: int
    what: int
    how: int
    what_percent: int | None
    how_percent: int | None


def split(drivers: Drivers) -> Split:
    """Technical (*what*) against functional (*how*) in a ``sync.wire.figures.Drivers``."""
    what = drivers.by_dimension.get(TECHNICAL, 0)
    how = drivers.by_dimension.get(FUNCTIONAL, 0)
    return Split(drivers.total, what, how, display.share(what, drivers.total), display.share(how, drivers.total))
