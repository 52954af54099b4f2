"""User-facing failures: one exception type each, turned into a one-line message by the CLI.

Exit codes are part of the CLI contract (documented in the README):
2 usage / configuration, 3 unreadable input, 4 unsuitable signal, 5 missing optional component.
"""

from __future__ import annotations


class UspdError(Exception):
    """Base class: a failure the user can act on. `exit_code` is what the CLI returns."""

    exit_code = 1


class ConfigError(UspdError):
    """A configuration file or option is invalid (unknown key, value out of range)."""

    exit_code = 2


class InputError(UspdError):
    """An input file or stream cannot be read (missing, corrupt, truncated, wrong format)."""

    exit_code = 3


class SignalError(UspdError):
    """The audio is readable but unusable (no carrier, rate too low, silence, clipping, NaN)."""

    exit_code = 4


class MissingComponentError(UspdError):
    """An optional component is not installed (e.g. torch for training)."""

    exit_code = 5


class OutputExistsError(UspdError):
    """Refusing to overwrite a file the user already has (pass --force to replace it)."""

    exit_code = 2
