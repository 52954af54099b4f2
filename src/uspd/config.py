"""Configuration files: a TOML table overrides fields of a frozen dataclass.

Unknown keys are errors (a typo must not silently fall back to a default); nested dataclasses
are filled from nested tables.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from uspd.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

T = TypeVar("T")


def override(instance: T, table: dict[str, Any], where: str = "") -> T:
    """Return a copy of dataclass `instance` with fields replaced from `table`.

    Raises ConfigError naming the first unknown key or ill-typed value.
    """
    if not dataclasses.is_dataclass(instance):
        raise TypeError("override() needs a dataclass instance")
    fields = {f.name: f for f in dataclasses.fields(instance)}
    hints = get_type_hints(type(instance))
    changes: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{where}{key}"
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"unknown configuration key '{path}' (known: {known})")
        current = getattr(instance, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = override(current, value, where=f"{path}.")
            continue
        changes[key] = _coerce(value, current, hints.get(key), path)
    return dataclasses.replace(instance, **changes)


def _coerce(value: Any, current: Any, hint: Any, path: str) -> Any:
    """Convert TOML values to the field's type where that is lossless (int→float, list→tuple)."""
    if isinstance(current, bool) or hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{path}' must be true or false, not {value!r}")
        return value
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    if current is not None and not isinstance(value, type(current)):
        raise ConfigError(
            f"'{path}' must be {type(current).__name__}, not {type(value).__name__} ({value!r})"
        )
    return value


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing or malformed file is a ConfigError with the reason."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"no configuration file at {path}") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from exc


def load_into(instance: T, path: str | Path) -> T:
    """Defaults from `instance`, overridden by the TOML file at `path`."""
    return override(instance, load_toml(path))


def float_list(text: str, option: str) -> tuple[float, ...]:
    """'2,3,4' -> (2.0, 3.0, 4.0); anything else a one-line ConfigError naming the option."""
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"{option}: expected numbers separated by commas, got '{text}'") from None
