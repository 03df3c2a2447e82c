"""Head office records, changes and withdraws a site's actions, and sees each with its before and after.

An admin records for any site, a viewer for their own sites only: another site's action is neither
listed nor recordable, changeable or withdrawable by them (404, nothing stored). Rows are never
changed: a change is a new row that supersedes, a withdrawal a new row that stays listed as
withdrawn. Two people changing the same action at once get one change and one message, not two
versions. Kiosks learn of head office's actions through the network document. Both backends.
"""

import os
import re
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.helpers.central import WebSession
from tests.helpers.network import parse_page

TODAY = date(2026, 1, 5)  # RECEIVE_TIME's local day in Helsinki and Stockholm
RECEIVED = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


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


TITLE = "a title of 1 to 80 characters"
HOURS = "at least one weekday, and an end hour after the start hour"


@pytest.mark.parametrize("form, why", [
    (_lunch_form(title=""), TITLE),
    (_lunch_form(title="x" * 81), TITLE),
    (_lunch_form(title="Hidden \u202e override"), TITLE),
    (_lunch_form(title="nul\x00byte"), TITLE),
    (_lunch_form(note="n" * 501), "at most 500 characters"),
    (_lunch_form(started_on="2026-02-30"), "a real day"),
    (_lunch_form(weekday=[]), HOURS),
    (_lunch_form(weekday=["8"]), HOURS),
    (_lunch_form(from_hour="14", to_hour="11"), HOURS),
    (_lunch_form(from_hour="١١"), HOURS),  # Arabic-Indic digits are not an hour
    (_lunch_form(kind="reason", reason=""), "the reason"),
    (_lunch_form(kind="moon"), "the whole site, some hours or one reason"),
])
def test_a_bad_form_comes_back_as_typed_with_one_clear_line_and_stores_nothing(central, offices, form, why):
    sessions, site_ids, _ = offices
    site_page = f"/sites/{site_ids['Kamppi']}"
    answer = sessions["hanna"].post(f"{site_page}/actions", form, csrf_from=site_page)
    assert answer.status_code == 400
    page = parse_page(answer.text)
    notices = [notice.text() for notice in page.find_all("p", cls="notice")]
    assert len(notices) == 1 and "not saved" in notices[0] and why in notices[0], notices
    kept_as_typed = "Ruuhka-apu</textarea>" if form["note"] == "Ruuhka-apu" else 'value="Toinen kassa lounaalle"'
    assert kept_as_typed in answer.text and 'name="back" value="site"' in answer.text
    assert _rows(central) == []


@pytest.mark.parametrize("language, said", [("fi", "Valitse vähintään yksi viikonpäivä"),
                                            ("sv", "Välj minst en veckodag")])
def test_a_refusal_is_told_in_the_pages_language_without_the_protocols_field_names(central, offices, language,
                                                                                     said):
    sessions, site_ids, _ = offices
    site_page = f"/sites/{site_ids['Kamppi']}"
    answer = sessions["hanna"].post(f"{site_page}/actions", _lunch_form(weekday=[]), csrf_from=site_page,
                                    headers={"Accept-Language": language})
    assert answer.status_code == 400
    (notice,) = [notice.text() for notice in parse_page(answer.text).find_all("p", cls="notice")]
    assert said in notice and not any(word in notice for word in ("weekdays", "target", "expected a list"))


def test_the_edit_page_is_filled_with_the_latest_version_and_an_old_one_leads_back(central, offices):
    sessions, site_ids, _ = offices
    admin = sessions["hanna"]
    site_page = f"/sites/{site_ids['Kamppi']}"
    admin.post(f"{site_page}/actions", _lunch_form(), csrf_from=site_page)
    (first,), _ = _listed(admin)
    form = admin.get(f"/actions/{first}/edit?back=list")
    assert form.status_code == 200
    assert 'value="Toinen kassa lounaalle"' in form.text and "Ruuhka-apu</textarea>" in form.text
    assert 'name="back" value="list"' in form.text and f'action="/actions/{first}/edit"' in form.text
    checked = re.findall(r'name="weekday" value="(\d)" checked', form.text)
    assert checked == ["1", "2", "3", "4", "5"] and re.search(r'<option value="11" selected>', form.text)

    changed = admin.post(f"/actions/{first}/edit", _lunch_form("Kaksi kassaa", back="list"), csrf_from=site_page,
                         allow_redirects=False)
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/actions")
    old = admin.get(f"/actions/{first}/edit", allow_redirects=False)
    assert old.status_code == 302 and old.headers["Location"].endswith("#actions")
    (latest,), _ = _listed(admin)
    viewer = sessions["ville"].get(f"/actions/{latest}/edit", allow_redirects=False)  # a viewer of Kamppi
    assert viewer.status_code == 200 and 'value="Kaksi kassaa"' in viewer.text
    assert sorted(title for title, *_ in _rows(central)) == ["Kaksi kassaa", "Toinen kassa lounaalle"]
    admin.post(f"/actions/{latest}/withdraw", {}, csrf_from=site_page)
    assert "withdrawn already" in admin.get(f"/actions/{latest}/edit").text  # a page open since


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


def _waiting_on_the_row(central, pid):
    """Whether PostgreSQL backend *pid* waits for a lock another transaction holds."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'"
    return central.query(lambda m: m.central_db.execute_sql(sql, (pid,)).fetchone()[0]) == 1


def _waiting_on_the_write_lock(central):
    """Whether a writer waits in the kernel for SQLite's write lock file (a ``->`` line of /proc/locks)."""
    inode = os.stat(central.database_url.removeprefix("sqlite:///") + ".writelock").st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and int(fields[-3].rsplit(":", 1)[1]) == inode:
            return True
    return False


def test_a_change_made_while_another_is_being_kept_waits_for_it_and_is_refused(central, offices):
    """The lock itself, not a race to win: one writer holds the action it changes, as record_action
    does between its check and its insert, and a second change of the same action must be seen
    waiting for it (by PostgreSQL's pg_stat_activity, or the kernel's /proc/locks for SQLite's
    writers), then refused. Without the lock the second change would not wait, and two versions of
    the action would stand."""
    from sync.central.org.actions import ActionConflict, checked_action, record_action
    from sync.central.store.db import locked, write_transaction

    sessions, site_ids, _ = offices
    site_page = f"/sites/{site_ids['Kamppi']}"
    sessions["hanna"].post(f"{site_page}/actions", _lunch_form(), csrf_from=site_page)
    action_id = central.query(lambda m: m.Action.get().id)
    holding, release = threading.Event(), threading.Event()
    outcome, pid = [], []

    def change(title):
        return checked_action({"id": str(uuid.uuid4()), "title": title, "started_on": "2026-01-03",
                               "target": {"kind": "site"}, "supersedes": action_id,
                               "recorded_at": "2026-01-05T10:00:00Z"})

    def hold(models):
        with write_transaction():
            locked(models.Action.select().where(models.Action.id == action_id)).first()
            holding.set()
            assert release.wait(60)
            first = change("Ensimmäinen muutos")
            models.Action.create(**first, site=site_ids["Kamppi"], received_at=RECEIVED)

    def second(models):
        if central.backend == "postgresql":
            pid.append(models.central_db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
        site = models.Site.get_by_id(site_ids["Kamppi"])
        try:
            record_action(site, change("Toinen muutos"), RECEIVED, latest_only=True)
            outcome.append("kept")
        except ActionConflict:
            outcome.append("refused")

    holder = threading.Thread(target=central.query, args=(hold,))
    holder.start()
    assert holding.wait(60)
    latecomer = threading.Thread(target=central.query, args=(second,))
    latecomer.start()
    seen_waiting, give_up = False, time.monotonic() + 60  # a hang fails here, it never decides a pass
    while latecomer.is_alive() and not seen_waiting and time.monotonic() < give_up:
        if central.backend == "postgresql":
            seen_waiting = bool(pid) and _waiting_on_the_row(central, pid[0])
        else:
            seen_waiting = _waiting_on_the_write_lock(central)
        latecomer.join(0.01)
    release.set()
    holder.join(60)
    latecomer.join(60)
    assert seen_waiting, f"the second change did not wait for the first: {outcome}"
    assert outcome == ["refused"]
    assert sorted(title for title, *_ in _rows(central)) == ["Ensimmäinen muutos", "Toinen kassa lounaalle"]
