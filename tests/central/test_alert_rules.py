"""The alert conditions and their episodes, on the figures' own counts and real opening hours."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.central.alerts.rules import Thresholds, next_step, open_minutes_since, silent_breach, unhappy_breach
from sync.wire.figures import Counts
from sync.wire.hours import OpeningHours

HELSINKI = ZoneInfo("Europe/Helsinki")
HOURS = OpeningHours.parse({day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri")}, HELSINKI)
DEFAULTS = Thresholds()


def at(day, hour, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=HELSINKI).astimezone(timezone.utc)


@pytest.mark.parametrize(("faces", "fires"), [
    ((1, 2, 1, 0), True),  # 3 of 4 unhappy: 75 % > 50 %
    ((1, 1, 1, 1), False),  # exactly 50 % is not above it
    ((2, 1, 0, 0), False),  # 100 % unhappy but only 3 responses
    ((0, 0, 0, 0), False),
    ((3, 0, 2, 0), True),
])
def test_the_unhappy_share_fires_above_the_threshold_with_enough_responses(faces, fires):
    assert unhappy_breach(Counts(faces=faces), DEFAULTS) is fires


def test_a_stricter_rule_uses_its_own_numbers():
    rule = Thresholds(unhappy_share=20, min_responses=10)
    assert not unhappy_breach(Counts(faces=(3, 0, 6, 0)), rule)  # 9 responses
    assert unhappy_breach(Counts(faces=(3, 0, 7, 0)), rule)  # 30 % of 10


def test_a_kiosk_silent_for_an_hour_of_opening_time_is_flagged():
    assert not silent_breach(at(5, 9, 0), at(5, 10, 0), HOURS, DEFAULTS)  # exactly 60 minutes
    assert silent_breach(at(5, 9, 0), at(5, 10, 1), HOURS, DEFAULTS)


def test_closed_hours_do_not_count_as_silence():
    # Last heard at 19:30 on Monday; by 08:30 on Tuesday only 60 open minutes have passed.
    assert not silent_breach(at(5, 19, 30), at(6, 8, 30), HOURS, DEFAULTS)
    assert silent_breach(at(5, 19, 30), at(6, 8, 31), HOURS, DEFAULTS)
    # A whole weekend closed: Friday 19:59 to Monday 07:59 is no silence at all.
    assert not silent_breach(at(9, 19, 59), at(12, 7, 59), HOURS, DEFAULTS)


def test_a_kiosk_that_never_reported_is_not_silent():
    assert not silent_breach(None, at(5, 12), HOURS, DEFAULTS)


@given(st.integers(0, 3000), st.integers(1, 200))
def test_open_minutes_never_exceed_the_minutes_passed_or_the_limit(minutes, enough):
    end = at(7, 12)
    counted = open_minutes_since(end - timedelta(minutes=minutes), end, HOURS, enough)
    assert 0 <= counted <= min(minutes, enough)


def test_one_message_per_episode_and_re_armed_after_it():
    firing, sent = False, []
    for breaching in (False, True, True, True, False, False, True, True, False):
        step = next_step(firing, breaching)
        sent.append(step.send)
        firing = step.firing
    assert sent == [False, True, False, False, False, False, True, False, False]
