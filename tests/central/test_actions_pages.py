"""Head office records, changes and withdraws a site's actions, and sees each with its before and after.

An admin records for any site, a viewer for their own sites only: another site's action is neither
listed nor recordable, changeable or withdrawable by them (404, nothing stored). Rows are never
changed: a change is a new row that supersedes, a withdrawal a new row that stays listed as
withdrawn. Two people changing the same action at once get one change and one message, not two
versions. Kiosks learn of head office's actions through the network document. Both backends.
"""

import re
import threading
from datetime import date, timedelta

import pytest

from tests.helpers.central import WebSession
from tests.helpers.network import parse_page

TODAY = date(2026, 1, 5)  # RECEIVE_TIME's local day in Helsinki and Stockholm


@pytest.fixture
def offices(central):
    """Two sites, a kiosk at each, an admin and a viewer of Kamppi only."""
    central.add_site("Kamppi", "Europe/Helsinki")
    central.add_site("Södermalm", "Europe/Stockholm")
    kiosks = {site: central.enrolled_kiosk(name, site=site)
              for site, name in (("Kamppi", "kamppi-1"), ("Södermalm", "soder-1"))}
    sessions = {}
    for who, role, sites in (("hanna", "admin", ()), ("ville", "viewer", ("Kamppi",))):
        password, _ = central.add_user(who, role, sites=sites)
        sessions[who] = central.log_in(who, password)
    site_ids = central.query(lambda m: {site.name: site.id for site in m.Site.select()})
    yield sessions, site_ids, kiosks
    for session in sessions.values():
        session.close()


def _lunch_form(title="Toinen kassa lounaalle", **fields):
    form = {"title": title, "note": "Ruuhka-apu", "started_on": (TODAY - timedelta(days=2)).isoformat(),
            "kind": "hours", "weekday": ["1", "2", "3", "4", "5"], "from_hour": "11", "to_hour": "14"}
    form.update(fields)
    return form


def _rows(central):
    return central.query(lambda m: [(a.title, a.supersedes, a.withdrawn, a.site.name, a.recorded_by)
                                    for a in m.Action.select().order_by(m.Action.recorded_at, m.Action.title)])


def _listed(session):
    page = session.get("/actions")
    assert page.status_code == 200
    return re.findall(r'data-action="([0-9a-f-]{36})"', page.text), page.text


def test_an_admin_records_changes_and_withdraws_and_every_row_stays(central, offices):
    sessions, site_ids, _ = offices
    admin = sessions["hanna"]
    site_page = f"/sites/{site_ids['Kamppi']}"
    answer = admin.post(f"/sites/{site_ids['Kamppi']}/actions", _lunch_form(), csrf_from=site_page)
    assert answer.status_code == 200 and "Action recorded." in answer.text
    ids, text = _listed(admin)
    assert len(ids) == 1 and "Toinen kassa lounaalle" in text and "Mon, Tue, Wed, Thu, Fri, 11:00–14:00" in text
    assert "3 of 28 days" in text and 'data-verdict="too few"' in text and "recorded by hanna" in text

    changed = admin.post(f"/actions/{ids[0]}/edit", _lunch_form("Toinen kassa koko päiväksi", kind="site"),
                         csrf_from=site_page)
    assert "Action changed." in changed.text
    ids_after, text = _listed(admin)
    assert len(ids_after) == 1 and ids_after != ids and "Toinen kassa koko päiväksi" in text
    assert "The whole site" in text and "changed" in text

    withdrawn = admin.post(f"/actions/{ids_after[0]}/withdraw", {}, csrf_from=site_page)
    assert "Action withdrawn." in withdrawn.text
    _, text = _listed(admin)
    assert "withdrawn" in text and "Toinen kassa koko päiväksi" in text
    again = admin.post(f"/actions/{ids_after[0]}/withdraw", {}, csrf_from=site_page)
    assert "changed meanwhile" in again.text
    rows = central.query(lambda m: {a.id: (a.title, a.supersedes, a.withdrawn) for a in m.Action.select()})
    chain = [ids_after[0]]
    while rows[chain[-1]][1]:
        chain.append(rows[chain[-1]][1])
    withdrawal = next(key for key, (_, supersedes, _) in rows.items() if supersedes == ids_after[0])
    assert [rows[key][::2] for key in [withdrawal, *chain]] == [
        ("Toinen kassa koko päiväksi", True), ("Toinen kassa koko päiväksi", False), ("Toinen kassa lounaalle", False)]
    assert len(rows) == 3 and chain[-1] == ids[0]


def test_a_viewer_sees_and_records_only_their_own_sites_actions(central, offices):
    sessions, site_ids, kiosks = offices
    admin, viewer = sessions["hanna"], sessions["ville"]
    own, other = f"/sites/{site_ids['Kamppi']}", f"/sites/{site_ids['Södermalm']}"
    assert viewer.post(f"{own}/actions", _lunch_form("Oma"), csrf_from=own).status_code == 200
    assert admin.post(f"{other}/actions", _lunch_form("Ny skylt", kind="site"), csrf_from=other).status_code == 200
    token, device = kiosks["Södermalm"]
    before = _rows(central)

    refused = viewer.post(f"{other}/actions", _lunch_form("Vieras"), csrf_from=own)
    assert refused.status_code == 404
    other_id = central.query(lambda m: m.Action.get(m.Action.title == "Ny skylt").id)
    for path in (f"/actions/{other_id}/edit", f"/actions/{other_id}/withdraw"):
        assert viewer.post(path, _lunch_form("Vieras"), csrf_from=own).status_code == 404
    assert _rows(central) == before

    ids, text = _listed(viewer)
    assert len(ids) == 1 and "Oma" in text and "Ny skylt" not in text and "Södermalm" not in text
    assert len(_listed(admin)[0]) == 2
    # The Södermalm kiosk's network document carries its site's action, not Kamppi's.
    document = central.request("GET", "/api/v1/network", token).json()
    assert [action["title"] for action in document["actions"]] == ["Ny skylt"]


def test_forms_need_a_login_and_their_csrf_token(central, offices):
    sessions, site_ids, _ = offices
    path = f"/sites/{site_ids['Kamppi']}/actions"
    stranger = WebSession(central.url)  # a CSRF token from the login page, but no login
    anonymous = stranger.post(path, _lunch_form(), csrf_from="/login", allow_redirects=False)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    stranger.close()
    assert sessions["hanna"].post(path, _lunch_form()).status_code == 400
    assert _rows(central) == []


@pytest.mark.parametrize("form, why", [
    (_lunch_form(title=""), "title"),
    (_lunch_form(title="x" * 81), "title"),
    (_lunch_form(title="Hidden \u202e override"), "bidirectional"),
    (_lunch_form(note="n" * 501), "note"),
    (_lunch_form(started_on="2026-02-30"), "started_on"),
    (_lunch_form(weekday=[]), "weekdays"),
    (_lunch_form(weekday=["8"]), "weekdays"),
    (_lunch_form(from_hour="14", to_hour="11"), "hour"),
    (_lunch_form(kind="reason", reason=""), "reason"),
    (_lunch_form(kind="moon"), "kind"),
])
def test_a_bad_form_is_one_clear_line_and_stores_nothing(central, offices, form, why):
    sessions, site_ids, _ = offices
    site_page = f"/sites/{site_ids['Kamppi']}"
    answer = sessions["hanna"].post(f"{site_page}/actions", form, csrf_from=site_page)
    assert answer.status_code == 200
    notices = [notice.text() for notice in parse_page(answer.text).find_all("p", cls="notice")]
    shown = [text for text in notices if "not saved" in text]
    assert len(shown) == 1 and why in shown[0], notices
    assert _rows(central) == []


EDITORS = 12  # the central test server answers 8 at a time


def test_two_changes_at_once_make_one_change_and_one_message(central, offices):
    sessions, site_ids, _ = offices
    site_page = f"/sites/{site_ids['Kamppi']}"
    admin = sessions["hanna"]
    admin.post(f"{site_page}/actions", _lunch_form(), csrf_from=site_page)
    action_id = central.query(lambda m: m.Action.get().id)
    forms = []
    for n in range(EDITORS):
        password, _ = central.add_user(f"editor{n}", "admin")
        editor = central.log_in(f"editor{n}", password)
        forms.append((editor, dict(_lunch_form(f"Muutos {n}"), csrf_token=editor.csrf_token(site_page))))
    start = threading.Barrier(len(forms))
    answers = [None] * len(forms)

    def change(index):
        editor, form = forms[index]
        start.wait()
        answers[index] = editor.http.post(f"{central.url}/actions/{action_id}/edit", data=form, timeout=60)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    said = ["changed" if "Action changed." in answer.text else "refused" if "changed meanwhile" in answer.text
            else answer.status_code for answer in answers]
    assert sorted(said) == ["changed"] + ["refused"] * (EDITORS - 1), said
    assert len(_listed(admin)[0]) == 1 and len(_rows(central)) == 2
