"""``safecity serve`` command."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach the API commands to the root ``safecity`` command."""
