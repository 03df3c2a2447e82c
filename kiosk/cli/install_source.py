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
import json
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import CommandError

#: What a wheel is built from (pyproject.toml's packages and readme); a change anywhere else
#: (tests, docs) needs no reinstall.
BUILT_FROM = ("pyproject.toml", "README.md", "kiosk", "sync", "templates", "systemd")
NO_SOURCE = "pass --source PATH (a hymy source checkout or a built hymy wheel)"


def installed_from(distribution=None):
    """The local directory or wheel the running hymy was installed from, or a one-line failure."""
    if distribution is None:
        # The one pip installed: a checkout on sys.path may also hold a build's hymy.egg-info, which has no record.
        found = list(metadata.distributions(name="hymy"))
        if not found:
            raise CommandError(f"hymy is not installed as a package here, so its source is unknown: {NO_SOURCE}")
        distribution = next((d for d in found if d.read_text("direct_url.json")), found[0])
    recorded = distribution.read_text("direct_url.json")
    if not recorded:
        raise CommandError(f"this hymy was not installed from a local checkout or wheel (no direct_url.json): "
                           f"{NO_SOURCE}")
    try:
        url = urlparse(json.loads(recorded)["url"])
    except (ValueError, KeyError, TypeError):
        raise CommandError(f"this hymy's direct_url.json cannot be read: {NO_SOURCE}") from None
    if url.scheme != "file":
        raise CommandError(f"this hymy was installed from {url.geturl()}, not from this machine: {NO_SOURCE}")
    path = Path(unquote(url.path))
    if not path.exists():
        raise CommandError(f"this hymy was installed from {path}, which is gone: {NO_SOURCE}")
    return path


def checked_source(path):
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


def fingerprint(source):
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
