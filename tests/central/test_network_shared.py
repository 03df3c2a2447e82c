"""The per-site counts every kiosk's network document shares are computed once and reused for a few
minutes, and never after a rollup write: a new batch shows in the next document at once."""

from datetime import timedelta

from sync.central.reports import network
from tests.helpers.batches import batch, rating_row
from tests.helpers.central import RECEIVE_TIME


def _send(central, token, device_id, first_seq, count):
    rows = [rating_row(first_seq + n, recorded_at=RECEIVE_TIME - timedelta(minutes=30 - n), monotonic=float(n + 1),
                       rating=4) for n in range(count)]
    answer = central.post_batch(token, batch(device_id, rows, sent_at=RECEIVE_TIME, monotonic=100.0))
    assert answer.status_code == 200, answer.text


def _counted_7d(central, token):
    answer = central.request("GET", "/api/v1/network", token)
    assert answer.status_code == 200, answer.text
    return answer.json()["periods"]["7d"]["site"]["counted"]


def test_a_new_batch_shows_at_once_and_other_kiosks_reuse_the_counts(central, monkeypatch):
    central.add_site("Kamppi", "Europe/Helsinki")
    first = central.enrolled_kiosk("kamppi-1", site="Kamppi")
    second = central.enrolled_kiosk("kamppi-2", site="Kamppi")
    _send(central, *first, 1, 5)
    assert _counted_7d(central, first[0]) == 5
    _send(central, *first, 6, 3)
    assert _counted_7d(central, first[0]) == 8  # the write ended the reuse

    asked = []
    real = network.day_counts
    monkeypatch.setattr(network, "day_counts", lambda *args, **kwargs: asked.append(args) or real(*args, **kwargs))
    assert _counted_7d(central, second[0]) == 8
    assert asked == []  # the same service's counts, shared with the first kiosk's document
    central.clock.advance(network.SHARED_FOR.total_seconds() + 1)
    assert _counted_7d(central, second[0]) == 8
    assert len(asked) == 6  # computed again after SHARED_FOR: three periods, all sites and the service
