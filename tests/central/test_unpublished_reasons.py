"""A reason key central never published (a kiosk's own) is the kiosk's data, not central's catalog.

It is accepted, kept on the follow-up as given, counted in the rollups under the row's own group,
shown on the drivers page under that group with the key as its label (one key given in two
groups counts apart in each), listed with its comment, exported as given — and never enters
central's reason catalog, which every site's kiosks and reports use. On both backends.
"""
from datetime import timedelta

from tests.helpers.batches import batch, followup_row, rating_row
from tests.helpers.central import RECEIVE_TIME
from tests.helpers.network import parse_page

#: (face, reason, group, comment) of the follow-ups Kamppi's kiosk sends.
SENT = [(1, "parking", "accessibility", "No spaces"), (2, "parking", "accessibility", None),
        (1, "parking", "environment", None), (1, "waiting", "accessibility", None),
        (4, "lounge <b>music</b>", "environment", None)]


def _send(central):
    token, device_id = central.enrolled_kiosk()
    ratings, followups = [], []
    for n, (face, reason, group, comment) in enumerate(SENT):
        rating = rating_row(n + 1, rating=face, recorded_at=RECEIVE_TIME + timedelta(minutes=n))
        ratings.append(rating)
        followups.append(followup_row(rating, reason=reason, reason_group=group, comment=comment))
    central.clock.set_wall(RECEIVE_TIME + timedelta(minutes=10))
    answer = central.post_batch(token, batch(device_id, ratings, followups,
                                             reasons=[{"key": "parking", "group": "accessibility"}])).json()
    assert answer["accepted"] == 10 and answer["rejected"] == [], answer
    return followups


def test_a_kiosks_own_reason_is_kept_counted_shown_and_exported_as_given(central):
    catalog_before = central.query(lambda m: sorted(m.Reason.select().tuples()))
    followups = _send(central)
    assert central.query(lambda m: sorted(m.Reason.select().tuples())) == catalog_before

    rollup = central.query(lambda m: sorted((r.reason, r.reason_group, r.given, r.unhappy)
                                            for r in m.RollupDayReason.select()))
    assert rollup == [("lounge <b>music</b>", "environment", 1, 0), ("parking", "accessibility", 2, 2),
                      ("parking", "environment", 1, 1), ("waiting", "accessibility", 1, 1)]
    hourly = central.query(lambda m: sorted((r.reason, r.reason_group, r.given) for r in m.RollupHourReason.select()))
    assert hourly == [(reason, group, given) for reason, group, given, _ in rollup]

    password, api_token = central.add_user("hanna", "admin")
    admin = central.log_in("hanna", password)
    page = admin.get("/drivers?period=today&lang=en")
    assert page.status_code == 200 and "<b>music" not in page.text  # a kiosk's key is text, never markup
    tree = parse_page(page.text)
    cards = {card.find("h2").text(): card for card in tree.find_all("section", cls="card") if card.find("h2")}
    reasons = [[cell.text() for cell in tr.cells()][:4] for tr in cards["Reasons"].find_all("tr", data_reason=True)]
    assert reasons == [["parking", "Accessibility Functional: how", "2", "50 %"],
                       ["parking", "Environment Functional: how", "1", "25 %"],
                       ["Waiting time", "Accessibility Functional: how", "1", "25 %"]]
    groups = {tr.attrs["data-group"]: [c.text() for c in tr.cells()][1:3]
              for tr in cards["What or how"].find_all("tr", data_group=True)}
    assert groups == {"accessibility": ["3", "75 %"], "environment": ["1", "25 %"]}

    comments = admin.get("/comments?period=today&lang=en")
    assert comments.status_code == 200 and "No spaces" in comments.text and "parking" in comments.text

    exported = {row["id"]: (row["reason"], row["reason_group"], row["dimension"])
                for row in central.export_json(api_token, from_="2026-01-05", to="2026-01-05")}
    assert exported == {f["rating_id"]: (f["reason"], f["reason_group"], "functional") for f in followups}
