"""How a figure is shown (sync/wire/display.py): one rounding, one verdict, one set of heat bands, one trend
arrow and one axis scale, and every surface (the manager screen, head office, alerts, the digest) asking it."""
import re
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.manager import charts as manager_charts
from sync.central.alerts import episodes as alerts
from sync.central.store.models import Alert, AlertRule, Site
from sync.central.web import charts
from sync.wire import display
from sync.wire.figures import Counts, satisfaction

ROOT = Path(__file__).resolve().parents[1]
face_counts = st.tuples(*[st.integers(0, 60)] * 4)
targets = st.one_of(st.none(), st.integers(0, 100))
percents = st.integers(0, 100)


# -- numbers as shown ---------------------------------------------------------------------------

def test_halves_round_up_whatever_a_float_says():
    assert display.whole_percent(Fraction(25, 2)) == 13 and display.whole_percent(Fraction(175, 2)) == 88
    assert display.whole_percent(Fraction(49, 2)) == 25 and display.whole_percent(Fraction(5, 2)) == 3
    assert display.whole_percent(None) is None
    assert display.one_decimal(Fraction(1, 4)) == 0.3 and display.one_decimal(Fraction(3125, 100)) == 31.3
    assert display.share(1, 8) == 13 and display.share(7, 8) == 88  # round() would say 12 and 88
    assert display.share(0, 0) is None and display.share(0, 3) == 0


def test_too_few_is_no_percentage_and_no_verdict():
    few = display.shown(Counts((0, 0, 2, 2)), target=85, min_responses=5)
    assert (few.counted, few.satisfaction, few.happy_index, few.verdict) == (4, None, None, None)
    assert few.too_few and few.below is None
    assert display.TOO_FEW == "too few"


def test_a_target_is_shown_and_compared_with_one_decimal_at_most():
    assert display.shown_target(85.0) == 85 and isinstance(display.shown_target(85.0), int)
    assert display.shown_target(82.5) == 82.5 and display.shown_target(82.04) == 82
    assert display.shown_target(None) is None
    assert display.verdict(82, display.shown_target(82.04)) == display.MET  # compared with what the reader sees
    assert display.heat_thresholds(82.5) == (83, 73)  # whole percents: 83 % is the first to meet it
    assert display.heat_band(5, 82, 82.5) == "mid" and display.heat_band(5, 83, 82.5) == "good"


def test_the_verdict_is_decided_on_the_percent_as_shown():
    counts = Counts((1, 0, 0, 7))  # 87.5 % shows as 88
    assert display.shown(counts, target=88).verdict == display.MET
    assert display.shown(counts, target=89).verdict == display.BELOW and display.shown(counts, 89).below is True
    assert display.shown(counts, target=None).verdict is None
    assert display.VERDICTS == {"below": "below target", "met": "on target"}


@given(face_counts, targets, st.integers(0, 10))
def test_the_verdict_agrees_with_whole_percent(faces, target, min_responses):
    counts = Counts(faces)
    shown = display.shown(counts, target, min_responses)
    exact = satisfaction(counts, min_responses)
    assert shown.satisfaction == display.whole_percent(exact)
    if exact is None or target is None:
        assert shown.verdict is None
    else:
        assert shown.below == (display.whole_percent(exact) < target)


# -- heat bands ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target, percent, band", [
    (85, 100, "good"), (85, 85, "good"), (85, 84, "mid"), (85, 75, "mid"), (85, 74, "bad"), (85, 0, "bad"),
    (None, 80, "good"), (None, 79, "mid"), (None, 60, "mid"), (None, 59, "bad"),
    (5, 0, "mid"), (0, 0, "good"),
])
def test_the_documented_bands(target, percent, band):
    assert display.heat_band(12, percent, target) == band


def test_too_few_is_grey_and_nothing_is_blank():
    assert display.heat_band(3, None, 85) == "few"
    assert display.heat_band(0, None, 85) == "none" and display.heat_band(0, None, None) == "none"


@given(targets, percents, percents)
def test_bands_never_get_worse_as_the_percent_rises(target, low, high):
    low, high = sorted((low, high))
    assert display.band_rank(display.heat_band(5, low, target)) <= display.band_rank(
        display.heat_band(5, high, target))


@given(st.integers(0, 100), percents)
def test_green_is_exactly_on_target(target, percent):
    assert (display.heat_band(5, percent, target) == "good") == (display.verdict(percent, target) == display.MET)


def test_each_legend_names_all_five_bands():
    for target in (85, None, 11, 70):
        assert [entry.band for entry in display.heat_legend(target)] == list(display.HEAT_BANDS)
    good, middling, bad, few, none = display.heat_legend(85)
    assert good.message % good.values == "85 % or more"
    assert middling.message % middling.values == "75–84 %"
    assert bad.message % bad.values == "under 75 %"
    assert (few.message, none.message) == ("too few", "no ratings")
    assert [e.message % e.values for e in display.heat_legend(None)[:3]] == ["80 % or more", "60–79 %", "under 60 %"]


@given(targets)
def test_a_legend_lists_exactly_the_bands_a_cell_can_have(target):
    possible = {display.heat_band(1, percent, target) for percent in range(101)} | {"few", "none"}
    assert {entry.band for entry in display.heat_legend(target)} == possible


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 23), face_counts), max_size=30), targets,
       st.integers(1, 6))
def test_the_manager_screen_and_head_office_colour_every_cell_alike(cells, target, min_responses):
    """The same counts give the same band on the manager's week map and on head office's site map."""
    by_cell = {}
    for weekday, hour, faces in cells:
        by_cell[(weekday, hour)] = by_cell.get((weekday, hour), Counts()) + Counts(faces)
    grid = [[by_cell.get((weekday, hour), Counts()) for hour in range(24)] for weekday in range(7)]
    manager = manager_charts.heat_map(grid, list("MTWTFSS"), target, min_responses)
    office = charts.heat_map(by_cell, target, min_responses)
    manager_bands = {(weekday, int(label)): cell.band for weekday, (_, _, row) in enumerate(manager.rows)
                     for (label, _), cell in zip(manager.hours, row, strict=True)}
    for weekday, row in office.rows:
        for hour, cell in zip(office.hours, row, strict=True):
            assert manager_bands[(weekday, hour)] == cell.band, (weekday, hour)
    assert manager.legend == office.legend == display.heat_legend(target)


def _band_colours(stylesheet, prop):
    """``{band: colour}`` from a stylesheet's ``.heat-<band>`` rules (the *prop* declaration)."""
    found = {}
    for band, body in re.findall(r"^\.heat-(\w+) \{([^}]*)\}", stylesheet.read_text(), re.M):
        value = re.search(rf"(?:^|;)\s*{prop}:\s*([^;]+)", body)
        if value:
            found[band] = value.group(1).strip().lower()
    return found


def test_both_maps_paint_each_band_in_the_same_colour():
    manager = ROOT / "kiosk" / "static" / "css" / "manager.css"
    office = ROOT / "sync" / "central" / "static" / "css" / "central.css"
    fills, keys = _band_colours(manager, "fill"), _band_colours(manager, "background")
    backgrounds = _band_colours(office, "background")
    assert set(backgrounds) == set(display.HEAT_BANDS)
    assert fills == keys == backgrounds


# -- trends -------------------------------------------------------------------------------------

def test_a_trend_has_a_sign_an_arrow_and_a_tone():
    up, down, flat, unknown = display.trend(88, 85), display.trend(80, 85), display.trend(85, 85), \
        display.trend(None, 85)
    assert (up.points, up.arrow, up.signed, up.tone) == (3, "▲", "+3", "good")
    assert (down.points, down.arrow, down.signed, down.tone) == (-5, "▼", "-5", "bad")
    assert (flat.arrow, flat.signed, flat.tone) == ("■", "0", "flat")
    assert (unknown.points, unknown.arrow, unknown.signed, unknown.tone) == (None, "", "", None)
    complaints = display.trend(30, 20, higher_is_better=False)  # a reason named more often
    assert (complaints.arrow, complaints.tone) == ("▲", "bad")


# -- axis scales --------------------------------------------------------------------------------

@pytest.mark.parametrize("peak, most, axis", [
    (0, 5, (1, 1)), (1, 5, (1, 1)), (5, 5, (5, 1)), (6, 5, (6, 2)), (11, 5, (15, 5)), (23, 5, (25, 5)),
    (26, 5, (30, 10)), (240, 5, (250, 50)), (7, 4, (8, 2)), (1999, 5, (2000, 500)),
])
def test_axis_examples(peak, most, axis):
    scale = display.axis_scale(peak, most)
    assert (scale.top, scale.step) == axis
    assert scale.gridlines[0] == 0 and scale.gridlines[-1] == scale.top


@given(st.integers(0, 10**7), st.integers(1, 12))
def test_an_axis_covers_the_peak_with_at_most_n_round_gridlines(peak, most):
    axis = display.axis_scale(peak, most)
    assert axis.top >= peak and axis.top % axis.step == 0
    assert len(axis.gridlines) - 1 <= most  # gridlines above zero
    assert axis.top - axis.step < max(peak, 1)  # no empty band above the peak
    assert re.fullmatch(r"[125]0*", str(axis.step))


def test_an_axis_needs_a_gridline():
    with pytest.raises(ValueError):
        display.axis_scale(10, 0)


def test_both_bar_charts_use_the_one_axis():
    hours = [Counts((0, 1, 3, 19)), Counts((0, 0, 1, 2))]
    office = charts.hour_bars([(datetime(2026, 1, 5, 8 + n, tzinfo=timezone.utc), c) for n, c in enumerate(hours)])
    days = manager_charts.day_chart([(None, c) for c in hours], [("", "")] * 2, 85, 5)
    expected = display.axis_scale(23, 5).gridlines  # (0, 5, 10, 15, 20, 25)
    assert [int(label) for _, label in office.ticks] == list(expected)
    assert [value for _, value in days.gridlines] == list(expected)


# -- the alert's words ------------------------------------------------------------------------

def test_an_alert_rounds_its_share_as_the_pages_do():
    """1 unhappy of 8 is 12.5 %: the email and the webhook say 13 %, as every page would."""
    rule = AlertRule(id=3, site=Site(id=1, name="Kamppi"), unhappy_share=10, min_responses=4, silent_minutes=60)
    episode = Alert(id=9, rule=rule, kind="unhappy", started_at=datetime(2026, 1, 5, 12, tzinfo=timezone.utc),
                    detail={"counted": 8, "unhappy": 1, "window_minutes": 15, "sites": [1]})
    subject, text, payload = alerts.describe(episode, site_zones={1: timezone.utc})
    assert subject == "Hymy alert: 13 % unhappy at site Kamppi"
    assert "1 of 8 counted ratings" in text and "(13 %," in text
    assert payload["unhappy_share"] == 13 and payload["detail"]["counted"] == 8
