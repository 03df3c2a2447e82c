"""One declaration per config key: the config dataclass's field.

A part's config is a frozen dataclass whose fields are made with :func:`setting`: the field's name is
the key, its annotation the type the part reads, and the setting carries the default, the check and
the sentence that documents the key. Everything else is derived from the class, so a key cannot be
added, dropped or renamed in one place and forgotten in another:

- :func:`schema_of` gives the ``key -> (default, check)`` schema that :mod:`sync.common.config` reads
  and checks values against;
- :func:`markdown_table` gives the key table in ``docs/configuration.md`` (written there by ``cog``,
  and a test fails when the page and the declarations differ).

Fields made without :func:`setting` (such as ``source``) are worked out by the loader, not read from
the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from sync.common.config import Check


@dataclass(frozen=True)
class Setting:
    """What a config key's field declares beside its type."""

    #: The value when nothing sets the key; None leaves an optional key unset.
    default: Any
    #: Checks a value from the file or the environment; None for keys the loader parses itself.
    check: Check | None
    #: One sentence (Markdown) for the docs: what the key does.
    meaning: str
    #: The default as the docs say it, where the literal would not tell the story
    #: (``None`` for "the user's data dir", ``[]`` for "none: always open").
    shown_default: str | None = None


def setting(default: Any, check: Check | None, meaning: str, *, shown_default: str | None = None) -> Any:
    """A dataclass field that declares a config key (the dataclass takes every value from the loader,
    so the field itself has no default)."""
    return field(metadata={"setting": Setting(default, check, meaning, shown_default)})


def settings_of(config_class: type) -> dict[str, Setting]:
    """``key -> Setting`` for each field of *config_class* declared with :func:`setting`, in order."""
    if not is_dataclass(config_class):
        raise TypeError(f"{config_class!r} is not a dataclass")
    return {f.name: f.metadata["setting"] for f in fields(config_class) if "setting" in f.metadata}


def schema_of(config_class: type) -> dict[str, tuple[Any, Check | None]]:
    """The ``key -> (default, check)`` schema of :mod:`sync.common.config` for *config_class*."""
    return {key: (s.default, s.check) for key, s in settings_of(config_class).items()}


def toml_literal(value: Any) -> str:
    """*value* as it would be written in the TOML file (``true``, ``"fi"``, ``[5, 6]``, ``3.0``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def markdown_table(config_class: type) -> str:
    """The docs' table of *config_class*'s keys: key, default, meaning."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, declared in settings_of(config_class).items():
        if declared.shown_default is not None:
            shown = declared.shown_default
        elif declared.default is None:
            shown = "unset"
        else:
            shown = f"`{toml_literal(declared.default)}`"
        rows.append(f"| `{key}` | {shown} | {declared.meaning} |")
    return "\n".join(rows) + "\n"
