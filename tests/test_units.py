"""The systemd units in ``systemd/`` pass ``systemd-analyze verify`` and run real ``hymy`` commands.

System units are verified under ``--root`` in a temporary tree holding
systemd's own units (``usr/lib/systemd/system``, copied from this machine) and
an executable at every path an ``Exec`` line names: verify checks those. The
user units cannot take ``--root`` (``systemd-analyze --user`` has no root
tree), so they are verified as this machine's user units with their
``/opt/hymy/bin/hymy`` pointing at this checkout's ``hymy``, and with
``XDG_RUNTIME_DIR`` a temporary directory (there is no user session here).
verify exits 0 on a key it does not know, saying so on stderr: a unit passes
only with no output at all.
"""
import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.install.units import CENTRAL_UNITS, HYMY, KIOSK_UNITS, SCREEN_UNITS, SESSION_ENTRY, unit_dir

SYSTEM_UNITS = KIOSK_UNITS + CENTRAL_UNITS
HYMY_HERE = str(Path(sys.executable).parent / "hymy")
CHROMIUM_FLAGS = ("--kiosk", "--noerrdialogs", "--disable-pinch", "--overscroll-history-navigation=0", "--incognito",
                  "--disable-session-crashed-bubble", "--disable-features=Translate", "--ozone-platform=wayland")


def unit_lines(name):
    """``(key, value)`` of every setting in unit *name*, backslash continuations joined."""
    text = (unit_dir() / name).read_text().replace("\\\n", " ")
    return [tuple(line.split("=", 1)) for line in text.splitlines() if "=" in line and not line.startswith("#")]


def values(name, key):
    return [value for found, value in unit_lines(name) if found == key]


def commands():
    """``(unit, argv)`` of every command a unit runs."""
    return [(name, shlex.split(value)) for name in SYSTEM_UNITS + SCREEN_UNITS
            for key, value in unit_lines(name) if key.startswith("Exec")]


@pytest.fixture(scope="module")
def system_root(tmp_path_factory):
    """A tree with systemd's own units, every binary the units name, and the units in etc/systemd/system."""
    root = tmp_path_factory.mktemp("root")
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for _, argv in commands():
        binary = root / argv[0].lstrip("/")
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def verify_system(root, name, text):
    (root / "etc/systemd/system" / name).write_text(text)
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", f"/etc/systemd/system/{name}"],
                          capture_output=True, text=True, timeout=60)


def verify_user(directory, name, text):
    runtime = directory / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    (directory / name).write_text(text.replace(HYMY, HYMY_HERE))
    return subprocess.run(["systemd-analyze", "--user", "verify", str(directory / name)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})


def passes(done):
    return done.returncode == 0 and done.stdout + done.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", SYSTEM_UNITS)
def test_each_system_unit_verifies(system_root, name):
    done = verify_system(system_root, name, (unit_dir() / name).read_text())
    assert passes(done), done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="the browser's unit names Debian's Chromium")
@pytest.mark.parametrize("name", SCREEN_UNITS)
def test_each_user_unit_verifies(tmp_path, name):
    done = verify_user(tmp_path, name, (unit_dir() / name).read_text())
    assert passes(done), done.stderr


@pytest.mark.slow
def test_verify_catches_a_misspelt_key_and_a_missing_binary(system_root, tmp_path):
    kiosk = (unit_dir() / "hymy-kiosk.service").read_text()
    misspelt = verify_system(system_root, "misspelt.service", kiosk.replace("Restart=always", "Restrat=always"))
    assert misspelt.returncode == 0 and "Unknown key 'Restrat'" in misspelt.stderr and not passes(misspelt)
    missing = verify_system(system_root, "missing.service", kiosk.replace(HYMY, "/opt/hymy/bin/hymmy"))
    assert missing.returncode != 0 and "/opt/hymy/bin/hymmy is not executable" in missing.stderr
    browser = (unit_dir() / "hymy-browser.service").read_text()
    bad_user = verify_user(tmp_path, "bad.service", browser.replace("PartOf=", "PartsOf="))
    assert not passes(bad_user) and "Unknown key 'PartsOf'" in bad_user.stderr


@pytest.mark.parametrize("unit, argv", [pytest.param(unit, argv, id=f"{unit}: {' '.join(argv[1:3])}")
                                         for unit, argv in commands() if argv[0] == HYMY])
def test_every_hymy_command_a_unit_runs_exists_with_its_options(unit, argv):
    command, names, rest = main, [], argv[1:]
    while isinstance(command, click.Group):
        names.append(rest[0])
        command = command.get_command(None, rest.pop(0))
        assert command is not None, f"{unit}: hymy {' '.join(names)} is no command"
    command.make_context(names[-1], list(rest))  # raises on an option the command does not take
    shown = CliRunner().invoke(main, [*names, "--help"], prog_name="hymy")
    assert shown.exit_code == 0 and f"Usage: hymy {' '.join(names)}" in shown.output


def test_the_kiosk_unit_is_watched_and_kept_to_the_gpio_chip():
    settings = dict(unit_lines("hymy-kiosk.service"))
    assert {key: settings[key] for key in ("Type", "NotifyAccess", "WatchdogSec", "Restart", "User",
                                           "SupplementaryGroups", "StateDirectory", "DeviceAllow")} == {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30s", "Restart": "always", "User": "hymy",
        "SupplementaryGroups": "gpio", "StateDirectory": "hymy", "DeviceAllow": "char-gpiochip rw"}
    assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"


def test_the_browser_waits_for_the_kiosk_and_runs_chromium_in_kiosk_mode():
    (pre,) = values("hymy-browser.service", "ExecStartPre")
    assert shlex.split(pre)[1] == "wait-ready"
    (start,) = values("hymy-browser.service", "ExecStart")
    argv = shlex.split(start)
    assert argv[0] == "/usr/bin/chromium" and argv[-1] == "http://127.0.0.1:8000/?kiosk"  # no pointer: lockdown.js
    assert set(CHROMIUM_FLAGS) <= set(argv)
    for name in ("hymy-browser.service", "hymy-display.service"):
        assert values(name, "WantedBy") == ["graphical-session.target"] == values(name, "After")
        assert values(name, "Restart") == ["always"]


def test_the_session_entry_starts_the_session_target():
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(unit_dir() / SESSION_ENTRY)
    assert entry["Desktop Entry"]["Type"] == "Application"
    assert "systemctl --user start hymy-session.target" in entry["Desktop Entry"]["Exec"]
    assert values("hymy-session.target", "BindsTo") == ["graphical-session.target"]
