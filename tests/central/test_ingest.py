"""POST /api/v1/batches: every row kept once, conflicts kept apart, bad rows named."""

import pytest

from tests.helpers.batches import batch, followup_row, kiosk_batch, rating_row


@pytest.fixture
def kiosk(make_app):
    """A real kiosk (its own database, recorder and outbox) on a trusted clock."""
    return make_app().extensions["hymy"]


def enroll_real_kiosk(central, kiosk):
    token, _ = central.enrolled_kiosk(device_id=kiosk.kiosk_id)
    return token


def test_a_kiosks_ratings_and_followups_are_stored_once(central, kiosk):
    token = enroll_real_kiosk(central, kiosk)
    ratings = [kiosk.recorder.record(face, "button") for face in (4, 1, 3)]
    kiosk.clock.advance(5)
    followup_id = kiosk.recorder.record_followup(ratings[1].id, "waiting", "Twenty minutes in the queue")
    document = kiosk_batch(kiosk)

    answer = central.post_batch(token, document).json()

    assert answer["accepted"] == 4 and answer["duplicates"] == 0
    assert answer["conflicts"] == [] and answer["rejected"] == []
    assert sorted(answer["stored"]) == sorted([r.id for r in ratings] + [followup_id])
    assert answer["sequence"] == {"contiguous": 3, "highest": 3, "gaps": []}
    assert central.count("Rating") == 3 and central.count("Followup") == 1
    stored = central.query(lambda m: {r.id: r.rating for r in m.Rating.select()})
    assert stored == {r.id: r.rating for r in ratings}


def test_a_gzip_batch_is_stored_like_a_plain_one(central, kiosk):
    token = enroll_real_kiosk(central, kiosk)
    kiosk.recorder.record(2, "touch")
    answer = central.post_batch(token, kiosk_batch(kiosk), gzip_body=True).json()
    assert answer["accepted"] == 1 and central.count("Rating") == 1


def test_resending_the_same_batch_stores_nothing_new(central, kiosk):
    token = enroll_real_kiosk(central, kiosk)
    rating = kiosk.recorder.record(4, "button")
    kiosk.recorder.record_followup(rating.id, "staff", "Lovely")
    document = kiosk_batch(kiosk)
    first = central.post_batch(token, document).json()

    again = central.post_batch(token, document).json()

    assert again["accepted"] == 0 and again["duplicates"] == 2
    assert sorted(again["stored"]) == sorted(first["stored"])
    assert again["conflicts"] == [] and again["rejected"] == []
    assert central.count("Rating") == 1 and central.count("Followup") == 1


def test_the_same_uuid_with_other_content_is_a_conflict_and_never_overwrites(central):
    token, device = central.enrolled_kiosk()
    original = rating_row(1, rating=4)
    central.post_batch(token, batch(device, [original]))

    changed = dict(original, rating=1, source="touch")
    answer = central.post_batch(token, batch(device, [changed])).json()

    assert answer["accepted"] == 0 and answer["duplicates"] == 0
    assert answer["conflicts"] == [{"kind": "rating", "id": original["id"], "fields": ["rating", "source"]}]
    assert original["id"] not in answer["stored"]
    held = central.query(lambda m: m.Rating.get_by_id(original["id"]))
    assert (held.rating, held.source) == (4, "button")
    conflicts = central.query(lambda m: list(m.Conflict.select().dicts()))
    assert [(c["item_id"], c["kind"], c["fields"]) for c in conflicts] == [
        (original["id"], "rating", ["rating", "source"])
    ]


def test_a_new_rating_reusing_a_held_sequence_number_is_a_conflict(central):
    token, device = central.enrolled_kiosk()
    first = rating_row(1)
    central.post_batch(token, batch(device, [first]))
    impostor = rating_row(1)
    answer = central.post_batch(token, batch(device, [impostor])).json()
    assert answer["conflicts"] == [{"kind": "rating", "id": impostor["id"], "fields": ["seq"]}]
    assert central.count("Rating") == 1 and central.count("Conflict") == 1


def test_a_batch_mixing_good_and_bad_rows_stores_the_good_and_names_the_bad(central):
    token, device = central.enrolled_kiosk()
    good = [rating_row(1), rating_row(2, rating=1)]
    seven = rating_row(3, rating=7)
    wrong_type = dict(rating_row(4), monotonic="soon")
    answer = central.post_batch(token, batch(device, [good[0], seven, good[1], wrong_type])).json()

    assert answer["accepted"] == 2 and sorted(answer["stored"]) == sorted(r["id"] for r in good)
    rejected = {r["id"]: r["error"] for r in answer["rejected"]}
    assert set(rejected) == {seven["id"], wrong_type["id"]}
    assert rejected[seven["id"]].startswith("rating:")
    assert rejected[wrong_type["id"]].startswith("monotonic:")
    assert central.count("Rating") == 2


def test_followup_redelivered_is_a_duplicate_and_changed_is_a_conflict(central):
    token, device = central.enrolled_kiosk()
    rating = rating_row(1, rating=2)
    followup = followup_row(rating, reason="waiting", reason_group="accessibility", comment="Slow")
    central.post_batch(token, batch(device, [rating], [followup]))

    again = central.post_batch(token, batch(device, [], [followup])).json()
    assert again["duplicates"] == 1 and again["stored"] == [followup["id"]]

    changed = dict(followup, comment="Actually fine")
    answer = central.post_batch(token, batch(device, [], [changed])).json()
    assert answer["conflicts"] == [{"kind": "followup", "id": followup["id"], "fields": ["comment"]}]
    assert central.query(lambda m: m.Followup.get_by_id(followup["id"]).comment) == "Slow"


def test_a_second_followup_for_one_rating_is_a_conflict(central):
    token, device = central.enrolled_kiosk()
    rating = rating_row(1, rating=2)
    central.post_batch(token, batch(device, [rating], [followup_row(rating)]))
    other = followup_row(rating, reason="outcome", reason_group="outcome")
    answer = central.post_batch(token, batch(device, [], [other])).json()
    assert answer["conflicts"] == [{"kind": "followup", "id": other["id"], "fields": ["rating_id"]}]
    assert central.count("Followup") == 1


def test_a_followup_for_a_rating_central_does_not_hold_is_rejected(central):
    token, device = central.enrolled_kiosk()
    absent = rating_row(1)
    followup = followup_row(absent)
    answer = central.post_batch(token, batch(device, [], [followup])).json()
    assert [(r["kind"], r["id"]) for r in answer["rejected"]] == [("followup", followup["id"])]
    assert "rating_id" in answer["rejected"][0]["error"]
    assert central.count("Followup") == 0


def test_a_followup_with_a_reason_central_never_published_is_kept_and_the_catalog_stays(central):
    """A kiosk's own reason is its data: kept as given, under its own group, whether or not the batch
    defines it; central's reason catalog, which every site's reports use, never takes it in."""
    token, device = central.enrolled_kiosk()
    rating = rating_row(1, rating=1)
    unknown = followup_row(rating, reason="parking", reason_group="accessibility")
    answer = central.post_batch(token, batch(device, [rating], [unknown])).json()
    assert answer["accepted"] == 2 and answer["rejected"] == []
    stored = central.query(lambda m: m.Followup.get_by_id(unknown["id"]))
    assert (stored.reason, stored.reason_group) == ("parking", "accessibility")

    second = rating_row(2, rating=2)
    defined = followup_row(second, reason="lounge music", reason_group="environment")
    answer = central.post_batch(token, batch(device, [second], [defined], reasons=[
        {"key": "lounge music", "group": "environment"}, {"key": "x" * 64, "group": "trust"}])).json()
    assert answer["accepted"] == 2 and answer["rejected"] == []
    catalog = central.query(lambda m: sorted(r.key for r in m.Reason.select()))
    assert "parking" not in catalog and "lounge music" not in catalog and "x" * 64 not in catalog
    assert len(catalog) == 9


def test_a_published_reason_in_another_group_is_rejected(central):
    token, device = central.enrolled_kiosk()
    rating = rating_row(1, rating=1)
    wrong = followup_row(rating, reason="waiting", reason_group="outcome")
    answer = central.post_batch(token, batch(device, [rating], [wrong])).json()
    assert [(r["id"], r["error"]) for r in answer["rejected"]] == [
        (wrong["id"], "reason_group: central's reason 'waiting' is in group 'accessibility'")]
    assert central.count("Followup") == 0


def test_a_redacted_comment_redelivered_is_a_duplicate_not_a_conflict(central):
    token, device = central.enrolled_kiosk()
    rating = rating_row(1, rating=1)
    followup = followup_row(rating, comment="Call me on 040 123 4567")
    document = batch(device, [rating], [followup])
    central.post_batch(token, document)
    central.ok("redact-comment", followup["id"])

    again = central.post_batch(token, document).json()

    assert again["duplicates"] == 2 and again["conflicts"] == []
    assert central.query(lambda m: m.Followup.get_by_id(followup["id"]).comment) is None


def test_rows_citing_a_question_version_defined_in_the_batch_are_accepted(central):
    token, device = central.enrolled_kiosk()
    rows = [rating_row(1, question_id="visit", question_version=3)]
    definition = {"id": "visit", "version": 3, "texts": {"en": "How was your visit?", "fi": "Miten käynti sujui?"}}
    answer = central.post_batch(token, batch(device, rows, questions=[definition])).json()
    assert answer["accepted"] == 1 and answer["rejected"] == []
    declared = central.query(lambda m: m.DeclaredQuestion.get(key="visit", version=3))
    assert declared.texts == definition["texts"] and declared.kiosk.uuid == device
    assert central.count("Question") == 1  # only the seeded, published one


def test_rows_citing_an_unknown_question_version_are_rejected(central):
    token, device = central.enrolled_kiosk()
    row = rating_row(1, question_id="service", question_version=9)
    answer = central.post_batch(token, batch(device, [row])).json()
    assert [r["id"] for r in answer["rejected"]] == [row["id"]]
    assert "question_version" in answer["rejected"][0]["error"]
    assert central.count("Rating") == 0


def test_a_used_question_version_keeps_centrals_text(central):
    token, device = central.enrolled_kiosk()
    seeded = central.query(lambda m: m.Question.get(key="service", version=1).texts)
    definition = {"id": "service", "version": 1, "texts": {"en": "Something else"}}
    answer = central.post_batch(token, batch(device, [rating_row(1)], questions=[definition])).json()
    assert answer["accepted"] == 1
    assert answer["conflicts"] == [{"kind": "question", "id": "service@1", "fields": ["texts"]}]
    assert central.query(lambda m: m.Question.get(key="service", version=1).texts) == seeded


def test_one_uuid_twice_in_a_batch_is_a_duplicate_when_identical_and_a_conflict_when_not(central):
    token, device = central.enrolled_kiosk()
    rating, twice = rating_row(1, rating=2), rating_row(2)
    followup = followup_row(rating, comment="Slow")
    document = batch(device, [rating, dict(rating, rating=4, source="touch"), twice, dict(twice)],
                     [followup, dict(followup, comment="Fast"), dict(followup)])

    answer = central.post_batch(token, document).json()

    assert answer["accepted"] == 3 and answer["duplicates"] == 2 and answer["rejected"] == []
    assert sorted(answer["stored"]) == sorted([rating["id"], twice["id"], followup["id"]])
    assert answer["conflicts"] == [{"kind": "rating", "id": rating["id"], "fields": ["rating", "source"]},
                                   {"kind": "followup", "id": followup["id"], "fields": ["comment"]}]
    # The first of each stands, and the conflicts are noted like any other.
    assert central.query(lambda m: m.Rating.get_by_id(rating["id"]).rating) == 2
    assert central.query(lambda m: m.Followup.get_by_id(followup["id"]).comment) == "Slow"
    noted = central.query(lambda m: sorted((c.kind, c.item_id, c.batch_id) for c in m.Conflict.select()))
    assert noted == sorted([("rating", rating["id"], document["batch_id"]),
                            ("followup", followup["id"], document["batch_id"])])
