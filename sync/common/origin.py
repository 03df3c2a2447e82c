"""Where this hymy was installed from, as pip recorded it.

pip writes ``direct_url.json`` (PEP 610) into the distribution's metadata for an
install from a local directory (a checkout, editable or not), a file (a built
wheel) or a URL; an install from a package index has none. ``hymy install``
takes its default source from it, and a hint to add an extra names the install
that works here: ``pip install '.[central]'`` from a checkout (hymy is not on
the index, so ``'hymy[central]'`` would fail there).
"""
import json
import os
from importlib import metadata
from pathlib import Path
from urllib.parse import ParseResult, unquote, urlparse


def hymy_distribution() -> metadata.Distribution | None:
    """The hymy distribution pip installed, or None when hymy runs from a bare checkout."""
    # A checkout on sys.path may also hold a build's hymy.egg-info, which has no record: prefer one that has.
    found = list(metadata.distributions(name="hymy"))
    return next((d for d in found if d.read_text("direct_url.json")), found[0] if found else None)


def recorded_url(distribution: metadata.Distribution) -> ParseResult | None:
    """The URL *distribution*'s ``direct_url.json`` names (None: installed from an index);
    ValueError when the record cannot be read."""
    recorded = distribution.read_text("direct_url.json")
    if not recorded:
        return None
    try:
        url: str = json.loads(recorded)["url"]
        return urlparse(url)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError("direct_url.json cannot be read") from error


def local_path(url: ParseResult | None) -> Path | None:
    """The path on this machine a ``file:`` URL names, or None for another scheme."""
    return Path(unquote(url.path)) if url is not None and url.scheme == "file" else None


def extra_install(extra: str, distribution: metadata.Distribution | None = None) -> str:
    """The pip command that adds *extra* to this hymy: ``pip install '.[central]'`` in the checkout it
    was installed from (its path from elsewhere), the wheel's path for a wheel, ``'hymy[central]'``
    from an index."""
    distribution = distribution or hymy_distribution()
    try:
        url = recorded_url(distribution) if distribution is not None else None
    except ValueError:
        url = None
    path = local_path(url)
    if path is not None:
        where = "." if path.is_dir() and _same_directory(path, Path.cwd()) else str(path)
        return f"pip install '{where}[{extra}]'"
    if url is not None and url.scheme.startswith("git+"):
        return f"pip install 'hymy[{extra}] @ {url.geturl()}'"
    return f"pip install 'hymy[{extra}]'"


def _same_directory(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False
