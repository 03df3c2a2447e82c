"""The manager's Actions page on the kiosk: record, change (a new row that supersedes), withdraw (a
new row, listed as withdrawn), every row kept for central; a bad or hostile form is one clear line
and a 400 with nothing stored; a changed-meanwhile action is never changed twice."""

import pytest

from kiosk.storage import actions
from tests.helpers.manager import text, token
from tests.helpers.network import parse_page

LUNCH_FORM = {"title": "Toinen kassa", "note": "Lounaalle", "started_on": "2026-01-02", "kind": "hours",
              "weekday": ["1", "2", "3"], "from_hour": "11", "to_hour": "14"}


def _post(manager, path, form):
    return manager.post(f"{path}?lang=en", data={**form, "csrf_token": token(manager, "/manager/actions")})


def _listed(manager):
    page = parse_page(text(manager.get("/manager/actions?lang=en")))
    return {item.attrs["data-action"]: item.text() for item in page.find_all("li", cls="action")}


def test_record_change_and_withdraw_keep_every_row(manager):
    assert "No actions yet" in text(manager.get("/manager/actions?lang=en"))
    assert _post(manager, "/manager/actions", LUNCH_FORM).status_code == 302
    (first_id, shown), = _listed(manager).items()
    assert "Toinen kassa" in shown and "Mon, Tue, Wed, 11:00–14:00" in shown and "not sent yet" in shown

    form = text(manager.get(f"/manager/actions/{first_id}/edit"))
    assert 'name="supersedes" value="' + first_id in form and 'value="Toinen kassa"' in form
    changed = _post(manager, "/manager/actions", {**LUNCH_FORM, "title": "Kaksi kassaa", "kind": "site",
                                                  "supersedes": first_id})
    assert changed.status_code == 302
    (second_id, shown), = _listed(manager).items()
    assert second_id != first_id and "Kaksi kassaa" in shown and "The whole site" in shown

    again = _post(manager, "/manager/actions", {**LUNCH_FORM, "title": "Kolmas", "supersedes": first_id})
    assert again.status_code == 302 and len(actions.kept_rows()) == 2  # the old row changed meanwhile
    assert _post(manager, f"/manager/actions/{second_id}/withdraw", {}).status_code == 302
    (_, shown), = _listed(manager).items()
    assert "withdrawn" in shown
    rows = actions.kept_rows()
    assert len(rows) == 3 and sum(row["withdrawn"] for row in rows) == 1
    assert {row["supersedes"] for row in rows} == {None, first_id, second_id}
    assert len(actions.unsent()) == 3


TITLE = "a title of 1 to 80 characters"
HOURS = "at least one weekday, and an end hour after the start hour"


@pytest.mark.parametrize("change, why", [
    ({"title": ""}, TITLE),
    ({"title": "x" * 81}, TITLE),
    ({"title": "Piilo\u202eteksti"}, TITLE),
    ({"title": "nolla\x00tavu"}, TITLE),
    ({"note": "n" * 501}, "at most 500 characters"),
    ({"started_on": "2026-13-01"}, "a real day"),
    ({"weekday": []}, HOURS),
    ({"from_hour": "15", "to_hour": "14"}, HOURS),
    ({"from_hour": "١١"}, HOURS),  # Arabic-Indic digits are not an hour
    ({"kind": "reason", "reason": ""}, "the reason"),
    ({"kind": "moon"}, "the whole site, some hours or one reason"),
])
def test_a_bad_form_is_one_line_and_a_400_and_stores_nothing(manager, change, why):
    answer = _post(manager, "/manager/actions", {**LUNCH_FORM, **change})
    assert answer.status_code == 400
    page = parse_page(text(answer))
    notices = [p.text() for p in page.find_all("p", cls="notice")]
    assert len(notices) == 1 and "not saved" in notices[0] and why in notices[0], notices
    kept_as_typed = "Lounaalle</textarea>" if "note" not in change else 'value="Toinen kassa"'
    assert kept_as_typed in text(answer)
    assert actions.kept_rows() == []


@pytest.mark.parametrize("language, said", [
    ("fi", "Valitse vähintään yksi viikonpäivä"),
    ("sv", "Välj minst en veckodag"),
])
def test_a_refusal_is_told_in_the_screens_language_without_the_protocols_field_names(manager, language, said):
    form = {**LUNCH_FORM, "from_hour": "15", "to_hour": "14", "csrf_token": token(manager, "/manager/actions")}
    answer = manager.post(f"/manager/actions?lang={language}", data=form)
    assert answer.status_code == 400
    (notice,) = [p.text() for p in parse_page(text(answer)).find_all("p", cls="notice")]
    assert said in notice and not any(word in notice for word in ("from_hour", "target", "must come before"))


def test_the_pages_need_the_pin_and_the_forms_their_token(client, kiosk, manager):
    assert manager.post("/manager/actions", data=LUNCH_FORM).status_code == 400  # no CSRF token
    manager.post("/manager/logout", data={"csrf_token": token(manager)})
    for path in ("/manager/actions", "/manager/actions/new"):
        assert "pad__key" in text(client.get(path, follow_redirects=True))
    assert actions.kept_rows() == []
