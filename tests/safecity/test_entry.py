"""The ``safecity`` command composes every package's commands and starts light."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from safecity import __version__
from safecity.cli import COMMAND_MODULES, app


def test_every_top_level_command_is_registered():
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(COMMAND_MODULES)


def test_version():
    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0 and done.stdout.strip() == f"safecity {__version__}"


def test_monitor_command_does_not_load_the_other_packages():
    script = (
        "import sys; from safecity.cli import main; sys.argv = ['safecity', 'monitor', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('geopandas', 'fastapi', 'planner', 'api') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Feed-health monitor" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
