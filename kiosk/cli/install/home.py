"""Install steps inside the desktop user's home, taken as root without following that user's links.

``hymy install`` runs as root but writes the screen's unit links and
autostart entry into ``~/.config`` of the desktop user, a tree that user
controls. Plain paths would let them plant a link (``~/.config/autostart ->
/etc``) and have root write, chown or chmod a file of the system. So these
steps walk down from the home one directory at a time, each opened with
``O_NOFOLLOW`` relative to the one above, and act through those descriptors
(``openat``, ``renameat``, ``fchown``): a link anywhere below the home is
refused with one line, and one swapped in between the look and the write is
refused just the same. The home itself is the account's, as root set it.
"""
import errno
import os
import secrets
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from kiosk.cli.install.steps import Directory, File, Symlink, owner_ids
from kiosk.cli.install.system import System
from sync.common.cli_errors import CommandError

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _parts_below(home, path):
    """The names from *home* down to *path* (``~/.config/autostart`` → ``[".config", "autostart"]``)."""
    relative = PurePosixPath(path).relative_to(home)
    if ".." in relative.parts:
        raise CommandError(f"{path}: not a path inside {home}")
    return list(relative.parts)


def _refuse(path, error):
    if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        raise CommandError(f"{path}: a link or another kind of file stands where hymy install writes; "
                           "not following it (remove it and run the install again)") from None
    raise error


@contextmanager
def _directory_fd(system, home, parts, owner):
    """A descriptor of ``home/parts…``, made where missing (owned by *owner*, mode 0755), links refused."""
    fd = os.open(system.path(home), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    walked = PurePosixPath(home)
    try:
        for part in parts:
            walked = walked / part
            try:
                below = _open_or_make(fd, part, owner)
            except OSError as error:
                _refuse(walked, error)
            os.close(fd)
            fd = below
        yield fd
    finally:
        os.close(fd)


def _open_or_make(fd, name, owner):
    try:
        return os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
    except FileNotFoundError:
        os.mkdir(name, 0o755, dir_fd=fd)
    below = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
    try:
        os.fchmod(below, 0o755)  # mkdir's mode is narrowed by the umask
        os.fchown(below, *owner)
    except BaseException:
        os.close(below)
        raise
    return below


@dataclass
class HomeDirectory(Directory):
    """A directory in *home*, the user's own (mode None keeps the mode of one that exists)."""

    home: str = field(kw_only=True)

    def apply(self, system: System) -> None:
        owner = owner_ids(system, self.path, self.user, self.group)
        with _directory_fd(system, self.home, _parts_below(self.home, self.path), owner) as fd:
            if self.mode is not None:
                os.fchmod(fd, self.mode)
            os.fchown(fd, *owner)


@dataclass
class HomeFile(File):
    """A file in *home*: written to a fresh name beside it, then renamed over whatever the name held."""

    home: str = field(kw_only=True)

    def apply(self, system: System) -> None:
        owner = owner_ids(system, self.path, self.user, self.group)
        *parents, name = _parts_below(self.home, self.path)
        with _directory_fd(system, self.home, parents, owner) as directory:
            temporary = f".{name}.{secrets.token_hex(8)}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(self.text)
                    handle.flush()
                    os.fchmod(handle.fileno(), self.mode)
                    os.fchown(handle.fileno(), *owner)
                    os.fsync(handle.fileno())
                os.rename(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
            except OSError as error:
                with suppress(FileNotFoundError):  # the user may have removed it meanwhile
                    os.unlink(temporary, dir_fd=directory)
                _refuse(PurePosixPath(self.path), error)
            os.fsync(directory)


@dataclass
class HomeSymlink(Symlink):
    """A link in *home*; an old link or file of that name is replaced, a directory refused.

    The link stays root's: giving it to the user by name would race with the user swapping
    it for a hard link to a file of root's, which the chown would then hand over. Its owner
    matters to nobody (systemd follows it; the user may remove it from their own directory).
    """

    home: str = field(kw_only=True)

    @property
    def title(self) -> str:
        return f"link {self.path} -> {self.target} (in {self.user}'s home)"

    def needed(self, system: System) -> bool:
        where = system.path(self.path)
        return not where.is_symlink() or os.readlink(where) != self.target

    def apply(self, system: System) -> None:
        owner = owner_ids(system, self.path, self.user, self.group)
        *parents, name = _parts_below(self.home, self.path)
        with _directory_fd(system, self.home, parents, owner) as directory:
            try:
                os.unlink(name, dir_fd=directory)
            except FileNotFoundError:
                pass
            except OSError as error:
                _refuse(PurePosixPath(self.path), error)
            os.symlink(self.target, name, dir_fd=directory)
