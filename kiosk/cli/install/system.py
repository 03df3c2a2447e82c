"""The system ``hymy install`` works on: this machine, or a directory tree under ``--root``.

Every path an install step names is a path on the installed system
(``/etc/hymy``); :meth:`System.path` finds it on disk. Users and groups are
read from the tree's own ``etc/passwd`` and ``etc/group``, because
``useradd --root DIR`` writes them there and the ``pwd`` module reads only this
machine's database; files are then owned by the ids the tree allocated, so
ownership under a root means what it will mean on the installed system.
"""
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sync.common.cli_errors import CommandError


@dataclass(frozen=True)
class Account:
    """One line of ``etc/passwd``, with the groups that list the user as a member."""

    name: str
    uid: int
    gid: int
    home: str
    groups: frozenset[str]


class System:
    """The machine (``root`` = ``/``) or a tree under ``--root``; commands run with ``--root`` there."""

    def __init__(self, root: str | os.PathLike[str] = "/") -> None:
        self.root = Path(root).resolve()
        self.live = self.root == Path("/")

    def path(self, system_path: str | os.PathLike[str]) -> Path:
        """Where the installed system's absolute *system_path* is on disk."""
        return self.root / str(system_path).lstrip("/")

    @property
    def systemd_running(self) -> bool:
        """True on this machine when systemd is its init (sd_booted(3) checks the same directory)."""
        return self.live and Path("/run/systemd/system").is_dir()

    def _lines(self, name: str) -> list[list[str]]:
        try:
            text = self.path(f"/etc/{name}").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]

    def group_id(self, name: str) -> int | None:
        """The gid of group *name*, or None."""
        return next((int(fields[2]) for fields in self._lines("group") if fields[0] == name), None)

    def account(self, name: str | None = None, uid: int | None = None) -> Account | None:
        """The account called *name* (or with *uid*), or None."""
        for fields in self._lines("passwd"):
            if len(fields) >= 6 and (fields[0] == name or (uid is not None and fields[2] == str(uid))):
                groups = frozenset(g[0] for g in self._lines("group") if len(g) >= 4 and fields[0] in g[3].split(","))
                return Account(fields[0], int(fields[2]), int(fields[3]), fields[5], groups)
        return None

    def ids(self, user: str, group: str) -> tuple[int | None, int | None]:
        """``(uid, gid)`` of *user* and *group* by name, None for one that does not exist yet."""
        account = self.account(user)
        return (account.uid if account else None), self.group_id(group)

    def run(self, *command: str, check: bool = True, timeout: int | None = 300) -> subprocess.CompletedProcess[str]:
        """Run a system tool (useradd, systemctl …); with *check*, a failure is one line.

        The user tools get ``--root`` under a root; systemctl's callers pass
        ``--root=`` themselves, since reloading and restarting take none.
        *timeout* None waits as long as it takes (pip building a wheel on a Pi).
        """
        argv = list(command)
        if not self.live and argv[0] in ("useradd", "usermod", "groupadd"):
            argv[1:1] = ["--root", str(self.root)]
        if shutil.which(argv[0]) is None:
            raise CommandError(f"{argv[0]} is not installed on this machine; hymy install needs it")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CommandError(f"{' '.join(argv)} did not finish within {timeout} s") from None
        if check and done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise CommandError(f"{' '.join(argv)} failed: {detail[-1] if detail else f'exit {done.returncode}'}")
        return done

    def group_name(self, gid: int) -> str | None:
        """The name of the group with *gid*, or None."""
        return next((fields[0] for fields in self._lines("group") if len(fields) >= 3 and fields[2] == str(gid)), None)
