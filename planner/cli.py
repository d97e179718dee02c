"""``safecity plan`` command."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach the planner commands to the root ``safecity`` command."""
