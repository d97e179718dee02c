"""``safecity geodata ...`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Districts, streets, hot-spots and candidate sites.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Attach the geodata commands to the root ``safecity`` command."""
    root.add_typer(app, name="geodata")
