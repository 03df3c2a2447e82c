"""Warn about ``HYMY_*`` variables that set nothing.

An unknown key in a config file is an error, but the environment is shared
with everything else on the machine, so a misspelled variable (``HYMY_PROT``)
is a warning, with the nearest real name when there is one.
"""
import difflib
import os
from collections.abc import Mapping

import click

from kiosk.config import SCHEMA as KIOSK_SCHEMA
from sync.central.config import SCHEMA as CENTRAL_SCHEMA
from sync.common.config import unknown_environment

KIOSK_PREFIX = "HYMY_"
CENTRAL_PREFIX = "HYMY_CENTRAL_"


def unknown_variables(environ: Mapping[str, str], central: bool) -> list[tuple[str, str | None]]:
    """``(name, suggestion or None)`` for each variable of the part that sets no key."""
    if central:
        prefix, schema, others = CENTRAL_PREFIX, CENTRAL_SCHEMA, {"HYMY_CENTRAL_CONFIG"}
        unknown = unknown_environment(schema, environ, prefix, others)
    else:
        prefix, schema, others = KIOSK_PREFIX, KIOSK_SCHEMA, {"HYMY_CONFIG"}
        unknown = unknown_environment(schema, environ, prefix, others, other_prefixes=(CENTRAL_PREFIX,))
    known = {key.upper(): f"{prefix}{key.upper()}" for key in schema}
    known.update({name.removeprefix(prefix): name for name in others})

    def nearest(name: str) -> str | None:
        # Compared without the shared prefix, which would make every name look alike.
        close = difflib.get_close_matches(name.removeprefix(prefix), list(known), n=1, cutoff=0.7)
        return known[close[0]] if close else None

    return [(name, nearest(name)) for name in unknown]


def warn_about_unknown_variables(central: bool, environ: Mapping[str, str] | None = None) -> None:
    for name, suggestion in unknown_variables(os.environ if environ is None else environ, central):
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        click.echo(f"hymy: warning: {name} is not a setting and is ignored{hint}", err=True)
