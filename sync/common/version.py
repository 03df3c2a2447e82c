"""The installed software's version, as pip recorded it."""
from importlib.metadata import PackageNotFoundError, version


def software_version() -> str:
    """``hymy``'s version, or ``0.0.0+source`` for a checkout that was never installed."""
    try:
        return version("hymy")
    except PackageNotFoundError:
        return "0.0.0+source"
