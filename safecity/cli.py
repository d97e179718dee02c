"""The ``safecity`` command: composes the CLIs of geodata, planner, monitor and api."""

from __future__ import annotations

import typer

from api import cli as api_cli
from geodata import cli as geodata_cli
from monitor import cli as monitor_cli
from planner import cli as planner_cli

app = typer.Typer(
    name="safecity",
    help="Plan, track and watch a city-wide video-surveillance rollout.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for part in (geodata_cli, planner_cli, monitor_cli, api_cli):
    part.register(app)


def main() -> None:
    """Entry point of the ``safecity`` console script."""
    app()


if __name__ == "__main__":
    main()
