"""``hymy install``: into a directory tree with ``--root``, twice, file by file; ``--dry-run`` on this machine.

Under ``--root`` the users and groups are made by the real ``useradd --root``
and ``groupadd --root`` in the tree's own user database (seeded here as a
fresh Raspberry Pi OS has it: root, and the desktop user pi with UID 1000), so
every file's owner is checked against the ids the tree allocated; units are
enabled by the real ``systemctl --root``. pip never runs under a root (the
venv step records what it would install), so the source here is a minimal
hymy project: the tests of the wheel itself are tests/test_install.py.
"""
import json
import os
import stat
from importlib.metadata import PathDistribution
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.install.files import CENTRAL_CONFIG, CENTRAL_ENVIRONMENT, KIOSK_CONFIG
from kiosk.cli.install.source import installed_from
from kiosk.cli.install.units import unit_dir
from kiosk.config import load_config
from sync.central.config import load_central_config
from sync.common.cli_errors import CommandError
from tests.helpers.as_user import run_hymy

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installing sets owners: only root can")


def seed_root(root, chromium="chromium"):
    """A system tree as a fresh Raspberry Pi OS has it, as far as install looks."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\npi:x:1000:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\npi:!::\n")
    for name in ("shadow", "gshadow"):
        (etc / name).chmod(0o640)
    (root / "home/pi").mkdir(parents=True)
    os.chown(root / "home/pi", 1000, 1000)
    for binary in (f"usr/bin/{chromium}", "usr/sbin/nologin"):
        (root / binary).parent.mkdir(parents=True, exist_ok=True)
        (root / binary).write_text("#!/bin/sh\n")
        (root / binary).chmod(0o755)
    return root


@pytest.fixture
def source(tmp_path):
    """A minimal hymy project: all the venv step reads of a source."""
    project = tmp_path / "source"
    (project / "kiosk").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "hymy"\nversion = "0.1.0"\n')
    (project / "kiosk/__init__.py").write_text("")
    return project


def install(*arguments):
    return CliRunner().invoke(main, ["install", *map(str, arguments)])


def snapshot(root):
    """Every path under *root*: its type, mode, owner, and content or link target."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            what = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            what = path.read_bytes()
        else:
            what = None
        found[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid,
                                              info.st_gid, what)
    return found


def ids(root, name):
    """``(uid, gid)`` of the tree's user *name*, from its own etc/passwd."""
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    raise AssertionError(f"no user {name} in {root}/etc/passwd")


def owner_and_mode(path):
    info = path.lstat()
    return (info.st_uid, info.st_gid), stat.S_IMODE(info.st_mode)


def statuses(output):
    lines = output.splitlines()
    return [line.split()[0] for line in lines if not line.startswith(("hymy install", "next:", "dry run"))]


def install_twice(*arguments):
    """Install, then install again: the second run must change nothing at all."""
    root = arguments[arguments.index("--root") + 1]
    first = install(*arguments)
    assert first.exit_code == 0, first.output
    assert set(statuses(first.output)) == {"changed", "skipped"}, first.output
    after_first = snapshot(root)
    second = install(*arguments)
    assert second.exit_code == 0, second.output
    assert set(statuses(second.output)) == {"ok"}, second.output
    assert "nothing to change" in second.output
    assert snapshot(root) == after_first
    return first.output


@pytest.mark.slow
def test_a_kiosk_installs_into_a_root_and_a_second_run_changes_nothing(tmp_path, source):
    root = seed_root(tmp_path / "root")
    output = install_twice("--kiosk", "--root", root, "--source", source)
    assert "next: let pi log in to the desktop automatically" in output
    hymy, pi = ids(root, "hymy"), (1000, 1000)
    assert hymy[0] < 1000 and "gpio:x:" in (root / "etc/group").read_text()
    assert any(line.startswith("gpio:") and line.endswith(":hymy") for line in (root / "etc/group").read_text().split())

    assert owner_and_mode(root / "var/lib/hymy") == (hymy, 0o750)
    config = root / "etc/hymy/kiosk.toml"
    assert owner_and_mode(config) == ((0, hymy[1]), 0o640) and config.read_text() == KIOSK_CONFIG
    assert load_config(config, environ={}).data_dir == Path("/var/lib/hymy")
    for name in ("system/hymy-kiosk.service", "user/hymy-browser.service", "user/hymy-display.service",
                 "user/hymy-session.target"):
        unit = root / "etc/systemd" / name
        assert owner_and_mode(unit) == ((0, 0), 0o644) and unit.read_text() == (unit_dir() / unit.name).read_text()
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/hymy-kiosk.service") == \
        "/etc/systemd/system/hymy-kiosk.service"

    wants = root / "home/pi/.config/systemd/user/graphical-session.target.wants"
    for name in ("hymy-browser.service", "hymy-display.service"):
        assert os.readlink(wants / name) == f"/etc/systemd/user/{name}"
        assert owner_and_mode(wants / name)[0] == (0, 0)  # root's: see HomeSymlink for why
    for directory in (wants, *wants.parents[:3]):
        assert owner_and_mode(directory)[0] == pi
    entry = root / "home/pi/.config/autostart/hymy-session.desktop"
    assert owner_and_mode(entry) == (pi, 0o644) and "hymy-session.target" in entry.read_text()
    stamp = json.loads((root / "opt/hymy/hymy-install.json").read_text())
    assert stamp["source"] == str(source) and stamp["extras"] == ["pi"]
    assert "recorded: pip does not run under --root" in output


@pytest.mark.slow
def test_an_existing_config_is_kept_and_a_changed_source_is_installed_again(tmp_path, source):
    root = seed_root(tmp_path / "root")
    assert install("--kiosk", "--root", root, "--source", source).exit_code == 0
    config = root / "etc/hymy/kiosk.toml"
    config.write_text('data_dir = "/var/lib/hymy"\nlanguage = "sv"\n')
    (source / "kiosk/__init__.py").write_text('"""A new version."""\n')
    again = install("--kiosk", "--root", root, "--source", source)
    assert again.exit_code == 0, again.output
    changed = [line for line in again.output.splitlines() if line.startswith(("changed", "skipped"))]
    assert len(changed) == 2 and "virtual environment /opt/hymy" in changed[0] and "restart" in changed[1]
    assert config.read_text() == 'data_dir = "/var/lib/hymy"\nlanguage = "sv"\n'


def test_the_screen_opens_the_port_the_kiosk_config_names(tmp_path, source):
    root = seed_root(tmp_path / "root")
    config = root / "etc/hymy/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text('host = "0.0.0.0"\nport = 8123\n')
    done = install("--kiosk", "--root", root, "--source", source)
    assert done.exit_code == 0, done.output
    browser = (root / "etc/systemd/user/hymy-browser.service").read_text()
    assert "wait-ready --url http://127.0.0.1:8123/healthz" in browser and "http://127.0.0.1:8123/?kiosk" in browser
    assert "8000" not in browser
    display = (root / "etc/systemd/user/hymy-display.service").read_text()
    assert "hymy display --loop --url http://127.0.0.1:8123" in display

    config.write_text("port = 'eighty'\n")  # a config the kiosk itself would refuse
    broken = install("--kiosk", "--root", root, "--source", source)
    lines = broken.output.strip().splitlines()
    assert broken.exit_code == 2 and len(lines) == 1 and lines[0].startswith("hymy: /etc/hymy/kiosk.toml: "), \
        broken.output


@pytest.mark.slow
def test_central_installs_into_a_root_and_a_second_run_changes_nothing(tmp_path, source):
    root = seed_root(tmp_path / "root")
    output = install_twice("--central", "--root", root, "--source", source)
    assert "DATABASE_URL in /etc/hymy/central.env" in output
    central = ids(root, "hymy-central")
    assert owner_and_mode(root / "var/lib/hymy-central") == (central, 0o750)
    for name, text in (("central.toml", CENTRAL_CONFIG), ("central.env", CENTRAL_ENVIRONMENT)):
        assert owner_and_mode(root / "etc/hymy" / name) == ((0, central[1]), 0o640)
        assert (root / "etc/hymy" / name).read_text() == text
    assert load_central_config(root / "etc/hymy/central.toml", environ={}).data_dir == Path("/var/lib/hymy-central")
    wanted = {path.relative_to(root / "etc/systemd/system").as_posix(): os.readlink(path)
              for path in (root / "etc/systemd/system").glob("*.wants/*")}
    assert wanted == {f"{target}.wants/{name}": f"/etc/systemd/system/{name}" for target, name in (
        ("multi-user.target", "hymy-central.service"), ("multi-user.target", "hymy-central-worker.service"),
        ("timers.target", "hymy-central-prune.timer"))}
    # A kiosk on the same machine shares the environment: its extras add to central's.
    assert install("--kiosk", "--root", root, "--source", source).exit_code == 0
    assert json.loads((root / "opt/hymy/hymy-install.json").read_text())["extras"] == ["central", "pi"]


# What an install would touch on this machine (the dry runs below must leave it all as it was).
TOUCHED = ("/opt/hymy", "/etc/hymy", "/var/lib/hymy", "/var/lib/hymy-central", "/etc/systemd/system",
           "/etc/systemd/user", "/root/.config/systemd", "/root/.config/autostart")


def machine_state():
    """The accounts an install makes, and every path of hymy's where an install writes."""
    accounts = {line.split(":")[0] for name in ("passwd", "group") for line in Path(f"/etc/{name}").read_text().split()
                if line.startswith(("hymy:", "hymy-central:", "gpio:"))}
    paths = {}
    for top in map(Path, TOUCHED):
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            if (path.exists() or path.is_symlink()) and ("hymy" in path.name or path == top):
                info = path.lstat()
                paths[str(path)] = (info.st_mode, info.st_uid, info.st_size, info.st_mtime_ns)
    return accounts, paths


@pytest.mark.slow
@pytest.mark.parametrize("role", ["--kiosk", "--central"])
def test_a_dry_run_prints_every_step_and_changes_nothing_on_this_machine(role):
    before = machine_state()
    extra = ["--desktop-user", "root"] if role == "--kiosk" else []  # a user every machine has
    done = install(role, "--dry-run", *extra)
    assert done.exit_code == 0, done.output
    steps = done.output.splitlines()[:-1]
    assert set(statuses(done.output)) <= {"ok", "would", "skipped"} and "would" in statuses(done.output)
    assert done.output.splitlines()[-1].endswith("nothing was changed")
    user = "user hymy " if role == "--kiosk" else "user hymy-central "
    assert any(user in line for line in steps) and any("virtual environment /opt/hymy" in line for line in steps)
    assert machine_state() == before


def test_the_default_source_is_where_this_hymy_was_installed_from(tmp_path):
    assert installed_from() == ROOT  # this checkout, installed editable

    def distribution(direct_url):
        info = tmp_path / "hymy-0.1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hymy\nVersion: 0.1.0\n")
        (info / "direct_url.json").unlink(missing_ok=True)
        if direct_url is not None:
            (info / "direct_url.json").write_text(json.dumps(direct_url))
        return PathDistribution(info)

    wheel = tmp_path / "hymy-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"a wheel")
    assert installed_from(distribution({"url": wheel.as_uri(), "archive_info": {}})) == wheel
    for direct_url, why in ((None, "not installed from a local checkout or wheel"),
                            ({"url": "https://example.com/hymy.whl", "archive_info": {}}, "not from this machine"),
                            ({"url": (tmp_path / "gone").as_uri(), "dir_info": {}}, "which is gone")):
        with pytest.raises(CommandError) as failure:
            installed_from(distribution(direct_url))
        assert why in str(failure.value) and "pass --source PATH" in str(failure.value)


@pytest.mark.slow
def test_what_install_cannot_do_is_one_line(tmp_path, source):
    not_a_source = install("--kiosk", "--dry-run", "--desktop-user", "root", "--source", tmp_path)
    assert not_a_source.exit_code == 2 and "neither a hymy source checkout" in not_a_source.output
    for arguments, why in ((["--desktop-user", "kim"], "--desktop-user kim: no such user"),
                           (["--central", "--desktop-user", "pi"], "--desktop-user is for --kiosk"),
                           ([], "a browser: no Chromium (/usr/bin/chromium or /usr/bin/chromium-browser)")):
        root = seed_root(tmp_path / f"root{len(why)}", chromium="firefox")
        role = [] if "--central" in arguments else ["--kiosk"]
        done = install(*role, *arguments, "--root", root, "--source", source)
        lines = done.output.strip().splitlines()
        assert done.exit_code != 0 and len(lines) == 1 and lines[0].startswith("hymy: ") and why in lines[0], \
            done.output
        assert snapshot(root) == snapshot(seed_root(tmp_path / f"fresh{len(why)}", chromium="firefox"))


def test_every_missing_prerequisite_is_named_at_once(tmp_path, source):
    """A tree without its user database and browser, or a desktop user without a home: one run says it all."""
    bare = tmp_path / "bare"
    bare.mkdir()
    done = install("--kiosk", "--root", bare, "--source", source)
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert done.output.strip().splitlines() == [
        f"hymy: missing for hymy install: (1) the user database: no etc/passwd, etc/group, etc/shadow, etc/gshadow "
        f"under --root {bare} (useradd --root and groupadd --root work on them: copy them from the system the tree "
        f"is for); (2) a browser: no Chromium (/usr/bin/chromium or /usr/bin/chromium-browser) under --root {bare} "
        "(install it first: sudo apt install chromium, or chromium-browser on older Raspberry Pi OS)"]
    assert list(bare.iterdir()) == []

    homeless = seed_root(tmp_path / "homeless", chromium="firefox")
    (homeless / "home/pi").rmdir()
    (homeless / "etc/gshadow").unlink()
    before = snapshot(homeless)
    done = install("--kiosk", "--root", homeless, "--source", source)
    assert done.exit_code == 2
    line = done.output.strip()
    assert line.startswith("hymy: missing for hymy install: (1) the user database: no etc/gshadow under --root ")
    assert "(2) the desktop user's home: /home/pi of pi does not exist" in line
    assert "(3) a browser: no Chromium" in line and "(4)" not in line
    assert snapshot(homeless) == before

    central = install("--central", "--root", bare, "--source", source)  # central needs no screen
    assert central.exit_code == 2
    assert central.output.startswith("hymy: missing for hymy install: the user database: no etc/passwd")
    assert "browser" not in central.output


@pytest.mark.parametrize("planted", [".config", ".config/autostart", ".config/autostart/hymy-session.desktop"])
def test_a_link_the_desktop_user_planted_is_not_followed(tmp_path, source, planted):
    """The desktop user owns their home: a link there must not lead root's writes elsewhere."""
    root = seed_root(tmp_path / "root")
    victim = tmp_path / "victim"  # stands for /etc: root's, with a file the link would have root replace
    victim.mkdir()
    (victim / "hymy-session.desktop").write_text("root's own\n")
    link = root / "home/pi" / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim / "hymy-session.desktop" if planted.endswith(".desktop") else victim)
    before = snapshot(victim)
    done = install("--kiosk", "--root", root, "--source", source)
    assert snapshot(victim) == before and os.stat(victim).st_uid == 0
    if planted.endswith(".desktop"):  # a link in the user's own directory is just replaced by the entry
        assert done.exit_code == 0, done.output
        assert not link.is_symlink() and "hymy-session.target" in link.read_text()
    else:
        assert done.exit_code != 0 and "not following it" in done.output.strip().splitlines()[-1], done.output
        assert "Traceback" not in done.output


@pytest.mark.slow
def test_install_refuses_a_user_who_is_not_root():
    done = run_hymy("install", "--kiosk", as_uid=65534)
    assert done.returncode == 1 and done.stderr.strip() == "hymy: hymy install must run as root: " \
        "sudo /path/to/hymy install …"
