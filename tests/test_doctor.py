"""``hymy doctor``: one line per check (ok / warn / fail / skip), ``--json`` the same, exit 1 on a fail.

Healthy and broken set-ups, for real: a kiosk and a real central on loopback
(tests/helpers/world.py's world) for the token, damaged and foreign database
files, a tiny tmpfs for the disk, quarantined rows and a sequence gap as the
uploader leaves them, a running kiosk process holding the pins, gpiozero's
MockFactory pins pressed from a thread while doctor waits, and a pty for "in
a terminal". Doctor creates and changes nothing on the way.
"""
import json
import os
import pty
import queue
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing

import pytest
from click.testing import CliRunner
from gpiozero.pins.mock import MockFactory, MockPin

from kiosk.cli import main
from kiosk.cli.doctor import run_checks
from kiosk.cli.doctor_checks import units_check
from kiosk.config import load_config
from kiosk.storage.diagnostics import disk_check
from kiosk.storage.migrations import LATEST
from kiosk.storage.process_lock import hold_running_lock
from sync.common.clock import FakeClock
from tests.helpers.commands import snapshot, started_kiosk_dir
from tests.helpers.kiosk_process import KioskProcess
from tests.helpers.live import free_port
from tests.helpers.world import START, RecordingClock

ORDER = ["config", "kiosk", "gpio", "buttons", "database", "schema", "disk", "clock", "central", "backlog",
         "quarantine", "sequence", "units"]


@pytest.fixture
def clock():
    """The world's clock (tests/helpers/world.py)."""
    return RecordingClock(START)


def doctor(data_dir, *args, **env):
    """``hymy doctor ARGS`` in this process on *data_dir*, with only these HYMY_* variables."""
    clean = {name: None for name in os.environ if name.startswith("HYMY_")}
    variables = {"HYMY_DATA_DIR": str(data_dir), "HYMY_CLOCK_TRUSTED": "always", "HYMY_PIN_FACTORY": "mock", **env}
    return CliRunner().invoke(main, ["doctor", *args], env={**clean, **variables})


def checks(result):
    """``{check: (status, detail)}`` from doctor's lines, in their order; each line is one check."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    found = {}
    for line in result.output.splitlines():
        if line.startswith("     "):  # a prompt for a button press
            continue
        status, check, detail = line.split(None, 2)
        assert status in ("ok", "warn", "fail", "skip"), line
        found[check] = (status, detail)
    assert list(found) == ORDER, result.output
    return found


def json_checks(result):
    listed = json.loads(result.output)
    assert [set(item) for item in listed] == [{"check", "status", "detail"}] * len(ORDER)
    return {item["check"]: (item["status"], item["detail"]) for item in listed}


def statuses(found):
    return {check: status for check, (status, _) in found.items()}


def no_wal_side_files(files):
    return {name: value for name, value in files.items() if not name.endswith(("-wal", "-shm"))}


def dump(path):
    """The database's content as SQL, read without writing."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return list(db.iterdump())


def set_database(path, sql, params=()):
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(sql, params)


# --- healthy ---------------------------------------------------------------------------------

def test_a_healthy_enrolled_kiosk_passes_and_doctor_changes_nothing(world):
    world.record(4)
    world.sync_until_empty()
    data_dir = world.config.data_dir
    before, content = snapshot(data_dir), dump(world.kiosk_db_path)
    result = world.kiosk_cli("doctor")
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert statuses(found) == {
        "config": "ok", "kiosk": "warn", "gpio": "warn", "buttons": "skip", "database": "ok", "schema": "ok",
        "disk": "ok", "clock": "ok", "central": "ok", "backlog": "ok", "quarantine": "ok", "sequence": "ok",
        "units": "warn"}  # this machine: no kiosk process, no GPIO chip, no systemd
    assert found["central"][1] == f"{world.central_url} accepts the token of kiosk 'kamppi-1' at 'Kamppi'"
    assert found["database"][1] == f"{world.kiosk_db_path} passes integrity_check and takes a write"
    assert found["schema"][1] == f"version {LATEST}, this software's"
    assert found["backlog"][1].startswith("nothing waiting to be sent (last sync 2026-01-05T")
    seqs = world.kiosk_query("SELECT max(seq) FROM rating")[0][0]
    assert found["sequence"][1] == f"central holds seq 1..{seqs} without gaps"
    assert found["buttons"][1] == "not run in a terminal: run hymy doctor in one to press each button"
    assert found["units"][1].startswith("systemd is not running on this machine")
    assert found["gpio"][1].startswith('the buttons are simulated (pin_factory = "mock")')

    as_json = world.kiosk_cli("doctor", "--json")
    assert as_json.exit_code == 0
    assert json_checks(as_json).keys() == found.keys()
    assert statuses(json_checks(as_json)) == statuses(found)
    # The database's content and every other file as they were. (The harness binds the kiosk app's
    # database again after each command, which checkpoints the WAL into the file: its bytes may move.)
    assert dump(world.kiosk_db_path) == content
    after = snapshot(data_dir)
    assert {name: after[name] for name in before if not name.startswith("hymy.sqlite3")} == {
        name: value for name, value in before.items() if not name.startswith("hymy.sqlite3")}


def test_a_missing_data_dir_fails_and_is_not_created(tmp_path):
    data_dir = tmp_path / "never-started"
    result = doctor(data_dir)
    assert result.exit_code == 1
    found = checks(result)
    assert found["database"] == ("fail", f"data_dir {data_dir} does not exist: the kiosk makes it on its first "
                                 "start; if the kiosk runs elsewhere, point --config or HYMY_DATA_DIR at its data "
                                 "dir (/var/lib/hymy under systemd)")
    assert {check: found[check][0] for check in ("schema", "backlog", "quarantine", "sequence")} == dict.fromkeys(
        ("schema", "backlog", "quarantine", "sequence"), "skip")
    assert found["disk"][0] == "ok"  # the file system it would be made on
    assert found["central"] == ("warn", "not enrolled: ratings wait on this kiosk until hymy enroll URL "
                                "(it asks for the token from hymy central add-kiosk)")
    assert json_checks(doctor(data_dir, "--json"))["database"][0] == "fail"
    assert not data_dir.exists()


def test_a_data_dir_without_a_database_gets_none(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result = doctor(data_dir)
    assert result.exit_code == 1
    assert checks(result)["database"] == ("fail", f"no database in data_dir {data_dir} yet: the kiosk makes it on "
                                          "its first start (sudo systemctl start hymy-kiosk, or hymy kiosk)")
    assert list(data_dir.iterdir()) == []


def test_another_users_data_dir_asks_for_the_kiosks_user(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)  # root's, mode 0700
    tmp_path.chmod(0o755)  # as /var/lib is
    os.seteuid(65534)  # as a person logged in as someone else (nobody) would run it
    try:
        result = doctor(data_dir)
    finally:
        os.seteuid(0)
    assert result.exit_code == 1
    found = checks(result)
    denied = f"{data_dir}: permission denied for user "
    assert found["database"][0] == "fail" and found["database"][1].startswith(denied)
    assert found["database"][1].endswith(": run hymy doctor as the kiosk's user (sudo -u hymy hymy doctor) or "
                                         "with sudo")
    assert found["kiosk"][0] == found["central"][0] == "skip" and found["central"][1].startswith(denied)


def test_a_bad_config_is_one_line_and_exit_2(tmp_path):
    result = doctor(tmp_path, HYMY_PORT="eighty")
    assert result.exit_code == 2
    assert result.output.startswith("hymy: config: port:") and len(result.output.splitlines()) == 1


# --- the database ----------------------------------------------------------------------------

def damage_header(path):
    with open(path, "r+b") as file:
        file.write(b"this is no database" * 10)


def damage_a_table_page(path):
    """Make page 11's b-tree header claim cells at offsets outside the page."""
    with open(path, "r+b") as file:
        file.seek(10 * 4096)
        file.write(b"\x0d\x00\x00\x00\x09\x0f\xff")


@pytest.mark.parametrize("damage, said", [(damage_header, "is damaged (file is not a database)"),
                                          (damage_a_table_page, "fails integrity_check (")])
def test_a_damaged_database_fails_naming_the_restore(tmp_path, damage, said):
    data_dir = started_kiosk_dir(tmp_path)
    damage(data_dir / "hymy.sqlite3")
    before = snapshot(data_dir)
    result = doctor(data_dir)
    assert result.exit_code == 1
    status, detail = checks(result)["database"]
    assert status == "fail" and said in detail
    assert detail.endswith("stop the kiosk and restore the latest backup with hymy restore")
    assert checks(result)["schema"] == ("skip", "the database could not be read")
    assert json_checks(doctor(data_dir, "--json"))["database"] == ("fail", detail)
    assert snapshot(data_dir) == before


@pytest.mark.parametrize("version, status, exit_code, said", [
    (LATEST + 1, "fail", 1, f"version {LATEST + 1} is newer than this software's ({LATEST})"),
    (LATEST - 1, "warn", 0, f"version {LATEST - 1} is older than this software's ({LATEST}): the kiosk upgrades"),
])
def test_a_schema_of_another_version_says_what_to_do(tmp_path, version, status, exit_code, said):
    data_dir = started_kiosk_dir(tmp_path)
    set_database(data_dir / "hymy.sqlite3", f"PRAGMA user_version = {version}")
    before = snapshot(data_dir)
    result = doctor(data_dir)
    assert result.exit_code == exit_code, result.output
    found = checks(result)
    assert found["database"][0] == "ok"
    assert found["schema"][0] == status and found["schema"][1].startswith(said)
    assert found["backlog"][0] == "skip"  # its models describe this software's schema only
    assert no_wal_side_files(snapshot(data_dir)) == before  # the write check was rolled back: not a byte moved


# --- the disk --------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_data_dir_on_a_nearly_full_file_system_fails(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(small)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root (the test command runs as root): {mounted.stderr.strip()}")
    try:
        subprocess.run(["cp", "-a", str(data_dir), str(small / "data")], check=True)
        result = doctor(small / "data")
        assert result.exit_code == 1
        status, detail = checks(result)["disk"]
        assert status == "fail"
        assert detail.startswith("only ") and f"on the file system of data_dir {small / 'data'}" in detail
        assert detail.endswith(": ratings soon cannot be stored; free space there")
    finally:
        subprocess.run(["umount", "-l", str(small)], check=True)


def test_disk_warns_under_its_share_and_fails_under_its_floor(tmp_path):
    assert disk_check(tmp_path).status == "ok"
    assert disk_check(tmp_path, warn_share=1.01).status == "warn"
    assert disk_check(tmp_path, fail_below=2 ** 62).status == "fail"


# --- sync: central, backlog, quarantine, sequence ----------------------------------------------

def test_a_revoked_token_or_a_gone_central_fails(world):
    world.central_cli("revoke-kiosk", "kamppi-1")
    result = world.kiosk_cli("doctor")
    assert result.exit_code == 1
    assert checks(result)["central"] == ("fail", f"{world.central_url} refused this kiosk's token (revoked?): "
                                         "enroll again with hymy enroll URL")
    assert json_checks(world.kiosk_cli("doctor", "--json"))["central"][0] == "fail"

    world.central.close()
    result = world.kiosk_cli("doctor")
    assert result.exit_code == 1
    assert checks(result)["central"] == ("fail", f"{world.central_url}: central unreachable: ConnectionError: "
                                         "check the network, the URL and ca_bundle")


def test_quarantined_rows_warn_and_a_sequence_gap_fails(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    database = data_dir / "hymy.sqlite3"
    set_database(database, "UPDATE outbox SET quarantined_at = '2026-01-05T10:00:00.000000Z', "
                 "quarantine_reason = 'rejected by central: rating: out of range'")
    result = doctor(data_dir, HYMY_CLOCK_TRUSTED="never")
    assert result.exit_code == 0, result.output  # warnings only
    found = checks(result)
    assert found["quarantine"] == ("warn", "1 row set aside (quarantined): see hymy sync --status "
                                   "(hymy sync --requeue once central is fixed)")
    assert found["backlog"][1].startswith("nothing waiting to be sent")  # a quarantined row is not pending
    assert found["clock"][0] == "warn" and found["clock"][1].startswith("clock_trusted = never")

    gap = "central lacks 1 rating(s) after a full sync, first seq 1"
    set_database(database, "INSERT INTO sync_state (key, value) VALUES ('gap_error', ?)", (json.dumps(gap),))
    result = doctor(data_dir, "--json")
    assert result.exit_code == 1
    assert json_checks(result)["sequence"] == ("fail", f"{gap}: see hymy sync --status and central's database")


def test_a_backlog_older_than_sync_stale_after_warns(world, clock):
    world.record(3, followup_every=0)
    world.central.close()  # the rows stay pending
    world.advance(world.config.sync_stale_after + 600)
    found = {check.check: check for check in run_checks(world.config, clock=clock, pin_factory=MockFactory())}
    assert found["backlog"].status == "warn"
    assert found["backlog"].detail.startswith("3 rows wait to be sent, the oldest recorded 1 h 10 min ago "
                                              "(never synced), longer than sync_stale_after (3600 s)")


# --- a running kiosk --------------------------------------------------------------------------

@pytest.mark.slow
def test_a_running_kiosk_holds_the_pins_and_doctor_reads_its_healthz(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    kiosk = KioskProcess(data_dir)
    try:
        result = doctor(data_dir)
        found = checks(result)
        assert found["kiosk"] == ("ok", f"running (pid {kiosk.process.pid}) at {kiosk.url}/: /healthz ok")
        assert found["gpio"] == ("warn", f"the running kiosk (pid {kiosk.process.pid}) holds the pins with "
                                 "simulated buttons (its /healthz: mock): set pin_factory = \"auto\" on a kiosk "
                                 "with buttons and restart it")
        assert found["buttons"][0] == "skip" and found["buttons"][1].startswith("the running kiosk holds the pins")
        assert found["database"][0] == "ok"
        assert result.exit_code == 0, result.output
    finally:
        kiosk.kill()


def test_a_kiosk_holding_the_data_dir_that_does_not_answer_fails(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    with hold_running_lock(data_dir, url):
        result = doctor(data_dir)
    assert result.exit_code == 1
    status, detail = checks(result)["kiosk"]
    assert status == "fail"
    assert detail == (f"running (pid {os.getpid()}) but {url}healthz does not answer as the kiosk does "
                      "(ConnectionError): see journalctl -u hymy-kiosk, then sudo systemctl restart hymy-kiosk")
    assert checks(result)["gpio"][0] == "skip"


def test_a_kiosk_that_holds_the_lock_but_does_not_serve_yet_is_starting(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    with hold_running_lock(data_dir):  # taken before the database opens; the address comes once it serves
        result = doctor(data_dir)
    status, detail = checks(result)["kiosk"]
    assert status == "warn" and detail.startswith(f"starting (pid {os.getpid()}): it does not serve yet")


# --- the buttons ------------------------------------------------------------------------------

def kiosk_config(data_dir):
    return load_config(overrides={"data_dir": str(data_dir), "clock_trusted": "always"}, environ={})


def press_when_asked(factory, pins, asked, skip=()):
    """Hold each button down once doctor asks for it (a press caught whenever doctor looks), release it
    at the next prompt; leave the ratings in *skip* alone."""
    held = None
    for rating, pin in enumerate(pins, start=1):
        asked.get(timeout=10)
        if held is not None:
            factory.pin(held).drive_high()
            held = None
        if rating not in skip:
            factory.pin(pin).drive_low()
            held = pin
    if held is not None:
        asked.get(timeout=10)  # doctor's answer to the last one
        factory.pin(held).drive_high()


@pytest.mark.parametrize("skip, status, detail", [
    ((), "ok", "each of the four buttons answered a press"),
    ((3,), "fail", "no press within 0.3 s on button 3 (GPIO13): check its wiring from the pin to ground "
                   "(docs/install.md, Wiring the buttons)"),
])
def test_each_button_is_pressed_while_doctor_waits(tmp_path, skip, status, detail):
    config = kiosk_config(started_kiosk_dir(tmp_path))
    factory = MockFactory()
    asked, said = queue.Queue(), []

    def say(text):
        said.append(text)
        if "press button" in text or "button 4:" in text:
            asked.put(text)

    presser = threading.Thread(target=press_when_asked, args=(factory, config.button_pins, asked, skip))
    presser.start()
    found = {check.check: check for check in run_checks(config, pin_factory=factory, press=True,
                                                        press_timeout=0.3 if skip else 10, say=say)}
    presser.join(timeout=10)
    assert not presser.is_alive()
    assert (found["buttons"].status, found["buttons"].detail) == (status, detail)
    assert said[0] == "     press button 1 (very unhappy, GPIO5) within " + ("0.3" if skip else "10") + \
        " s: its LED is lit"
    assert [line for line in said if line.startswith("     button")] == [
        f"     button {rating}: {'no press' if rating in skip else 'pressed'}" for rating in (1, 2, 3, 4)]
    assert not any(factory.pin(pin).state for pin in config.led_pins)  # every LED off again


class GroundedPin(MockPin):
    """A mock pin wired straight to ground: no pull-up raises it (gpiozero's pin_class hook)."""

    def _change_state(self, value):
        return super()._change_state(False)


def test_a_button_that_reads_pressed_before_anyone_presses_it_fails(tmp_path):
    config = kiosk_config(started_kiosk_dir(tmp_path))
    factory = MockFactory()
    factory.pin(6, pin_class=GroundedPin)  # button 2's pin, shorted to ground
    found = {check.check: check for check in run_checks(config, pin_factory=factory, press=True, press_timeout=0.1)}
    assert (found["gpio"].status, found["gpio"].detail) == (
        "fail", "button 2 (GPIO6) reads pressed with nobody at it: a short to ground or a stuck switch "
                "(docs/install.md, Wiring the buttons)")
    assert found["buttons"].status == "skip"


@pytest.mark.slow
def test_in_a_terminal_doctor_asks_for_each_press(tmp_path):
    data_dir = started_kiosk_dir(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    env.update(HYMY_DATA_DIR=str(data_dir), HYMY_PIN_FACTORY="mock", HYMY_CLOCK_TRUSTED="always")
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "kiosk", "doctor", "--press-timeout", "0.1"], env=env,
                               stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other side closed: doctor ended
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=30) == 1
    text = output.decode().replace("\r\n", "\n")
    assert "     press button 1 (very unhappy, GPIO5) within 0.1 s: its LED is lit\n     button 1: no press\n" in text
    assert ("fail buttons    no press within 0.1 s on button 1 (GPIO5), 2 (GPIO6), 3 (GPIO13), 4 (GPIO19): check "
            "their wiring") in text


# --- systemd ----------------------------------------------------------------------------------

@pytest.mark.parametrize("enabled, active, status, said", [
    ("enabled", "active", "ok", "hymy-kiosk.service enabled and active"),
    ("disabled", "inactive", "fail", "hymy-kiosk.service is disabled and inactive: sudo systemctl enable --now"),
    ("not-found", "inactive", "fail", "hymy-kiosk.service is not installed"),
])
def test_units_are_asked_of_systemctl_where_systemd_runs(tmp_path, enabled, active, status, said):
    # systemd is not PID 1 on the test machine: a stand-in systemctl answers as the real one does.
    systemctl = tmp_path / "systemctl"
    systemctl.write_text(f'#!/bin/sh\ncase "$1" in is-enabled) echo {enabled};; is-active) echo {active};; esac\n')
    systemctl.chmod(0o755)
    check = units_check(runtime=tmp_path, systemctl=str(systemctl))
    assert check.status == status and check.detail.startswith(said)
    assert units_check(runtime=tmp_path / "no-systemd").status == "warn"


def test_a_clock_the_kernel_calls_unsynchronised_warns(tmp_path):
    config = load_config(overrides={"data_dir": str(tmp_path / "none"), "clock_trusted": "auto"}, environ={})
    untrusted = FakeClock(START, trusted=False)
    found = {check.check: check for check in run_checks(config, clock=untrusted, pin_factory=MockFactory())}
    assert (found["clock"].status, found["clock"].detail) == (
        "warn", "not synchronised (the kernel says NTP has not set it; now 2026-01-05 10:00 UTC): ratings are "
                "stored unverified and opening hours wait; check the network and timedatectl timesync-status")
