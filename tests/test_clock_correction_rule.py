"""Properties of the one clock correction (sync/wire/clock_correction.py), for any readings.

Central and the kiosk both call :func:`corrected_time`; whatever the readings
(a monotonic clock that ran backwards, centuries apart, not a number), it
answers, and a ``corrected`` instant always passes central's checks: in or
after the year 2000, never after the latest allowed instant, exactly the
reference's wall time minus the monotonic distance.
"""
import math
from datetime import datetime, timedelta, timezone

from hypothesis import assume, given
from hypothesis import strategies as st

from sync.wire.clock_correction import CORRECTED, KIOSK, UNCORRECTABLE, corrected_time
from sync.wire.protocol import EARLIEST_YEAR, MAX_MONOTONIC

UTC = timezone.utc
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC))
readings = st.floats(min_value=0, max_value=MAX_MONOTONIC, allow_nan=False)
any_floats = st.floats(allow_nan=True, allow_infinity=True)


def row(recorded_at, monotonic, trusted=False):
    return {"recorded_at": recorded_at, "monotonic": monotonic, "clock_trusted": trusted}


@given(moments, any_floats, st.one_of(st.none(), moments), st.one_of(st.none(), any_floats), moments)
def test_a_trusted_clock_keeps_its_own_time(recorded_at, monotonic, wall, reference, latest):
    assert corrected_time(row(recorded_at, monotonic, trusted=True), wall, reference, latest) == (recorded_at, KIOSK)


@given(moments, any_floats, st.one_of(st.none(), moments), st.one_of(st.none(), any_floats), moments)
def test_without_a_reference_nothing_is_guessed(recorded_at, monotonic, wall, reference, latest):
    assume(wall is None or reference is None)
    assert corrected_time(row(recorded_at, monotonic), wall, reference, latest) == (recorded_at, UNCORRECTABLE)


@given(moments, any_floats, moments, any_floats, moments)
def test_any_readings_get_an_answer_and_a_correction_passes_centrals_checks(recorded_at, monotonic, wall, reference,
                                                                           latest):
    instant, basis = corrected_time(row(recorded_at, monotonic), wall, reference, latest)
    assert basis in (CORRECTED, UNCORRECTABLE)
    if basis == UNCORRECTABLE:
        assert instant == recorded_at  # kept as the kiosk said, flagged
    else:
        assert EARLIEST_YEAR <= instant.year and instant <= latest
        assert math.isfinite(reference - monotonic)
        assert instant == wall - timedelta(seconds=reference - monotonic)


@given(moments, readings, moments, readings)
def test_a_correction_is_refused_only_for_the_checks(recorded_at, monotonic, wall, reference):
    """With the latest instant far ahead, what decides is the year: before 2000 or past Python's
    datetimes is uncorrectable, anything else is corrected."""
    latest = datetime(2100, 12, 31, tzinfo=UTC)
    instant, basis = corrected_time(row(recorded_at, monotonic), wall, reference, latest)
    try:
        expected = wall - timedelta(seconds=reference - monotonic)
    except OverflowError:
        assert basis == UNCORRECTABLE
        return
    assert basis == (CORRECTED if EARLIEST_YEAR <= expected.year and expected <= latest else UNCORRECTABLE)


@given(moments, moments, readings, st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_rows_keep_their_order_on_the_monotonic_clock(recorded_at, wall, reference, back_a, back_b):
    """Two rows of one boot are placed in the order they were recorded, and as far apart."""
    latest = wall
    a = corrected_time(row(recorded_at, reference - back_a), wall, reference, latest)
    b = corrected_time(row(recorded_at, reference - back_b), wall, reference, latest)
    assume(a[1] == b[1] == CORRECTED and abs(back_a - back_b) > 1e-4)  # apart by more than a reading's rounding
    assert (a[0] <= b[0]) == (back_a >= back_b)
    assert abs((b[0] - a[0]).total_seconds() - (back_a - back_b)) < 1e-5


@given(moments, readings, st.integers(min_value=-10**6, max_value=10**6))
def test_the_latest_instant_is_allowed_and_a_microsecond_past_it_is_not(wall, reference, microseconds):
    recorded_at = datetime(2025, 12, 29, tzinfo=UTC)
    here = row(recorded_at, reference)  # read at the reference itself: placed exactly at its wall time
    latest = wall + timedelta(microseconds=microseconds)
    expected = (wall, CORRECTED) if microseconds >= 0 else (recorded_at, UNCORRECTABLE)
    assert corrected_time(here, wall, reference, latest) == expected


def test_the_year_2000_is_the_earliest_instant():
    recorded_at = datetime(2025, 12, 29, tzinfo=UTC)
    wall, latest = datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC)
    assert corrected_time(row(recorded_at, 1000.0), wall, 1001.0, latest) == (datetime(2000, 1, 1, tzinfo=UTC),
                                                                                 CORRECTED)
    assert corrected_time(row(recorded_at, 1000.0), wall, 1001.000001, latest) == (recorded_at, UNCORRECTABLE)
