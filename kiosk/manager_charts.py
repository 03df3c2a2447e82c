"""The manager's charts as geometry: figures in, rectangles and colours out.

The templates (templates/manager/_charts.html) draw these as inline SVG, so
the charts work with no network and no script. Colour carries meaning and
nothing else: a face's own colour for its ratings, red for an hour or a day
below the brand's target, green at or above it, grey when there are too few
ratings to say. Every figure comes from ``sync.figures``; nothing here
restates a formula.
"""
from dataclasses import dataclass, field

from sync.figures import Counts, satisfaction, whole_percent
from sync.protocol import FUNCTIONAL, TECHNICAL

#: The faces' own colours (templates/kiosk/_faces.html), very unhappy first.
FACE_COLOURS = ("#d93a35", "#f39325", "#9ccc4a", "#2f9e55")
BELOW = "#c62828"
BELOW_SOFT = "#f4b4b0"
ABOVE = "#2e7d32"
ABOVE_SOFT = "#a5d6a7"
TOO_FEW = "#d5dae0"
NOTHING = "#eef1f4"
LAST_WEEK = "#c3cad3"
#: Technical quality (the outcome, *what*) and functional quality (*how*): two
#: hues that say neither good nor bad.
DIMENSION_COLOURS = {TECHNICAL: "#2f6db5", FUNCTIONAL: "#8a4fb8"}


def verdict(counts, target, min_responses):
    """``(whole percent or None, below target or None)`` for *counts*."""
    shown = whole_percent(satisfaction(counts, min_responses))
    if shown is None or target is None:
        return shown, None
    return shown, shown < target


def scale_top(peak, most_lines=5):
    """``(top of the axis, gridline step)``: a round step (1, 2, 5, 10, 20, 25, 50, ...) giving at
    most *most_lines* gridlines above zero, and the first multiple of it at or above *peak*."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5, 10, 20, 25, 50):
            step = multiple * magnitude
            if peak <= step * most_lines:
                return max(step, -(-peak // step) * step), step
        magnitude *= 100


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    fill: str
    rating: int
    count: int


def stack(faces, bottom, scale):
    """Stacked segments of *faces* counts, very unhappy at the bottom, from *bottom* up."""
    segments, y = [], bottom
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
    segments: list
    total: int
    percent: int | None
    below: bool | None
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
    columns: list
    gridlines: list = field(default_factory=list)  # (y, value)

    @property
    def empty(self):
        return not any(column.total or column.before_total for column in self.columns)


AXIS_LEFT = 38


def _gridlines(top_value, step, bottom, scale):
    return [(round(bottom - value * scale, 2), value) for value in range(0, top_value + 1, step)]


def _has_ratings(counts):
    return counts.counted or sum(counts.filtered.values())


def hour_range(*hour_lists, fallback=(8, 20)):
    """Indexes of the first and last hour holding any rating in any of *hour_lists* (lists of HourBar)."""
    busy = [i for hours in hour_lists for i, bar in enumerate(hours) if _has_ratings(bar.counts)]
    if not busy:
        longest = max((len(hours) for hours in hour_lists), default=24)
        return min(fallback[0], longest - 1), min(fallback[1], longest - 1)
    return min(busy), max(busy)


def hour_chart(hours, last_week, target, min_responses):
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
    top_value, step = scale_top(peak)
    width, height, top, bottom = 760, 236, 30, 204
    scale = (bottom - top) / top_value
    slot = (width - AXIS_LEFT - 4) / len(shown)
    columns = []
    for index, (bar, before) in enumerate(zip(shown, befores, strict=True)):
        percent, below = verdict(bar.counts, target, min_responses)
        before_height = before.counted * scale
        columns.append(Column(
            label=bar.label, x=round(AXIS_LEFT + index * slot, 2), width=round(slot, 2),
            segments=stack(bar.counts.faces, bottom, scale), total=bar.counts.counted, percent=percent, below=below,
            before_total=before.counted, before_y=round(bottom - before_height, 2),
            before_height=round(before_height, 2),
        ))
    return BarChart(width, height, top, bottom, AXIS_LEFT, columns, _gridlines(top_value, step, bottom, scale))


def day_chart(days, labels, target, min_responses):
    """Counted ratings day by day, stacked by face, each with its satisfaction.

    :param days: ``[(date, Counts)]``; *labels*: ``(label, note)`` under each day.
    """
    top_value, step = scale_top(max([counts.counted for _, counts in days] + [1]))
    width, height, top, bottom = 470, 312, 30, 250
    scale = (bottom - top) / top_value
    slot = (width - AXIS_LEFT - 4) / len(days)
    columns = []
    for index, ((_, counts), (label, note)) in enumerate(zip(days, labels, strict=True)):
        percent, below = verdict(counts, target, min_responses)
        columns.append(Column(label, round(AXIS_LEFT + index * slot, 2), round(slot, 2),
                              stack(counts.faces, bottom, scale), counts.counted, percent, below, note))
    return BarChart(width, height, top, bottom, AXIS_LEFT, columns, _gridlines(top_value, step, bottom, scale))


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    fill: str
    text: str  # the percentage, "·" for too few, "" for none
    ink: str
    counted: int


@dataclass(frozen=True)
class HeatMap:
    width: float
    height: float
    cell: float
    left: float
    top: float
    rows: list  # [(label, y, [HeatCell])]
    hours: list  # [(label, x)]


def heat_colour(counts, target, min_responses):
    """``(fill, text, ink)`` of one weekday-hour: red shades below target, green at or above."""
    if not counts.counted:
        return NOTHING, "", "#5b6875"
    percent, below = verdict(counts, target, min_responses)
    if percent is None:
        return TOO_FEW, "·", "#3d4853"
    if below is None:  # no target to compare with
        return ABOVE_SOFT, str(percent), "#15212c"
    if below:
        strong = target - percent >= 10
        return (BELOW if strong else BELOW_SOFT), str(percent), ("#ffffff" if strong else "#15212c")
    strong = percent - target >= 5 or percent == 100
    return (ABOVE if strong else ABOVE_SOFT), str(percent), ("#ffffff" if strong else "#15212c")


def heat_map(heat, weekday_labels, target, min_responses):
    """A weekday (rows, Monday first) × local hour (columns) map of satisfaction.

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
            fill, text, ink = heat_colour(row[hour], target, min_responses)
            cells.append(HeatCell(left + (hour - first) * cell, y, fill, text, ink, row[hour].counted))
        rows.append((label, y, cells))
    return HeatMap(left + len(hours) * cell + 2, top + 7 * cell + 2, cell, left, top, rows, hours)


@dataclass(frozen=True)
class Split:
    """What vs how among some follow-ups: counts and whole percentages."""

    total: int
    what: int
    how: int
    what_percent: int | None
    how_percent: int | None


def split(drivers):
    """Technical (*what*) against functional (*how*) in a ``sync.figures.Drivers``."""
    what = drivers.by_dimension.get(TECHNICAL, 0)
    how = drivers.by_dimension.get(FUNCTIONAL, 0)
    return Split(drivers.total, what, how, whole_percent(drivers.share(what)), whole_percent(drivers.share(how)))
