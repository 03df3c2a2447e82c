"""Central proves by the kiosk's sequence numbers that nothing is missing."""
from tests.helpers.batches import batch, rating_row


def test_a_gap_is_reported_and_closes_when_the_missing_batch_arrives(central):
    token, device = central.enrolled_kiosk()
    rows = {seq: rating_row(seq) for seq in range(1, 9)}

    first = central.post_batch(token, batch(device, [rows[s] for s in (1, 2, 3)])).json()
    assert first["sequence"] == {"contiguous": 3, "highest": 3, "gaps": []}

    gapped = central.post_batch(token, batch(device, [rows[s] for s in (6, 8)])).json()
    assert gapped["sequence"] == {"contiguous": 3, "highest": 8, "gaps": [[4, 5], [7, 7]]}

    partly = central.post_batch(token, batch(device, [rows[s] for s in (4, 5)])).json()
    assert partly["sequence"] == {"contiguous": 6, "highest": 8, "gaps": [[7, 7]]}

    closed = central.post_batch(token, batch(device, [rows[7]])).json()
    assert closed["sequence"] == {"contiguous": 8, "highest": 8, "gaps": []}
    assert central.query(lambda m: (m.Kiosk.get().seq_contiguous, m.Kiosk.get().seq_highest)) == (8, 8)


def test_each_kiosk_has_its_own_sequence(central):
    token_a, device_a = central.enrolled_kiosk("kamppi-1")
    token_b, device_b = central.enrolled_kiosk("kamppi-2")
    central.post_batch(token_a, batch(device_a, [rating_row(s) for s in (1, 2, 3, 4)]))
    answer = central.post_batch(token_b, batch(device_b, [rating_row(2)])).json()
    assert answer["sequence"] == {"contiguous": 0, "highest": 2, "gaps": [[1, 1]]}


def test_a_batch_of_only_rejected_rows_still_answers_with_the_sequence(central):
    token, device = central.enrolled_kiosk()
    central.post_batch(token, batch(device, [rating_row(1), rating_row(2)]))
    answer = central.post_batch(token, batch(device, [rating_row(3, rating=7)])).json()
    assert answer["sequence"] == {"contiguous": 2, "highest": 2, "gaps": []}
