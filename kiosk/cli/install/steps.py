"""The steps ``hymy install`` is made of: each looks at the system first and changes it only when needed.

A step has a ``title`` (what it makes true, printed on every run), ``needed``
(does the system differ?) and ``apply`` (make it so; may return a note). So a
second run finds every step ``ok`` and ``--dry-run`` can print every action
without taking one. Owners are names, resolved on the system the step works
on (:class:`~kiosk.cli.install.system.System`); a user an earlier step creates
is there by the time a later step needs its id.
"""
import os
import stat
from dataclasses import dataclass

from kiosk.cli.install.system import System
from sync.common.cli_errors import CommandError
from sync.common.files import create_file_once, replace_file


class Step:
    """What every step shares: whether this run changed it, and whether it must be left out here."""

    @property
    def title(self) -> str:
        """What the step makes true, printed on every run."""
        raise NotImplementedError
    #: Set by the run once the step changed the system (or, with --dry-run, would have).
    changed = False

    def needed(self, system: System) -> bool:
        """Whether *system* differs from what the step makes true."""
        raise NotImplementedError

    def apply(self, system: System) -> str | None:
        """Make it so; return a note for the step's line, or None."""
        raise NotImplementedError

    def skipped(self, system: System) -> str | None:
        """Why the step cannot be taken on *system* (None: it can)."""
        return None


def _owner_differs(system: System, path: str, user: str, group: str, info: os.stat_result | None = None) -> bool:
    info = info or os.lstat(system.path(path))
    uid, gid = system.ids(user, group)
    return (info.st_uid, info.st_gid) != (uid, gid)


def owner_ids(system: System, path: str, user: str, group: str) -> tuple[int, int]:
    """``(uid, gid)`` of *user* and *group*, who are to own *path*; one line when either is missing."""
    uid, gid = system.ids(user, group)
    if uid is None or gid is None:  # an earlier step makes them: only a broken user database gets here
        raise CommandError(f"{path}: no user {user} or no group {group} on this system to own it")
    return uid, gid


def _chown(system: System, path: str, user: str, group: str) -> None:
    os.lchown(system.path(path), *owner_ids(system, path, user, group))


@dataclass
class Group(Step):
    """A system group (``gpio`` on a Debian without Raspberry Pi OS's)."""

    name: str

    @property
    def title(self) -> str:
        return f"group {self.name}"

    def needed(self, system: System) -> bool:
        return system.group_id(self.name) is None

    def apply(self, system: System) -> None:
        system.run("groupadd", "--system", self.name)


@dataclass
class User(Step):
    """A system user with its own group, *home* (not created: systemd's StateDirectory is it), no login shell."""

    name: str
    home: str
    comment: str
    groups: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        member = f", member of {', '.join(self.groups)}" if self.groups else ""
        return f"user {self.name} (system account, home {self.home}{member})"

    def needed(self, system: System) -> bool:
        account = system.account(self.name)
        return account is None or not set(self.groups) <= account.groups

    def apply(self, system: System) -> None:
        if system.account(self.name) is None:
            extra = ["--groups", ",".join(self.groups)] if self.groups else []
            system.run("useradd", "--system", "--user-group", "--home-dir", self.home, "--no-create-home",
                       "--shell", "/usr/sbin/nologin", "--comment", self.comment, *extra, self.name)
        else:
            system.run("usermod", "--append", "--groups", ",".join(self.groups), self.name)


@dataclass
class Directory(Step):
    """A directory with its owner; *mode* None keeps the mode of one that exists (a user's own ``~/.config``)."""

    path: str
    user: str
    group: str
    mode: int | None = 0o755

    @property
    def title(self) -> str:
        return f"directory {self.path} ({self.user}:{self.group}{f' {self.mode:04o}' if self.mode else ''})"

    def needed(self, system: System) -> bool:
        try:
            info = os.lstat(system.path(self.path))
        except FileNotFoundError:
            return True
        if not stat.S_ISDIR(info.st_mode) or (self.mode is not None and stat.S_IMODE(info.st_mode) != self.mode):
            return True
        return _owner_differs(system, self.path, self.user, self.group, info)

    def apply(self, system: System) -> None:
        where = system.path(self.path)
        existed = where.is_dir()
        where.mkdir(parents=True, exist_ok=True)  # parents (/var/lib under a bare root) as the umask says
        if self.mode is not None or not existed:
            os.chmod(where, self.mode or 0o755)  # mkdir's mode is narrowed by the umask
        _chown(system, self.path, self.user, self.group)


@dataclass
class File(Step):
    """A file with this *text*, owner and mode; with *keep*, one that exists is never touched (a config file)."""

    path: str
    text: str
    user: str = "root"
    group: str = "root"
    mode: int = 0o644
    keep: bool = False

    @property
    def title(self) -> str:
        kept = ", kept as it is if it exists" if self.keep else ""
        return f"file {self.path} ({self.user}:{self.group} {self.mode:04o}{kept})"

    def needed(self, system: System) -> bool:
        where = system.path(self.path)
        try:
            info = os.lstat(where)
        except FileNotFoundError:
            return True
        if self.keep:
            return False
        return (not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != self.mode
                or _owner_differs(system, self.path, self.user, self.group, info)
                or where.read_text(encoding="utf-8") != self.text)

    def apply(self, system: System) -> None:
        where = system.path(self.path)
        (create_file_once if self.keep else replace_file)(where, self.text, self.mode)
        _chown(system, self.path, self.user, self.group)


@dataclass
class Symlink(Step):
    """A symbolic link to *target* (a path on the installed system), owned by *user*."""

    path: str
    target: str
    user: str
    group: str

    @property
    def title(self) -> str:
        return f"link {self.path} -> {self.target} ({self.user})"

    def needed(self, system: System) -> bool:
        where = system.path(self.path)
        if not where.is_symlink():
            return True
        return os.readlink(where) != self.target or _owner_differs(system, self.path, self.user, self.group)

    def apply(self, system: System) -> None:
        where = system.path(self.path)
        if where.is_symlink() or where.exists():
            where.unlink()
        where.symlink_to(self.target)
        _chown(system, self.path, self.user, self.group)


@dataclass
class EnabledUnit(Step):
    """A system unit enabled (started at boot), by ``systemctl enable``, which works on files alone."""

    unit: str

    @property
    def title(self) -> str:
        return f"enable {self.unit}"

    def needed(self, system: System) -> bool:
        done = system.run("systemctl", f"--root={system.root}", "is-enabled", self.unit, check=False)
        return done.stdout.strip() != "enabled"

    def apply(self, system: System) -> None:
        system.run("systemctl", f"--root={system.root}", "enable", self.unit)


@dataclass
class Restarted(Step):
    """Reload systemd and restart *units* that run when a step in *after* changed: an upgrade takes effect."""

    units: tuple[str, ...]
    after: list[Step]

    @property
    def title(self) -> str:
        return f"restart {', '.join(self.units)} if running and changed"

    def needed(self, system: System) -> bool:
        return any(step.changed for step in self.after)

    def skipped(self, system: System) -> str | None:
        if not system.systemd_running:
            return "systemd does not run this system: they start at its next boot"
        return None

    def apply(self, system: System) -> None:
        system.run("systemctl", "daemon-reload")
        system.run("systemctl", "try-restart", *self.units)
