"""Root's ``hymy`` on an installed kiosk (or central) runs as the service user who owns the data dir.

Today's failure this prevents: a root ``hymy sync`` left a root-owned
``sync.lock`` the kiosk could not reopen. Run for real: this machine runs the
tests as root, a throwaway system account owns the data dir, and each
command runs in its own process (a process that drops root cannot get it
back).
"""
import os
import tempfile
from pathlib import Path

import pytest

from kiosk.storage.enrollment import Enrollment, save_enrollment
from tests.helpers.as_user import run_hymy, system_user
from tests.helpers.live import free_port

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="only root changes users"),
              # useradd refuses while another holds /etc/passwd's lock: one worker makes the accounts.
              pytest.mark.xdist_group("system-users")]


@pytest.fixture
def shared_dir():
    """A directory every user may enter (pytest's own tmp_path is root's alone)."""
    with tempfile.TemporaryDirectory(prefix="hymy-privileges-") as path:
        os.chmod(path, 0o755)
        yield Path(path)


def owned_by(directory, account):
    """Paths under *directory* not owned by *account* (user and group)."""
    return [str(p) for p in [directory, *directory.rglob("*")]
            if (p.lstat().st_uid, p.lstat().st_gid) != (account.pw_uid, account.pw_gid)]


def one_line(done, *expected):
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hymy: "), done.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_root_runs_kiosk_commands_as_the_data_dirs_owner(shared_dir):
    with system_user() as account:
        data_dir = shared_dir / "data"
        data_dir.mkdir(mode=0o750)
        os.chown(data_dir, account.pw_uid, account.pw_gid)
        env = {"HYMY_DATA_DIR": str(data_dir)}
        # Enrolling with a central that is not there makes the kiosk (its id and database) and fails to connect.
        url = f"http://127.0.0.1:{free_port()}/"
        enrolled = run_hymy("enroll", url, "token", env=env)
        assert enrolled.returncode == 1 and "central unreachable" in enrolled.stderr, enrolled.stderr
        # Enrolled with that central: a pass takes the sync lock, then fails to connect.
        save_enrollment(data_dir, Enrollment(url, "token"))
        os.chown(data_dir / "enrollment.json", account.pw_uid, account.pw_gid)

        assert run_hymy("set-pin", env=env, stdin="2468\n2468\n").returncode == 0
        synced = run_hymy("sync", env=env)
        assert synced.returncode == 1 and "central" in synced.stderr, synced.stderr
        status = run_hymy("sync", "--status", env=env)
        assert status.returncode == 0, status.stderr

        assert {"manager_pin", "sync.lock", "hymy.sqlite3", "kiosk_id"} <= {p.name for p in data_dir.iterdir()}
        assert owned_by(data_dir, account) == []


def test_root_runs_central_commands_as_the_data_dirs_owner(shared_dir):
    with system_user() as account:
        data_dir = shared_dir / "central"
        data_dir.mkdir(mode=0o750)
        os.chown(data_dir, account.pw_uid, account.pw_gid)
        done = run_hymy("central", "migrate", env={"HYMY_CENTRAL_DATA_DIR": str(data_dir)})
        assert done.returncode == 0, done.stderr
        assert (data_dir / "central.sqlite3").exists()
        assert owned_by(data_dir, account) == []


def test_root_refuses_a_data_dir_of_a_person_or_of_no_user(shared_dir):
    data_dir = shared_dir / "data"
    data_dir.mkdir()
    env = {"HYMY_DATA_DIR": str(data_dir)}
    os.chown(data_dir, 65534, 65534)  # nobody: not a service account
    one_line(run_hymy("sync", "--status", env=env), "belongs to user nobody", "run hymy sync as that user")
    os.chown(data_dir, 54321, 54321)  # no user at all
    one_line(run_hymy("set-pin", env=env, stdin="2468\n2468\n"), "uid 54321, which has no user")
    assert list(data_dir.iterdir()) == []
    # install manages owners itself, and help is only help.
    assert "Usage: hymy sync" in run_hymy("sync", "--help", env=env).stdout

