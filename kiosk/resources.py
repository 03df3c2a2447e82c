"""Where the kiosk's templates, static files and catalogs live.

Static files and catalogs are inside the package. Templates sit in the
repository's top-level ``templates/kiosk`` (the customer's screen) and
``templates/manager`` (the manager's screens); a wheel carries them inside the
package (see sync/common/templates.py).
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
CHECKOUT_TEMPLATES = PACKAGE_DIR.parent / "templates"
#: The template folders that belong to the kiosk.
TEMPLATE_FOLDERS = ("kiosk", "manager")
