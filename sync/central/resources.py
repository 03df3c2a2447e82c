"""Where central's templates, static files and catalogs live.

Templates sit in the repository's top-level ``templates/central``; a wheel
carries them inside the package (see sync/common/templates.py).
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
CHECKOUT_TEMPLATES = PACKAGE_DIR.parent.parent / "templates"
TEMPLATE_FOLDERS = ("central",)
