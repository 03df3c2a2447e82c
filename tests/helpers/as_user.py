"""Running this checkout's ``hymy`` in a process that is, or becomes, another user than root.

Such a process must be able to read its own interpreter. The virtual
environment's Python may live where only root can reach it (a pyenv build
under ``/root``, mode 0700): a process that drops root would then fail at its
next lazy import. In that case the system's Python of the same version runs
the same code from the environment's site-packages, which every user can
read. Changing users in the test process itself could not be undone, so it
always happens in a subprocess.
"""
import os
import pwd
import stat
import subprocess
import sys
import sysconfig
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readable_by_everyone(path):
    """True when every directory down to *path* lets others in."""
    return all(os.stat(part).st_mode & stat.S_IXOTH for part in [path, *path.parents])


def python_argv(code):
    """The argv that runs Python *code* with this environment's packages and an interpreter any user may read."""
    if _readable_by_everyone(Path(sys.base_prefix).resolve()):
        return [sys.executable, "-c", code]
    system_python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    assert system_python.exists(), f"no interpreter other users may run: {sys.base_prefix} is private"
    return [str(system_python), "-c", f"import site; site.addsitedir({sysconfig.get_path('purelib')!r}); {code}"]


def hymy_argv():
    """The argv that runs ``hymy`` with an interpreter any user may read."""
    return python_argv("from kiosk.cli import main; main(prog_name='hymy')")


def run_hymy(*arguments, env=None, stdin=None, as_uid=None, cwd=None):
    """Run ``hymy ARGUMENTS`` in a subprocess (as root, or as *as_uid* via setpriv); the CompletedProcess."""
    prefix = [] if as_uid is None else ["setpriv", f"--reuid={as_uid}", f"--regid={as_uid}", "--clear-groups"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HYMY_")}
    environment.update(env or {})
    return subprocess.run([*prefix, *hymy_argv(), *arguments], env=environment, input=stdin, capture_output=True,
                          text=True, timeout=60, cwd=cwd or ROOT)


@contextmanager
def system_user():
    """A throwaway system account (a service user, as hymy install makes them), removed afterwards."""
    name = f"hymy-test-{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True, timeout=30)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=True, capture_output=True, timeout=30)
