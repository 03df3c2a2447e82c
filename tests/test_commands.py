"""Failures a person causes while setting up are one line naming what to
change, exit 1 (2 for config), never a traceback: a missing extra, a busy
port, a data dir this user may not write, a misspelled variable. Status
commands write nothing."""
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from importlib.metadata import PathDistribution
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from kiosk.cli import main, options
from kiosk.cli.environment import unknown_variables
from kiosk.storage.enrollment import Enrollment, save_enrollment
from kiosk.storage.process_lock import hold_running_lock
from sync.common.cli_errors import address_error, data_dir_error
from sync.common.origin import extra_install
from tests.helpers.commands import snapshot, started_kiosk_dir
from tests.helpers.live import answers, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent


def invoke(args, env=None, input=None):
    """Run ``hymy ARGS`` in this process, with only *env*'s HYMY_* variables set (and *input* on stdin)."""
    clean = {name: None for name in os.environ if name.startswith("HYMY_")}
    return CliRunner().invoke(main, args, env={**clean, **(env or {})}, input=input)


def one_line(result):
    """The single line a failure printed (and no traceback)."""
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert len(lines) == 1, result.output
    return lines[0]


def hymy_without(modules, *args, env=None, cwd=ROOT):
    """Run ``hymy ARGS`` in a fresh interpreter where *modules* cannot be imported
    (an install without the ``central`` extra)."""
    blocker = textwrap.dedent(f"""
        import sys
        for name in {list(modules)!r}:
            sys.modules[name] = None  # import raises ModuleNotFoundError, as when not installed
        sys.argv = ["hymy", *sys.argv[1:]]
        from kiosk.cli import main
        main()
    """)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    environ.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", blocker, *args], capture_output=True, text=True, env=environ,
                          timeout=60, stdin=subprocess.DEVNULL, cwd=cwd)


@pytest.fixture
def busy_port():
    """A port another program listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory on a read-only file system (a tmpfs mounted ``ro``), holding *seed* first."""
    mounted = []

    def make(seed=None):
        target = tmp_path / f"ro{len(mounted)}"
        target.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(target)],
                          capture_output=True).returncode != 0:
            pytest.skip("mounting a file system needs privileges this run lacks")
        mounted.append(target)
        if seed is not None:
            subprocess.run(["cp", "-a", f"{seed}/.", str(target)], check=True)
        subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
        return target

    yield make
    for target in mounted:
        subprocess.run(["umount", str(target)], check=True)


# --- the central extra ----------------------------------------------------------------

@pytest.mark.slow
def test_central_serve_without_gunicorn_names_the_install_that_works_from_this_checkout(tmp_path):
    """This hymy is installed from its checkout (hymy is on no index): the hint installs the checkout's extra."""
    result = hymy_without(["gunicorn"], "central", "serve", env={"HYMY_CENTRAL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip() == ("hymy: hymy central serve needs the Python package 'gunicorn', "
                                     "which is not installed: pip install '.[central]'")
    elsewhere = hymy_without(["gunicorn"], "central", "serve", env={"HYMY_CENTRAL_DATA_DIR": str(tmp_path)},
                             cwd=tmp_path)
    assert elsewhere.stderr.strip().endswith(f"which is not installed: pip install '{ROOT}[central]'")


@pytest.mark.slow
def test_a_postgresql_url_without_its_driver_names_the_install():
    result = hymy_without(["psycopg2"], "central", "add-service", "Pharmacy",
                          env={"HYMY_CENTRAL_DATABASE_URL": "postgresql://hymy@127.0.0.1:1/hymy"})
    assert result.returncode == 1
    assert result.stderr.strip() == ("hymy: database_url is a PostgreSQL address, but its driver (psycopg2) "
                                     "is not installed: pip install '.[central]'")


def installed_distribution(tmp_path, direct_url):
    """A hymy distribution's metadata as pip leaves it, with *direct_url* recorded (None: from an index)."""
    info = tmp_path / "hymy-0.1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hymy\nVersion: 0.1.0\n")
    (info / "direct_url.json").unlink(missing_ok=True)
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return PathDistribution(info)


def test_the_extra_hint_fits_each_way_hymy_is_installed(tmp_path, monkeypatch):
    checkout, wheel = tmp_path / "hymy", tmp_path / "hymy-0.1.0-py3-none-any.whl"
    checkout.mkdir()
    wheel.write_bytes(b"a wheel")
    monkeypatch.chdir(checkout)
    cases = [
        ({"url": checkout.as_uri(), "dir_info": {"editable": True}}, "pip install '.[central]'"),
        ({"url": checkout.as_uri(), "dir_info": {}}, "pip install '.[central]'"),
        ({"url": wheel.as_uri(), "archive_info": {}}, f"pip install '{wheel}[central]'"),
        ({"url": "git+https://example.com/hymy.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
         "pip install 'hymy[central] @ git+https://example.com/hymy.git'"),
        (None, "pip install 'hymy[central]'"),  # from an index
        ("not json", "pip install 'hymy[central]'"),
    ]
    for direct_url, hint in cases:
        distribution = installed_distribution(tmp_path, direct_url)
        if direct_url == "not json":
            (distribution._path / "direct_url.json").write_text("{")
        assert extra_install("central", distribution) == hint, direct_url
    monkeypatch.chdir(tmp_path)  # the checkout is elsewhere: its path, not "."
    distribution = installed_distribution(tmp_path, {"url": checkout.as_uri(), "dir_info": {}})
    assert extra_install("central", distribution) == f"pip install '{checkout}[central]'"


# --- ports ---------------------------------------------------------------------------------

def test_kiosk_on_a_busy_port_is_one_line(tmp_path, busy_port):
    result = invoke(["kiosk", "--port", str(busy_port)],
                    env={"HYMY_DATA_DIR": str(tmp_path / "data"), "HYMY_PIN_FACTORY": "mock"})
    assert result.exit_code == 1
    # The kiosk logs as it opens its database (logfmt lines, for the journal); the failure is one line.
    said = [line for line in result.output.strip().splitlines() if not line.startswith("time=")]
    assert "Traceback" not in result.output and len(said) == 1, result.output
    assert said[0] == (f"hymy: port {busy_port}: another program already listens on 127.0.0.1:{busy_port}; "
                                "choose a free one with --port (config key port)")


def test_a_second_kiosk_on_a_data_dir_stops_before_it_opens_the_database(tmp_path):
    """The running kiosk's lock is looked at first: the second neither migrates nor claims pins."""
    data = tmp_path / "data"
    data.mkdir()
    with hold_running_lock(data, "http://127.0.0.1:8000/"):
        result = invoke(["kiosk", "--port", str(free_port())],
                        env={"HYMY_DATA_DIR": str(data), "HYMY_PIN_FACTORY": "mock"})
    assert result.exit_code == 1
    assert one_line(result).startswith(f"hymy: another kiosk process already serves {data}; stop it first")
    assert sorted(path.name for path in data.iterdir()) == ["kiosk.lock"]  # no database, no kiosk id


def test_central_serve_on_a_busy_port_is_one_line_before_gunicorn_starts(tmp_path, busy_port):
    result = invoke(["central", "serve", "--port", str(busy_port)], env={"HYMY_CENTRAL_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert one_line(result).startswith(f"hymy: port {busy_port}: another program already listens")


def test_central_serve_on_an_unknown_host_is_a_config_line(tmp_path):
    result = invoke(["central", "serve", "--host", "no-such-host.invalid"],
                    env={"HYMY_CENTRAL_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert one_line(result).startswith("hymy: host no-such-host.invalid: ")


@pytest.mark.parametrize(("code", "expected"), [
    (errno.EACCES, "this user may not listen on 0.0.0.0:80 (ports below 1024 need privileges)"),
    (errno.EADDRNOTAVAIL, "host 0.0.0.0: not an address of this machine"),
    (errno.EADDRINUSE, "another program already listens on 0.0.0.0:80"),
])
def test_each_listening_failure_names_what_to_change(code, expected):
    message = address_error("0.0.0.0", 80, OSError(code, os.strerror(code))).format_message()
    assert expected in message and ("--port" in message or "--host" in message)


# --- the data dir --------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["kiosk"], ["sync"], ["sync", "--requeue"], ["enroll", "https://c.example/"]])
def test_a_read_only_data_dir_is_one_line_naming_data_dir(tmp_path, read_only_dir, args):
    data = read_only_dir(seed=started_kiosk_dir(tmp_path))
    before = snapshot(data)
    result = invoke(args, env={"HYMY_DATA_DIR": str(data), "HYMY_PIN_FACTORY": "mock"}, input="t\n")
    assert result.exit_code == 1
    assert one_line(result) == (f"hymy: data_dir {data}: the file system is read-only; set data_dir in the config "
                                "(or HYMY_DATA_DIR) to a directory this user may write")
    assert snapshot(data) == before


def test_a_data_dir_that_cannot_be_made_is_one_line(tmp_path, read_only_dir):
    data = read_only_dir() / "hymy"
    result = invoke(["kiosk"], env={"HYMY_DATA_DIR": str(data), "HYMY_PIN_FACTORY": "mock"})
    assert result.exit_code == 1
    assert one_line(result).startswith(f"hymy: data_dir {data}: the file system is read-only; set data_dir")


def test_a_file_in_the_data_dirs_path_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    data = tmp_path / "file" / "hymy"
    for args in (["kiosk"], ["sync"]):
        result = invoke(args, env={"HYMY_DATA_DIR": str(data), "HYMY_PIN_FACTORY": "mock"})
        assert result.exit_code == 1
        assert one_line(result).startswith(f"hymy: data_dir {data}: a part of the path is a file, not a directory")


def test_central_on_a_read_only_data_dir_is_one_line(read_only_dir):
    data = read_only_dir() / "central"
    result = invoke(["central", "add-service", "Pharmacy"], env={"HYMY_CENTRAL_DATA_DIR": str(data)})
    assert result.exit_code == 1
    assert one_line(result) == (f"hymy: data_dir {data}: the file system is read-only; set data_dir in the config "
                                "(or HYMY_CENTRAL_DATA_DIR, or database_url) to a directory this user may write")


def test_permission_denied_names_the_user_and_data_dir():
    message = data_dir_error(Path("/var/lib/hymy"), PermissionError(errno.EACCES, "Permission denied")).message
    assert message.startswith("data_dir /var/lib/hymy: permission denied for user ")
    assert message.endswith("set data_dir in the config (or HYMY_DATA_DIR) to a directory this user may write")


# --- status writes nothing ----------------------------------------------------------------

def test_sync_status_on_a_new_data_dir_creates_nothing(tmp_path):
    data = tmp_path / "never-started"
    result = invoke(["sync", "--status"], env={"HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 1
    assert one_line(result) == (f"hymy: data_dir {data}: no kiosk database yet "
                                "(the kiosk makes it on its first start)")
    assert not data.exists()


def test_without_config_an_installed_kiosk_config_is_used(tmp_path, monkeypatch):
    """On an installed kiosk ``sudo hymy …`` acts on that kiosk, not on a fresh one in root's home."""
    installed, other = tmp_path / "kiosk.toml", tmp_path / "other.toml"
    installed.write_text(f'data_dir = "{tmp_path / "installed"}"\n')
    other.write_text(f'data_dir = "{tmp_path / "other"}"\n')
    monkeypatch.setattr(options, "INSTALLED_CONFIG", installed)
    assert f"data_dir {tmp_path / 'installed'}: no kiosk database yet" in one_line(invoke(["sync", "--status"]))
    named = invoke(["sync", "--status"], env={"HYMY_CONFIG": str(other)})
    assert f"data_dir {tmp_path / 'other'}: no kiosk database yet" in one_line(named)
    monkeypatch.setattr(options, "INSTALLED_CONFIG", tmp_path / "absent.toml")
    monkeypatch.delenv("HYMY_CONFIG", raising=False)
    assert options._config_path(None, None, None) is None  # no file there: the built-in defaults


def test_sync_status_changes_no_file_of_a_used_kiosk(tmp_path):
    data = started_kiosk_dir(tmp_path)
    before = snapshot(data)
    result = invoke(["sync", "--status"], env={"HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert "kiosk sequence:  1..1" in result.output
    after = snapshot(data)
    # SQLite's reader files may appear beside the database; the data itself is untouched.
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) <= {"hymy.sqlite3-wal", "hymy.sqlite3-shm"}
    assert (data / "hymy.sqlite3-wal").stat().st_size == 0 if (data / "hymy.sqlite3-wal").exists() else True


def test_sync_status_reads_a_read_only_kiosk(tmp_path, read_only_dir):
    data = read_only_dir(seed=started_kiosk_dir(tmp_path))
    result = invoke(["sync", "--status"], env={"HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("status:          ok\n")
    assert "kiosk sequence:  1..1" in result.output


def test_sync_status_of_a_kiosk_with_no_ratings_says_so(tmp_path):
    data = started_kiosk_dir(tmp_path, ratings=0)
    result = invoke(["sync", "--status"], env={"HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert "kiosk sequence:  no ratings yet\n" in result.output and "1..0" not in result.output


# --- commands that act on a kiosk do not make one -------------------------------------------

@pytest.mark.parametrize("args", [["sync"], ["sync", "--requeue"], ["sync", "--requeue", "--id", "x"]])
def test_sync_and_requeue_without_a_kiosk_database_make_nothing(tmp_path, args):
    """A mistyped data dir is one line, not a new kiosk id and an empty database."""
    absent, empty = tmp_path / "never-started", tmp_path / "empty"
    empty.mkdir()
    for data in (absent, empty):
        result = invoke(args, env={"HYMY_DATA_DIR": str(data)})
        assert result.exit_code == 1
        assert one_line(result) == (f"hymy: data_dir {data}: no kiosk database yet (the kiosk makes it on its "
                                    "first start); check --config or HYMY_DATA_DIR, or start the kiosk first")
    assert not absent.exists() and list(empty.iterdir()) == []


def test_enroll_on_a_new_data_dir_still_makes_the_kiosk(tmp_path):
    """Enrollment may come before the kiosk's first start: it makes the kiosk's id and database, as documented."""
    data = tmp_path / "new"
    result = invoke(["enroll", f"http://127.0.0.1:{free_port()}/"], env={"HYMY_DATA_DIR": str(data)}, input="token\n")
    assert result.exit_code == 1  # nothing listens there
    assert {"kiosk_id", "hymy.sqlite3"} <= {path.name for path in data.iterdir()}


def test_enroll_with_central_unreachable_names_the_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    result = invoke(["enroll", url], env={"HYMY_DATA_DIR": str(tmp_path / "kiosk")}, input="token\n")
    assert result.exit_code == 1
    assert one_line(result) == f"hymy: {url}: central unreachable: ConnectionError"


def test_sync_with_central_unreachable_names_the_url(tmp_path):
    data = started_kiosk_dir(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    save_enrollment(data, Enrollment(url, "token", "kiosk-1", "Site"))
    result = invoke(["sync"], env={"HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 1
    assert one_line(result) == f"hymy: {url}: central unreachable: ConnectionError"


# --- sync --loop when not enrolled ----------------------------------------------------------

@pytest.mark.slow
def test_sync_loop_not_enrolled_says_so_and_waits(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    env.update(HYMY_DATA_DIR=str(tmp_path / "data"), HYMY_SYNC_INTERVAL="1", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "--loop"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        first = process.stderr.readline()
        assert first == ("hymy: not enrolled yet: run hymy enroll URL (with the token from hymy central "
                         "add-kiosk); checking again every 1 s\n")
        assert process.poll() is None  # it waits for the enrollment instead of ending
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in rest
    # The skip is logged once, not every second while it lasts.
    assert rest.count("sync skipped: not enrolled") <= 1


# --- the environment -----------------------------------------------------------------------

def test_a_misspelled_variable_is_a_warning_with_the_right_name(tmp_path):
    data = started_kiosk_dir(tmp_path)
    result = invoke(["sync", "--requeue"], env={"HYMY_PROT": "8080", "HYMY_DATA_DIR": str(data)})
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "hymy: warning: HYMY_PROT is not a setting and is ignored (did you mean HYMY_PORT?)",
        "no quarantined rows to requeue",
    ]


def test_central_commands_check_central_variables_only(tmp_path):
    result = invoke(["central", "add-service", "Pharmacy"], env={
        "HYMY_CENTRAL_DATA_DIR": str(tmp_path), "HYMY_CENTRAL_PORTT": "1", "HYMY_PORT": "8080"})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "hymy: warning: HYMY_CENTRAL_PORTT is not a setting and is ignored (did you mean HYMY_CENTRAL_PORT?)")
    assert "HYMY_PORT" not in result.output


def test_known_variables_and_the_other_parts_are_not_reported():
    environ = {"HYMY_PORT": "1", "HYMY_CONFIG": "x", "HYMY_CENTRAL_PORT": "2", "HYMY_CENTRAL_CONFIG": "y",
               "PATH": "/bin", "HYMY_WHATEVER": "z"}
    assert unknown_variables(environ, central=False) == [("HYMY_WHATEVER", None)]
    assert unknown_variables(environ, central=True) == []


# --- stopping --------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_kiosk_stops_at_once_on_sigterm_with_a_screen_open(tmp_path):
    """systemd's stop: an open event stream must not hold the kiosk for waitress's 5 s per thread."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    env.update(HYMY_DATA_DIR=str(tmp_path / "data"), HYMY_PIN_FACTORY="mock", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "kiosk", "--port", str(port)], env=env,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), message="kiosk up", process=process)
        with requests.get(f"http://127.0.0.1:{port}/events", stream=True, timeout=10) as stream:
            assert stream.status_code == 200
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
            stopped_after = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in stderr and "still running" not in stderr
    assert stopped_after < 4.5, f"stopping took {stopped_after:.1f} s: the stream held a thread"
