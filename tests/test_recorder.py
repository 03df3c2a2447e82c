"""The one recorder: validation, the gap-free sequence, append-only rows and both filters."""

from datetime import datetime, timedelta, timezone

import peewee
import pytest

from kiosk.errors import ConflictError, NotFoundError, StaleQuestionError, ValidationError
from kiosk.storage.db import connection
from kiosk.storage.models import Boot, Followup, Outbox, Rating
from tests.helpers.kiosk_db import stored_ratings

HELSINKI_HOURS = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_a_rating_is_stored_with_everything_central_needs(kiosk, clock):
    recorded = kiosk.recorder.record(4, "touch")
    (row,) = stored_ratings()
    assert row.id == recorded.id and row.seq == 1
    assert (row.rating, row.source, row.filtered) == (4, "touch", None)
    assert row.kiosk_id == kiosk.kiosk_id
    assert (row.question_id, row.question_version) == ("service", 1)
    assert row.recorded_at == clock.now()
    assert row.clock_trusted is True
    assert (row.boot_id, row.monotonic) == (clock.boot_id(), clock.monotonic())
    with connection():
        assert [(o.kind, o.item_id) for o in Outbox.select()] == [("rating", recorded.id)]


def test_sequence_is_gap_free_and_ids_unique(kiosk, clock):
    for n in range(50):
        clock.advance(5)
        kiosk.recorder.record(n % 4 + 1, "button")
    rows = stored_ratings()
    assert [r.seq for r in rows] == list(range(1, 51))
    assert len({r.id for r in rows}) == 50


@pytest.mark.parametrize("rating", [0, 5, -1, "3", 3.0, True, None, [3]])
def test_malformed_ratings_are_refused_and_nothing_stored(kiosk, rating):
    with pytest.raises(ValidationError):
        kiosk.recorder.record(rating, "touch")
    assert stored_ratings() == []


def test_unknown_source_is_refused(kiosk):
    with pytest.raises(ValidationError):
        kiosk.recorder.record(3, "voice")
    assert stored_ratings() == []


def test_stale_question_version_is_refused(kiosk):
    with pytest.raises(StaleQuestionError):
        kiosk.recorder.record(3, "touch", question_version=2)
    kiosk.recorder.record(3, "touch", question_version=1)
    assert len(stored_ratings()) == 1


def test_ratings_and_followups_are_append_only(kiosk):
    recorded = kiosk.recorder.record(2, "touch")
    kiosk.recorder.record_followup(recorded.id, "waiting")
    with connection():
        with pytest.raises(peewee.IntegrityError, match="append-only"):
            Rating.update(rating=4).where(Rating.id == recorded.id).execute()
        with pytest.raises(peewee.IntegrityError, match="append-only"):
            Followup.update(comment="changed").execute()
        with pytest.raises(peewee.IntegrityError, match="never deleted"):
            Rating.delete().where(Rating.id == recorded.id).execute()
    assert stored_ratings()[0].rating == 2


# --- repeat presses -------------------------------------------------------


def test_press_within_interval_on_any_button_is_flagged_repeat(kiosk, clock):
    first = kiosk.recorder.record(1, "button")
    clock.advance(2.9)
    second = kiosk.recorder.record(4, "touch")
    clock.advance(2.9)
    third = kiosk.recorder.record(4, "button")  # measured from the previous stored press
    clock.advance(3.0)
    fourth = kiosk.recorder.record(3, "button")
    assert [first.filtered, second.filtered, third.filtered, fourth.filtered] == [None, "repeat", "repeat", None]
    assert len(stored_ratings()) == 4  # filters never delete


def test_ntp_jump_can_neither_fake_nor_hide_a_repeat(kiosk, clock):
    kiosk.recorder.record(3, "touch")
    clock.advance(1)
    clock.set_wall(clock.now() + timedelta(hours=5))  # wall jumps forward: still a repeat
    assert kiosk.recorder.record(3, "touch").filtered == "repeat"
    clock.advance(10)
    clock.set_wall(clock.now() - timedelta(hours=9))  # wall jumps back: still no repeat
    assert kiosk.recorder.record(3, "touch").filtered is None


def test_monotonic_readings_of_another_boot_are_not_compared(kiosk, clock):
    kiosk.recorder.record(3, "touch")
    clock.reboot("second-boot", monotonic=clock.monotonic() + 1)
    assert kiosk.recorder.record(3, "touch").filtered is None


def test_press_interval_comes_from_config(make_app, clock):
    kiosk = make_app(press_interval=10).extensions["hymy"]
    kiosk.recorder.record(3, "touch")
    clock.advance(9)
    assert kiosk.recorder.record(3, "touch").filtered == "repeat"


# --- opening hours ----------------------------------------------------------


def hours_kiosk(make_app, clock, hours=HELSINKI_HOURS, **config):
    return make_app(clock=clock, opening_hours=hours, press_interval=0, **config).extensions["hymy"]


def at(clock, *utc):
    """A later customer: monotonic time moves on, the wall clock reads *utc*."""
    clock.advance(60)
    clock.set_wall(datetime(*utc, tzinfo=timezone.utc))


def test_presses_outside_opening_hours_are_flagged_closed(make_app, clock):
    kiosk = hours_kiosk(make_app, clock)
    at(clock, 2026, 1, 5, 5, 59)  # 07:59 in Helsinki (EET, UTC+2)
    assert kiosk.recorder.record(3, "touch").filtered == "closed"
    at(clock, 2026, 1, 5, 6, 0)  # 08:00
    assert kiosk.recorder.record(3, "touch").filtered is None
    at(clock, 2026, 1, 5, 17, 59)  # 19:59
    assert kiosk.recorder.record(3, "touch").filtered is None
    at(clock, 2026, 1, 5, 18, 0)  # 20:00
    assert kiosk.recorder.record(3, "touch").filtered == "closed"


def test_untrusted_clock_defers_the_decision_to_central(make_app, clock):
    kiosk = hours_kiosk(make_app, clock)
    clock.set_trusted(False)
    at(clock, 2026, 1, 5, 3, 0)  # 05:00 locally, but the clock cannot be believed
    assert kiosk.recorder.record(3, "touch").filtered == "unverified"
    at(clock, 2026, 1, 5, 10, 0)
    assert kiosk.recorder.record(3, "touch").filtered == "unverified"


def test_untrusted_clock_with_no_hours_configured_is_simply_counted(kiosk, clock):
    clock.set_trusted(False)
    assert kiosk.recorder.record(3, "touch").filtered is None


@pytest.mark.parametrize(
    "utc, expected",
    [
        # Spring forward, Sunday 29 March 2026: 03:00 EET becomes 04:00 EEST (UTC+3).
        ((2026, 3, 29, 4, 59), "closed"),  # 07:59 EEST (a fixed +2 would say 06:59)
        ((2026, 3, 29, 5, 0), None),  # 08:00 EEST (a fixed +2 would say closed)
        ((2026, 3, 29, 16, 59), None),  # 19:59 EEST
        ((2026, 3, 29, 17, 0), "closed"),  # 20:00 EEST (a fixed +2 would say open)
        # Fall back, Sunday 25 October 2026: 04:00 EEST becomes 03:00 EET (UTC+2).
        ((2026, 10, 25, 5, 30), "closed"),  # 07:30 EET (a fixed +3 would say open)
        ((2026, 10, 25, 6, 0), None),  # 08:00 EET
        ((2026, 10, 25, 17, 59), None),  # 19:59 EET
        ((2026, 10, 25, 18, 0), "closed"),  # 20:00 EET
    ],
)
def test_opening_hours_follow_local_time_on_dst_change_days(make_app, clock, utc, expected):
    kiosk = hours_kiosk(make_app, clock)
    at(clock, *utc)
    assert kiosk.recorder.record(3, "touch").filtered == expected


def test_span_past_midnight_and_closed_days(make_app, clock):
    kiosk = hours_kiosk(make_app, clock, hours={"fri": ["22:00-02:00"]})
    at(clock, 2026, 1, 9, 21, 0)  # Friday 23:00 local
    assert kiosk.recorder.record(3, "touch").filtered is None
    at(clock, 2026, 1, 9, 23, 30)  # Saturday 01:30 local
    assert kiosk.recorder.record(3, "touch").filtered is None
    at(clock, 2026, 1, 10, 0, 30)  # Saturday 02:30 local
    assert kiosk.recorder.record(3, "touch").filtered == "closed"
    at(clock, 2026, 1, 5, 21, 0)  # Monday 23:00: Monday is not listed, so closed
    assert kiosk.recorder.record(3, "touch").filtered == "closed"


def test_repeat_takes_precedence_over_closed(make_app, clock):
    kiosk = make_app(opening_hours={"mon": ["08:00-09:00"]}).extensions["hymy"]
    at(clock, 2026, 1, 5, 12, 0)
    assert kiosk.recorder.record(3, "touch").filtered == "closed"
    clock.advance(1)
    assert kiosk.recorder.record(3, "touch").filtered == "repeat"


# --- follow-ups --------------------------------------------------------------


def test_followup_is_its_own_row_pointing_at_its_rating(kiosk):
    recorded = kiosk.recorder.record(1, "button")
    followup_id = kiosk.recorder.record_followup(recorded.id, "waiting", "  Jono   oli pitkä  ")
    with connection():
        followup = Followup.get_by_id(followup_id)
        assert followup.rating_id == recorded.id
        assert (followup.reason, followup.reason_group, followup.comment) == (
            "waiting",
            "accessibility",
            "Jono oli pitkä",
        )
        assert Outbox.select().where(Outbox.item_id == followup_id).exists()


def test_second_followup_conflicts_and_unknown_rating_is_not_found(kiosk):
    recorded = kiosk.recorder.record(1, "button")
    kiosk.recorder.record_followup(recorded.id, "staff")
    with pytest.raises(ConflictError):
        kiosk.recorder.record_followup(recorded.id, "waiting")
    with pytest.raises(NotFoundError):
        kiosk.recorder.record_followup("00000000-0000-4000-8000-000000000000", "staff")


@pytest.mark.parametrize(
    "reason, comment",
    [("nope", None), (None, None), (3, None), ("staff", "x" * 501), ("staff", 42)],
)
def test_bad_followups_are_refused(kiosk, reason, comment):
    recorded = kiosk.recorder.record(1, "button")
    with pytest.raises(ValidationError):
        kiosk.recorder.record_followup(recorded.id, reason, comment)
    with connection():
        assert Followup.select().count() == 0


def test_reasons_dropped_by_config_are_refused(make_app):
    kiosk = make_app(reasons=["waiting", "staff"]).extensions["hymy"]
    recorded = kiosk.recorder.record(1, "button")
    with pytest.raises(ValidationError):
        kiosk.recorder.record_followup(recorded.id, "premises")
    kiosk.recorder.record_followup(recorded.id, "staff")


def test_each_boot_keeps_its_first_trusted_reading(kiosk, clock):
    clock.set_trusted(False)
    kiosk.recorder.record(3, "touch")
    clock.advance(30)
    clock.set_trusted(True)
    first_trusted = (clock.now(), clock.monotonic())
    kiosk.recorder.record(3, "touch")
    clock.advance(30)
    kiosk.recorder.record(3, "touch")
    with connection():
        boot = Boot.get_by_id(clock.boot_id())
    assert (boot.trusted_wall, boot.trusted_monotonic) == first_trusted
