"""Reading configuration the same way everywhere: defaults, then one TOML
file, then ``<PREFIX><KEY>`` environment variables, then explicit overrides.

Each part declares a schema (key -> ``(default, validator)``) and builds its
own frozen config object from the checked values. A bad file or value raises
:class:`~sync.wire.errors.ConfigError` with one line naming the key; an unknown key
in the file is an error; an environment variable that names no key is
reported by :func:`unknown_environment` (a typo such as ``HYMY_PROT`` must not
go unnoticed), and the commands warn about it.
"""
import os
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from sync.wire.errors import ConfigError
from sync.wire.protocol import text_problem

#: A key's check: ``check(key, value)`` returns the value (perhaps normalised) or raises ConfigError.
Check = Callable[[str, Any], Any]
#: key -> (default, check): what a part's config declares (:func:`sync.common.settings.schema_of`).
Schema = Mapping[str, tuple[Any, Check | None]]


def number(minimum: float, maximum: float | None = None, whole: bool = False) -> Check:
    kind = "a whole number" if whole else "a number"
    bounds = f" between {minimum} and {maximum}" if maximum is not None else f" >= {minimum}"

    def check(key: str, value: Any) -> Any:
        allowed = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise ConfigError(f"{key}: expected {kind}{bounds}, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            raise ConfigError(f"{key}: expected {kind}{bounds}, got {value!r}")
        return value

    return check


def choice(options: Collection[str]) -> Check:
    def check(key: str, value: Any) -> Any:
        if value not in options:
            raise ConfigError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    problem = text_problem(value)
    if problem:
        raise ConfigError(f"{key}: {problem}")
    return value


def flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file or raise ConfigError with one line saying why."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _environment_overrides(schema: Schema, environ: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """``<prefix><KEY>`` for scalar keys, parsed as a TOML value when it parses."""
    found: dict[str, Any] = {}
    for key, (default, _) in schema.items():
        raw = environ.get(f"{prefix}{key.upper()}")
        if raw is None or isinstance(default, (list, dict)):
            continue
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word such as a path or a host name
        if isinstance(default, str) or default is None:
            value = raw
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        found[key] = value
    return found


def read_values(
    schema: Schema,
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    prefix: str = "HYMY_",
) -> tuple[dict[str, Any], str]:
    """Merge a schema's defaults, the TOML file at *path*, the environment and
    *overrides*, each checked for unknown keys; return ``(values, source)``.
    The values are not validated yet: the caller does that per key."""
    environ = os.environ if environ is None else environ
    values = {key: default for key, (default, _) in schema.items()}
    source = "defaults"
    if path:
        from_file = read_toml(path)
        unknown = sorted(set(from_file) - set(schema))
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown config key in {path}")
        values.update(from_file)
        source = str(path)
    values.update(_environment_overrides(schema, environ, prefix))
    unknown = sorted(set(overrides or {}) - set(schema))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown config key")
    values.update(overrides or {})
    return values, source


def check_values(schema: Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Run each key's validator; None stays None (an optional key left unset)."""
    checked = {}
    for key, (_, validator) in schema.items():
        value = values[key]
        checked[key] = validator(key, value) if value is not None and validator else value
    return checked




def unknown_environment(
    schema: Iterable[str],
    environ: Mapping[str, str],
    prefix: str,
    other_variables: Iterable[str] = (),
    other_prefixes: Iterable[str] = (),
) -> list[str]:
    """Names of ``<prefix>*`` variables in *environ* that set no key of *schema*.

    *other_variables* (such as ``HYMY_CONFIG``) and variables under
    *other_prefixes* (``HYMY_CENTRAL_`` beside the kiosk's ``HYMY_``) are
    someone else's and not reported.
    """
    known = {f"{prefix}{key.upper()}" for key in schema} | set(other_variables)
    return sorted(name for name in environ
                  if name.startswith(prefix) and name not in known and not name.startswith(tuple(other_prefixes)))
