"""``safecity monitor ...`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Feed-health monitor: probe streams, judge the picture.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    """Attach the monitor commands to the root ``safecity`` command."""
    root.add_typer(app, name="monitor")
