"""The figure formulas (sync/wire/figures.py): the same numbers on every screen (shown by sync/wire/display.py,
whose rules tests/test_figure_display.py checks)."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.wire.display import one_decimal, whole_percent
from sync.wire.figures import (
    Counts,
    drivers,
    followup_rate,
    happy_index,
    satisfaction,
    unhappy_share,
)


@pytest.mark.parametrize("face, index", [(1, 0.0), (2, 33.3), (3, 66.7), (4, 100.0)])
def test_the_happy_index_of_one_face(face, index):
    faces = tuple(10 if f == face else 0 for f in (1, 2, 3, 4))
    assert one_decimal(happy_index(Counts(faces))) == index


def test_satisfaction_counts_happy_and_very_happy_among_counted_only():
    counts = Counts((1, 1, 3, 3), filtered={"repeat": 50, "closed": 7, "unverified": 2}, followups=2)
    assert satisfaction(counts) == 75
    assert unhappy_share(counts) == 25
    assert followup_rate(counts) == 25
    assert counts.left_out("repeat") == 50 and counts.left_out("closed") == 7


def test_halves_round_up_on_every_screen():
    counts = Counts((7, 0, 1, 0))  # 1 of 8 happy: 12.5 %
    assert satisfaction(counts) == Fraction(25, 2)
    assert whole_percent(satisfaction(counts)) == 13
    assert whole_percent(Fraction(49, 2)) == 25 and whole_percent(Fraction(5, 2)) == 3
    assert one_decimal(Fraction(1, 4)) == 0.3  # 0.25 -> 0.3, not banker's 0.2


def test_too_few_counted_ratings_give_no_percentage():
    assert satisfaction(Counts((0, 0, 2, 2)), min_responses=5) is None
    assert happy_index(Counts((0, 0, 2, 2)), min_responses=5) is None
    assert whole_percent(satisfaction(Counts((0, 0, 2, 3)), min_responses=5)) == 100
    assert satisfaction(Counts(), min_responses=0) is None  # nothing counted is never a percentage
    assert followup_rate(Counts()) is None


def test_drivers_split_what_and_how():
    groups = {"outcome": "outcome", "waiting": "accessibility", "staff": "attitude"}
    found = drivers({"waiting": 5, "outcome": 2, "staff": 1, "gone": 4}, groups)
    assert found.total == 8
    assert list(found.by_reason) == ["waiting", "outcome", "staff"]
    assert found.by_dimension == {"technical": 2, "functional": 6}
    assert found.by_group == {"accessibility": 5, "outcome": 2, "attitude": 1}
    assert whole_percent(found.share(found.by_dimension["functional"])) == 75


face_counts = st.tuples(*[st.integers(0, 500)] * 4)


@given(face_counts, face_counts)
def test_counts_add_up_like_their_rows(left, right):
    total = Counts(left, {"repeat": 1}, 2, {"waiting": 1}) + Counts(right, {"repeat": 2, "closed": 1}, 3, {"staff": 2})
    assert total.faces == tuple(a + b for a, b in zip(left, right, strict=True))
    assert total.filtered == {"repeat": 3, "closed": 1} and total.followups == 5
    assert total.reasons == {"waiting": 1, "staff": 2}


@given(face_counts)
def test_figures_stay_within_their_scales(faces):
    counts = Counts(faces)
    if counts.counted >= 5:
        assert 0 <= satisfaction(counts) <= 100 and 0 <= happy_index(counts) <= 100
        assert 0 <= whole_percent(satisfaction(counts)) <= 100
        ratings = [r for r, n in zip((1, 2, 3, 4), faces, strict=True) for _ in range(n)]
        assert happy_index(counts) == Fraction(100 * sum(r - 1 for r in ratings), 3 * len(ratings))
    else:
        assert satisfaction(counts) is None
