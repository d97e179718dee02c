"""The ``safecity`` command: composes the CLIs of geodata, planner, monitor and api.

Each package's ``cli`` module exposes ``register(root)``. ``main()`` imports only the
package that owns the command being run (``safecity monitor ...`` never loads geopandas or
FastAPI), so start-up stays fast; ``--help`` and ``safecity.cli.app`` load all of them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

import typer

from safecity import __version__

# Top-level command -> the module whose ``register`` adds it.
COMMAND_MODULES: dict[str, str] = {
    "geodata": "geodata.cli",
    "plan": "planner.cli",
    "cover": "planner.cli",
    "monitor": "monitor.cli",
    "serve": "api.cli",
    "api": "api.cli",
}
ALL_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMAND_MODULES.values()))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"safecity {__version__}")
        raise typer.Exit()


def build_app(modules: Iterable[str] = ALL_MODULES) -> typer.Typer:
    """Build the root command with the commands of ``modules`` attached."""
    app = typer.Typer(
        name="safecity",
        help="Plan, track and watch a city-wide video-surveillance rollout.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """Plan, track and watch a city-wide video-surveillance rollout."""

    for name in modules:
        importlib.import_module(name).register(app)
    return app


def __getattr__(name: str) -> Any:
    """``safecity.cli.app``: the full command, built on first use (for tests and tools)."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main() -> None:
    """Entry point of the ``safecity`` console script."""
    args = sys.argv[1:]
    owner = COMMAND_MODULES.get(args[0]) if args else None
    build_app([owner] if owner else ALL_MODULES)()


if __name__ == "__main__":
    main()
