"""What ``hymy install`` puts into ``/opt/hymy``: a source checkout or a built wheel.

By default the one the running ``hymy`` was installed from: pip records it in
the distribution's ``direct_url.json`` (PEP 610) for an install from a local
directory or file, and ``importlib.metadata`` reads it. A hymy from an index
has none, and says so in one line.

A fingerprint of the source tells a second install whether ``/opt/hymy``
already holds exactly this source (pip reinstalls a local directory every
time, which would make every run a change).
"""
import hashlib
import tomllib
from importlib import metadata
from pathlib import Path

from sync.common.cli_errors import CommandError
from sync.common.origin import hymy_distribution, local_path, recorded_url

#: What a wheel is built from (pyproject.toml's packages and readme); a change anywhere else
#: (tests, docs) needs no reinstall.
BUILT_FROM = ("pyproject.toml", "README.md", "kiosk", "sync", "templates", "systemd")
NO_SOURCE = "pass --source PATH (a hymy source checkout or a built hymy wheel)"


def installed_from(distribution: metadata.Distribution | None = None) -> Path:
    """The local directory or wheel the running hymy was installed from, or a one-line failure."""
    if distribution is None:
        distribution = hymy_distribution()
        if distribution is None:
            raise CommandError(f"hymy is not installed as a package here, so its source is unknown: {NO_SOURCE}")
    try:
        url = recorded_url(distribution)
    except ValueError:
        raise CommandError(f"this hymy's direct_url.json cannot be read: {NO_SOURCE}") from None
    if url is None:
        raise CommandError(f"this hymy was not installed from a local checkout or wheel (no direct_url.json): "
                           f"{NO_SOURCE}")
    path = local_path(url)
    if path is None:
        raise CommandError(f"this hymy was installed from {url.geturl()}, not from this machine: {NO_SOURCE}")
    if not path.exists():
        raise CommandError(f"this hymy was installed from {path}, which is gone: {NO_SOURCE}")
    return path


def checked_source(path: Path) -> Path:
    """*path* as an absolute source, or a one-line failure saying why it is not one."""
    path = Path(path).resolve()
    if path.is_file() and path.name.startswith("hymy-") and path.suffix == ".whl":
        return path
    try:
        project = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") != "hymy":
        raise CommandError(f"--source {path}: neither a hymy source checkout (pyproject.toml of hymy) "
                           "nor a hymy wheel (hymy-*.whl)", exit_code=2)
    return path


def fingerprint(source: Path) -> str:
    """A SHA-256 over what a wheel of *source* is built from (or over the wheel itself)."""
    digest = hashlib.sha256()
    if source.is_file():
        digest.update(source.read_bytes())
        return digest.hexdigest()
    for top in BUILT_FROM:
        entry = source / top
        files = sorted(p for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else [entry]
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
