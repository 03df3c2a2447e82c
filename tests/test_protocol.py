"""The wire protocol is the one definition of a valid row: what the kiosk
emits passes it, and its checks hold for any input Hypothesis can make."""
import string
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from kiosk.storage.db import connection
from kiosk.storage.outbox import build_batch
from sync.wire.protocol import (
    ENVELOPE_LISTS,
    FOLLOWUP_FIELDS,
    RATING_FIELDS,
    RowError,
    check_envelope,
    check_row,
    format_time,
    parse_time,
    text_problem,
)

FORBIDDEN_IN_LINE = [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ud800", "\udfff"]
ALLOWED_IN_COMMENT = ("\n", "\t")


def test_a_batch_the_kiosk_builds_passes_the_protocol(kiosk, clock):
    for rating in (1, 2, 3, 4):
        clock.advance(10)
        recorded = kiosk.recorder.record(rating, "touch")
        kiosk.recorder.record_followup(recorded.id, "waiting", "Jono\tpitkä\nkassalla")
    with connection():
        batch = build_batch(kiosk.kiosk_id, clock, 100, kiosk.content_store.current()).document
    clean = check_envelope(batch)
    assert len(clean["ratings"]) == 4 and len(clean["followups"]) == 4
    for name, (fields, _) in ENVELOPE_LISTS.items():
        for row in batch[name]:
            assert check_row(row, fields)
    assert set(batch["ratings"][0]) == set(RATING_FIELDS)
    assert set(batch["followups"][0]) == set(FOLLOWUP_FIELDS)


@given(st.text(alphabet=st.characters(blacklist_characters=FORBIDDEN_IN_LINE, blacklist_categories=("Cs",))))
def test_text_without_forbidden_characters_passes(value):
    assert text_problem(value) is None
    assert text_problem(value, multiline=True) is None


@given(st.text(), st.sampled_from(FORBIDDEN_IN_LINE), st.text())
def test_one_forbidden_character_anywhere_is_named(before, bad, after):
    value = before + bad + after
    assert text_problem(value) is not None
    if bad in ALLOWED_IN_COMMENT:
        return
    problem = text_problem(value, multiline=True)
    assert problem is not None and ("NUL" in problem or "U+" in problem)


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.just(timezone.utc)))
def test_a_formatted_time_parses_back_to_the_same_moment(moment):
    assert parse_time(format_time(moment)) == moment


@given(st.integers(min_value=-700_000, max_value=2_900_000), st.sampled_from(["Z", "+02:00", "-05:30"]))
def test_times_outside_2000_to_2100_as_written_are_refused(days, offset):
    moment = datetime(2050, 6, 1, tzinfo=timezone.utc) + timedelta(days=days)
    text = f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S") + offset
    if 2000 <= moment.year <= 2100:
        assert parse_time(text).tzinfo is timezone.utc
    else:
        try:
            parse_time(text)
        except RowError:
            return
        raise AssertionError(f"{text} accepted")


@given(st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=12), st.integers()))
def test_unknown_fields_are_named_not_a_crash(extra):
    row = {name: None for name in RATING_FIELDS} | extra
    try:
        check_row(row, RATING_FIELDS)
    except RowError as error:
        assert str(error)
    else:
        raise AssertionError("a row of nulls passed")
