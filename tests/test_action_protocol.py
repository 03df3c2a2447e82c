"""The protocol's action checks and chain rule, with cases drawn by Hypothesis: whatever a body holds,
the check answers with the document or one RowError naming a field, never another exception; a
well-formed action passes as it is; every chain of edits ends at a row nothing supersedes. Whatever
a form posts, it is read without an exception, and a refusal is told by the field the person filled."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from sync.wire import action_form
from sync.wire.protocol import ACTION_FIELDS, RowError, chains, check_row

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=4), max_leaves=12)
TARGETS = st.one_of(
    st.just({"kind": "site"}),
    st.builds(lambda days, first, length: {"kind": "hours", "weekdays": sorted(days), "from_hour": first,
                                           "to_hour": min(24, first + length)},
              st.sets(st.integers(1, 7), min_size=1), st.integers(0, 23), st.integers(1, 24)),
    st.builds(lambda key: {"kind": "reason", "reason": key}, st.sampled_from(["waiting", "staff", "outcome"])),
)


def _action(**fields):
    action = {"id": str(uuid.uuid4()), "kiosk_id": None, "title": "Toinen kassa", "note": None,
              "started_on": "2026-01-05", "target": {"kind": "site"}, "supersedes": None, "withdrawn": False,
              "recorded_at": "2026-01-05T10:00:00.000000Z"}
    action.update(fields)
    return action


@given(st.sampled_from(sorted(ACTION_FIELDS)), JSON)
def test_any_value_in_any_field_is_the_action_or_one_row_error(field, value):
    try:
        check_row(_action(**{field: value}), ACTION_FIELDS)
    except RowError as error:
        assert str(error).splitlines() == [str(error)] and str(error)


@given(TARGETS, st.text(min_size=1, max_size=80).filter(str.strip), st.dates())
def test_a_well_formed_action_passes_with_its_target(target, title, day):
    document = _action(target=target, title=title, started_on=day.isoformat())
    try:
        checked = check_row(document, ACTION_FIELDS)
    except RowError as error:  # the text rule refuses control and direction characters, or the day's range
        assert any(name in str(error) for name in ("title", "started_on")), error
        return
    assert {key: checked["target"].get(key) for key in target} == target


@given(st.integers(1, 30), st.data())
def test_every_chain_ends_at_a_row_nothing_supersedes(size, data):
    ids = [str(n) for n in range(size)]
    links = [(row_id, data.draw(st.sampled_from([None, *ids[:index]]))) for index, row_id in enumerate(ids)]
    found = chains(links)
    superseded = {earlier for _, earlier in links if earlier}
    assert sorted(latest for latest, _ in found) == sorted(set(ids) - superseded)
    parents = dict(links)
    for latest, first in found:
        assert parents[first] is None  # followed back to where it started
        row = latest
        while row != first:
            row = parents[row]


FORM_TEXT = st.text(max_size=90) | st.sampled_from(["", "11", "١١", "-1", "24", " 7", "0x1", "2026-02-30"])
FORMS = st.fixed_dictionaries({}, optional={
    "title": FORM_TEXT, "note": FORM_TEXT, "started_on": FORM_TEXT, "reason": FORM_TEXT,
    "kind": st.sampled_from(["site", "hours", "reason", "moon", ""]), "from_hour": FORM_TEXT, "to_hour": FORM_TEXT,
    "weekday": st.lists(FORM_TEXT, max_size=9)})


class Posted(dict):
    """A posted form as werkzeug's MultiDict answers: one value, or every value of a repeated field."""

    def get(self, key, default=None):
        value = super().get(key, default)
        return value[0] if isinstance(value, list) and value else value

    def getlist(self, key):
        value = super().get(key, [])
        return value if isinstance(value, list) else [value]


@given(FORMS)
def test_any_posted_form_is_an_action_or_a_refusal_naming_what_the_person_filled(form):
    filled = action_form.from_form(Posted(form))
    action = _action(**filled)
    try:
        check_row(action, ACTION_FIELDS)
    except RowError as error:
        message, values = action_form.refusal(error, action)
        assert error.path and error.path[0] in ("title", "note", "started_on", "target"), error.path
        assert message != action_form.refusal(RowError("x"), action)[0]  # never "the form could not be read"
        assert message % values
