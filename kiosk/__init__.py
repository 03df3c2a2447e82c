"""Hymy kiosk: the edge device that records one-press customer ratings."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hymy")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0+source"

from .app import create_app  # noqa: E402  (needs __version__ defined first)

__all__ = ["create_app", "__version__"]
