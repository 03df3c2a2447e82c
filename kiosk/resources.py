"""Where the kiosk's templates, static files and catalogs live.

Static files and catalogs are inside the package. Templates sit in the
repository's top-level ``templates/``; a built wheel maps that folder to
``kiosk/templates`` (see pyproject.toml), so an installed kiosk finds it inside
the package and a source checkout finds it beside the package.
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def templates_dir():
    installed = PACKAGE_DIR / "templates"
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / "templates"
