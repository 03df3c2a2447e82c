"""Question versions are central's alone: what a kiosk declares is kept per kiosk, apart from what central publishes."""
from datetime import datetime, timezone

import pytest

from sync.wire.protocol import MAX_QUESTION_VERSION
from tests.helpers.batches import batch, kiosk_batch, rating_row

LOCAL = {"en": "How did we do today?"}


@pytest.fixture
def kiosk(central):
    return central.enrolled_kiosk()


def declaring(device, seq, version, texts=LOCAL, key="service"):
    """A batch with one rating citing *key*@*version* and the declaration of its texts."""
    row = rating_row(seq, question_id=key, question_version=version)
    return row, batch(device, [row], questions=[{"id": key, "version": version, "texts": texts}])


def published_versions(central, key="service"):
    return central.query(lambda m: [q.version for q in m.Question.select().where(
        (m.Question.key == key) & m.Question.published).order_by(m.Question.version)])


def test_a_kiosk_declaring_the_highest_version_cannot_push_up_the_next_published_one(central, kiosk, make_app):
    token, device = kiosk
    real = make_app().extensions["hymy"]  # a second kiosk, a real one, that applies central's config
    real_token, _ = central.enrolled_kiosk("kamppi-2", device_id=real.kiosk_id)
    row, attack = declaring(device, 1, MAX_QUESTION_VERSION)
    assert central.post_batch(token, attack).json()["stored"] == [row["id"]]  # its own rows stay labelled

    assert "is now version 2" in central.ok("set-question", "service", "--text", "en=How was it?")

    assert published_versions(central) == [1, 2]
    for kiosk_token in (token, real_token):
        question = central.request("GET", "/api/v1/config", kiosk_token).json()["question"]
        assert (question["version"], question["texts"]) == (2, {"en": "How was it?"})
    # The real kiosk takes version 2 (version 1000001 would have failed its own check) and its taps arrive.
    real.recorder.content_store.apply(central.request("GET", "/api/v1/config", real_token).json())
    tap = real.recorder.record(4, "touch")
    document = kiosk_batch(real)
    assert [(r["question_id"], r["question_version"]) for r in document["ratings"]] == [("service", 2)]
    assert central.post_batch(real_token, document).json()["stored"] == [tap.id]
    after = rating_row(2, question_version=2)
    assert central.post_batch(token, batch(device, [after])).json()["stored"] == [after["id"]]
    assert central.count("Rating") == 3


def test_one_kiosks_declared_version_is_not_valid_for_another_kiosks_rows(central, kiosk):
    token, device = kiosk
    other_token, other_device = central.enrolled_kiosk("kamppi-2")
    _, own = declaring(device, 1, 7)
    assert central.post_batch(token, own).json()["accepted"] == 1

    borrowed = rating_row(1, question_version=7)
    answer = central.post_batch(other_token, batch(other_device, [borrowed])).json()

    assert answer["stored"] == [] and [r["id"] for r in answer["rejected"]] == [borrowed["id"]]
    assert answer["rejected"][0]["error"].startswith("question_version:")
    # The first kiosk's later rows may cite it without declaring it again.
    again = rating_row(2, question_version=7)
    assert central.post_batch(token, batch(device, [again])).json()["stored"] == [again["id"]]


def test_two_kiosks_may_declare_one_number_with_different_texts(central, kiosk):
    token, device = kiosk
    other_token, other_device = central.enrolled_kiosk("kamppi-2")
    first = central.post_batch(token, declaring(device, 1, 4, {"en": "One"})[1]).json()
    second = central.post_batch(other_token, declaring(other_device, 1, 4, {"en": "Two"})[1]).json()
    assert first["conflicts"] == second["conflicts"] == []
    declared = central.query(lambda m: {(d.kiosk.name, d.version): d.texts for d in m.DeclaredQuestion.select()})
    assert declared == {("kamppi-1", 4): {"en": "One"}, ("kamppi-2", 4): {"en": "Two"}}
    assert published_versions(central) == [1]


def test_a_kiosk_redefining_its_own_declared_version_is_a_conflict_and_its_first_text_stands(central, kiosk):
    token, device = kiosk
    central.post_batch(token, declaring(device, 1, 3, {"en": "First"})[1])
    row, redefined = declaring(device, 2, 3, {"en": "Second"})

    answer = central.post_batch(token, redefined).json()

    assert answer["conflicts"] == [{"kind": "question", "id": "service@3", "fields": ["texts"]}]
    assert answer["stored"] == [row["id"]]  # the row it labels is still kept
    assert central.query(lambda m: m.DeclaredQuestion.get(version=3).texts) == {"en": "First"}


def test_declaring_a_published_number_with_other_texts_is_a_conflict_and_nothing_is_declared(central, kiosk):
    token, device = kiosk
    central.ok("set-question", "service", "--text", "en=Published two")
    row, clash = declaring(device, 1, 2, {"en": "Local two"})

    answer = central.post_batch(token, clash).json()

    assert answer["conflicts"] == [{"kind": "question", "id": "service@2", "fields": ["texts"]}]
    assert answer["stored"] == [row["id"]]
    assert central.count("DeclaredQuestion") == 0
    assert central.query(lambda m: m.Question.get(key="service", version=2).texts) == {"en": "Published two"}


def test_one_batch_declaring_a_number_twice_with_different_texts_is_a_conflict(central, kiosk):
    token, device = kiosk
    row = rating_row(1, question_version=5)
    twice = [{"id": "service", "version": 5, "texts": {"en": text}} for text in ("A", "B")]
    answer = central.post_batch(token, batch(device, [row], questions=twice)).json()
    assert answer["conflicts"] == [{"kind": "question", "id": "service@5", "fields": ["texts"]}]
    assert central.query(lambda m: m.DeclaredQuestion.get(version=5).texts) == {"en": "A"}


def test_set_question_refuses_a_number_beyond_what_kiosks_accept(central):
    central.query(lambda m: m.Question.create(key="visit", version=MAX_QUESTION_VERSION, texts={"en": "Last"},
                                              created_at=datetime(2025, 12, 1, tzinfo=timezone.utc)))
    result = central.cli("set-question", "visit", "--text", "en=One too many")
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and str(MAX_QUESTION_VERSION) in result.output
    assert central.query(lambda m: m.Question.select().where(m.Question.key == "visit").count()) == 1


@pytest.mark.parametrize("text", ["en=long\x00queue", "en=a\ud800b", "en=left\u202eright", "en=a\u2066b",
                                  "en=bell\x07", "en=c1\x85end", "e n=Hello", "=Hello", "en=", "en=" + "x" * 201],
                         ids=["nul", "surrogate", "rlo", "lri", "c0", "c1", "language-space", "no-language",
                              "empty", "too-long"])
def test_set_question_checks_its_texts_with_the_protocols_rule(central, text):
    result = central.cli("set-question", "service", "--text", text)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("hymy: question texts:")
    assert published_versions(central) == [1]


@pytest.mark.parametrize("key", ["ser\x00vice", "a\ud800", "x\u202e", "", "k" * 65])
def test_set_question_checks_its_key(central, key):
    result = central.cli("set-question", key, "--text", "en=Hello")
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("hymy: question key:")
    assert central.count("Question") == 1
