"""Migrations match the models and run both ways; ``safecity serve`` and the admin
commands work end to end and fail with one clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from api.bootstrap import prepare
from api.db import Database
from api.migrate import downgrade, upgrade
from api.models import Base
from safecity.cli import app as safecity_cli


def test_migrations_match_models_and_downgrade_cleanly(db_url):
    db = Database(db_url)
    try:
        downgrade(db, "base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(db)
        assert set(sa.inspect(db.engine).get_table_names()) >= set(Base.metadata.tables)
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        db.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {
        **os.environ,
        "SAFECITY_ENVIRONMENT": "test",
        "SAFECITY_SECRET_KEY": "cli-test-secret-0123456789abcdef0123",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "safecity.cli", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError(process.communicate()[0])
    return process, base


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=30)


def test_serve_migrates_seeds_and_prints_the_demo_admin(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh/safecity.db"
    process, base = _serve(url)
    try:
        assert httpx.get(f"{base}/api/v1/districts").status_code == 401
        output = ""
        while "demo admin created" not in output:
            output += process.stdout.readline() if process.stdout else ""
        password = output.split("password=")[1].split()[0]
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "admin", "password": password}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        names = [d["name"] for d in httpx.get(f"{base}/api/v1/districts", headers=headers).json()]
        assert len(names) == 9 and "Futian" in names
    finally:
        _stop(process)


def test_demo_admin_is_created_only_on_first_start(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/once.db")
    try:
        first, second = prepare(db), prepare(db)
    finally:
        db.dispose()
    assert isinstance(first, str) and len(first) >= 16
    assert second is None


def test_admin_commands_create_users_and_keys(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path}/cli.db"
    made = runner.invoke(
        safecity_cli, ["api", "create-key", "mon-1", "--role", "monitor", "--db", url]
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("sck_")
    user = runner.invoke(
        safecity_cli,
        [
            "api",
            "create-user",
            "lin",
            "--role",
            "reporter",
            "--district",
            "Futian",
            "--password",
            "pw-long-enough",
            "--db",
            url,
        ],
    )
    assert user.exit_code == 0 and "created user lin" in user.stdout
    db = Database(url)
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT u.role, d.name FROM users u JOIN districts d ON d.id = u.district_id "
                "WHERE u.username = 'lin'"
            )
        ).all()
        stored = conn.execute(sa.text("SELECT key_hash FROM api_keys")).scalars().all()
    db.dispose()
    assert rows == [("reporter", "Futian")]
    assert key not in stored and len(stored[0]) == 64


def test_admin_command_errors_are_one_line_and_exit_2(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path}/cli.db"
    cases = [
        (
            [
                "api",
                "create-user",
                "ann",
                "--role",
                "reporter",
                "--password",
                "pw-long-enough",
                "--db",
                url,
            ],
            "a reporter must be bound to a district",
        ),
        (
            [
                "api",
                "create-user",
                "bob",
                "--role",
                "reporter",
                "--district",
                "Gotham",
                "--password",
                "pw-long-enough",
                "--db",
                url,
            ],
            "unknown district 'Gotham'",
        ),
        (["api", "create-key", "k", "--role", "monitor", "--db", url], "name"),
        (
            ["api", "create-key", "kkk", "--role", "monitor", "--db", "nosuchdb://x"],
            "database 'nosuchdb://x'",
        ),
    ]
    for args, words in cases:
        result = runner.invoke(safecity_cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_serve_refuses_the_default_secret_in_production(monkeypatch):
    from safecity.settings import get_settings

    monkeypatch.setenv("SAFECITY_ENVIRONMENT", "production")
    monkeypatch.delenv("SAFECITY_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(safecity_cli, ["serve", "--port", "8"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "SAFECITY_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.output
