"""Where a part finds its templates, in a checkout and in an installed wheel.

The repository keeps every template under the top-level ``templates/``, one
folder per part (``templates/kiosk``, ``templates/manager``,
``templates/central``). A wheel carries each folder inside the package it
belongs to (``kiosk/templates/kiosk``, ``sync/central/templates/central``; see
pyproject.toml), so a part never sees another part's templates. Either way a
template is named by its folder: ``render_template("kiosk/screen.html")``.
"""
from collections.abc import Iterable
from pathlib import Path

from jinja2 import BaseLoader, FileSystemLoader, PrefixLoader


def part_templates(package_dir: Path, checkout_templates: Path, folders: Iterable[str]) -> PrefixLoader:
    """A Jinja loader for *folders*: ``package_dir/templates/<folder>`` when
    installed, else ``checkout_templates/<folder>`` in a source checkout."""
    loaders: dict[str, BaseLoader] = {}
    for folder in folders:
        installed = package_dir / "templates" / folder
        loaders[folder] = FileSystemLoader(str(installed if installed.is_dir() else checkout_templates / folder))
    return PrefixLoader(loaders)
