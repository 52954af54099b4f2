"""Thin command-line interface: parse options, call the library, print results.

Every UspdError becomes one line on stderr and its exit code; no tracebacks for user errors.
"""

from __future__ import annotations

import sys

import typer

from uspd.errors import UspdError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Ultrasonic motion and presence sensing.",
)


@app.callback()
def _root() -> None:
    """Ultrasonic motion and presence sensing: simulate, detect, evaluate, train, demo."""


def main() -> None:
    """Entry point: run the typer app and turn UspdError into a one-line message."""
    try:
        app()
    except UspdError as exc:
        typer.echo(f"uspd: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("uspd: interrupted", err=True)
        sys.exit(130)


@app.command()
def version() -> None:
    """Print the uspd version."""
    from uspd import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    main()
