"""Geometry for head office's charts, drawn as SVG by the templates: no script, no CDN, works offline.

Each function turns report counts into numbers a template can place (bar
heights, line points, cell bands) with every figure already shown by
:mod:`sync.wire.display` (rounding, "too few", verdict, heat band, trend, axis
scale), so a chart never shows a value the tables or the manager screen do not.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sync.wire import display, figures
from sync.wire.defaults import DEFAULT_MIN_RESPONSES
from sync.wire.display import LegendEntry, Number, Trend
from sync.wire.figures import Counts, Drivers
from sync.wire.protocol import GROUPS

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28
#: Gridlines above zero on a bar chart's count axis, at most.
MOST_GRIDLINES = 5


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str
    total: int
    segments: tuple[tuple[int, float, float], ...]  # (face 1..4, y, height)
    satisfaction: int | None


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(bar.total for bar in self.bars)


def hour_bars(
    hours: Sequence[tuple[datetime, Counts]], target: Number | None = None, min_responses: int = DEFAULT_MIN_RESPONSES
) -> BarChart:
    """Stacked bars, one per hour of a local day: counted ratings by face, very unhappy at the bottom."""
    axis = display.axis_scale(max([counts.counted for _, counts in hours] + [1]), MOST_GRIDLINES)
    top = axis.top
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(hours))
    bars: list[Bar] = []
    for index, (moment, counts) in enumerate(hours):
        y: float = HEIGHT - BOTTOM
        segments: list[tuple[int, float, float]] = []
        for face, n in enumerate(counts.faces, start=1):
            height = plot_height * n / top
            y -= height
            if n:
                segments.append((face, round(y, 1), round(height, 1)))
        label = moment.strftime("%H:%M") if moment.minute else moment.strftime("%H")
        bars.append(Bar(round(LEFT + index * slot + slot * 0.15, 1), round(slot * 0.7, 1), label, counts.counted,
                        tuple(segments), display.shown(counts, target, min_responses).satisfaction))
    ticks = [(round(HEIGHT - BOTTOM - plot_height * value / top, 1), str(value)) for value in axis.gridlines]
    return BarChart(bars, ticks)


@dataclass(frozen=True)
class LineChart:
    points: list[tuple[float, float | None, date, int | None, int]]  # (x, y, month, value or None, responses)
    target_y: float | None
    ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def path(self) -> str:
        """The SVG path through the months that have a figure (a gap where one is too few)."""
        parts: list[str] = []
        pen_down = False
        for x, y, _, value, _ in self.points:
            if value is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{x},{y}")
            pen_down = True
        return " ".join(parts)


def _y_of_percent(percent: Number) -> float:
    return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * percent / 100, 1)


def month_line(
    months: Sequence[tuple[date, Counts]], target: Number | None = None, min_responses: int = DEFAULT_MIN_RESPONSES
) -> LineChart:
    """Satisfaction per month (percent, as shown), against the target line."""
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(months))
    points: list[tuple[float, float | None, date, int | None, int]] = []
    for index, (month, counts) in enumerate(months):
        value = display.shown(counts, target, min_responses).satisfaction
        x = round(LEFT + index * slot + slot / 2, 1)
        points.append((x, _y_of_percent(value) if value is not None else None, month, value, counts.counted))
    ticks = [(_y_of_percent(value), f"{value} %") for value in display.PERCENT_GRIDLINES]
    return LineChart(points, _y_of_percent(target) if target is not None else None, ticks)


@dataclass(frozen=True)
class HeatCell:
    responses: int
    satisfaction: int | None
    band: str  # a ``sync.wire.display`` heat band: good, mid, bad, few or none

    @property
    def shade(self) -> str:
        """The cell's CSS class (central.css; the manager screen's map uses the same names and colours)."""
        return f"heat-{self.band}"


@dataclass(frozen=True)
class HeatMap:
    hours: list[int]  # the hours shown, in the site's local time
    rows: list[tuple[int, list[HeatCell]]]  # (weekday 0-6, a HeatCell per hour)
    legend: tuple[LegendEntry, ...]  # every band a cell can have


def heat_map(
    cells: Mapping[tuple[int, int], Counts], target: Number | None = None, min_responses: int = DEFAULT_MIN_RESPONSES
) -> HeatMap:
    """A :class:`HeatMap`: hours with no rating on any day are left out, so a site open 8-20 shows 8-20."""
    hours = sorted({hour for (_, hour), counts in cells.items() if counts.counted})
    rows = []
    for weekday in range(7):
        row = []
        for hour in hours:
            counts = cells.get((weekday, hour)) or figures.Counts()
            value = display.shown(counts, target, min_responses).satisfaction
            row.append(HeatCell(counts.counted, value, display.heat_band(counts.counted, value, target)))
        rows.append((weekday, row))
    return HeatMap(hours, rows, display.heat_legend(target))


@dataclass(frozen=True)
class DriverRow:
    key: str  # a reason key, a group or a dimension
    group: str | None
    dimension: str | None
    count: int
    share: int | None  # whole percent of the unhappy follow-ups
    previous_share: int | None

    @property
    def trend(self) -> Trend:
        """The :class:`sync.wire.display.Trend` of the share: a reason named more often is bad news."""
        return display.trend(self.share, self.previous_share, higher_is_better=False)

    @property
    def change(self) -> int | None:
        return self.trend.points


@dataclass(frozen=True)
class DriverTable:
    total: int
    reasons: list[DriverRow]
    groups: list[DriverRow]
    dimensions: list[DriverRow]


def driver_rows(counts: Counts, previous: Counts, group_of: Mapping[str, Any]) -> DriverTable:
    """What unhappy ratings (1-2) give as their reason: per reason, group and dimension, with the share
    of the unhappy follow-ups and its change against the previous period (percentage points)."""
    now, before = figures.drivers(counts.unhappy_reasons, group_of), figures.drivers(previous.unhappy_reasons,
                                                                                     group_of)

    def share(drivers: Drivers, n: int) -> int | None:
        return display.share(n, drivers.total)

    reasons = [DriverRow(key, group_of.get(key), GROUPS.get(group_of.get(key) or ""), n, share(now, n),
                         share(before, before.by_reason.get(key, 0))) for key, n in now.by_reason.items()]
    groups = [DriverRow(group, group, GROUPS[group], n, share(now, n), share(before, before.by_group.get(group, 0)))
              for group, n in now.by_group.items()]
    dimensions = [DriverRow(dimension, None, dimension, n, share(now, n),
                            share(before, before.by_dimension.get(dimension, 0)))
                  for dimension, n in now.by_dimension.items()]
    return DriverTable(now.total, reasons, groups, dimensions)
