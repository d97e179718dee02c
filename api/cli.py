"""``safecity serve`` and ``safecity api create-user|create-key`` commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from api.accounts import create_api_key
from api.bootstrap import ensure_sqlite_folder, prepare
from api.db import Database
from api.models import Role
from api.problems import ApiProblem
from api.schemas import ApiKeyIn
from api.seed import DEMO_ADMIN
from safecity.settings import Settings

api_app = typer.Typer(help="Administer the rollout API's users and keys.", no_args_is_help=True)

DB_OPT = typer.Option("--db", help="Database URL (default: SAFECITY_DATABASE_URL).")


def _fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(2)


def _settings() -> Settings:
    """The shared settings, or one clear line (e.g. a default secret in production)."""
    from pydantic import ValidationError

    from safecity.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        raise _fail(f"settings: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from exc


def _prepared(url: str | None) -> tuple[Database, str | None]:
    """The migrated, seeded database and the demo admin password (first start only)."""
    target = url or _settings().database_url
    try:
        ensure_sqlite_folder(target)
        db = Database(target)
        return db, prepare(db)
    except (SQLAlchemyError, ValueError, OSError) as exc:
        raise _fail(f"database {target!r}: {str(exc).splitlines()[0]}") from exc


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    db: Annotated[str | None, DB_OPT] = None,
) -> None:
    """Migrate and seed the database, then serve the API and dashboard with uvicorn."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    database, password = _prepared(db)
    database.dispose()
    if password is not None:
        print(
            f"demo admin created (shown once): username={DEMO_ADMIN} password={password}",
            flush=True,
        )
    print(f"serving http://{host}:{port}/docs (database {database.engine.url})", flush=True)
    uvicorn.run(
        create_app(database.url, settings=settings), host=host, port=port, log_level="warning"
    )


@api_app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin, assessor, reporter or monitor.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    district: Annotated[str | None, typer.Option(help="District of a reporter.")] = None,
    db: Annotated[str | None, DB_OPT] = None,
) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from api import audit
    from api.accounts import add_user
    from api.schemas import UserIn

    try:
        body = UserIn(username=username, password=password, role=role, district=district)
    except ValidationError as exc:
        raise _fail(f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
    database, _ = _prepared(db)
    with database.write_session() as session:
        try:
            add_user(session, body)
        except ApiProblem as exc:
            raise _fail(exc.detail) from exc
        audit.record(session, "cli", "user.create", "user", username, after={"role": role.value})
        session.commit()
    print(f"created user {username} ({role.value})")


@api_app.command("create-key")
def create_key(
    name: Annotated[str, typer.Argument(help="Key name, e.g. monitor-1.")],
    role: Annotated[Role, typer.Option(help="Role the key acts as (e.g. monitor).")],
    district: Annotated[str | None, typer.Option(help="District of a reporter key.")] = None,
    db: Annotated[str | None, DB_OPT] = None,
) -> None:
    """Create an API key and print it (it is stored hashed and never shown again)."""
    from pydantic import ValidationError

    from api import audit

    try:
        body = ApiKeyIn(name=name, role=role, district=district)
    except ValidationError as exc:
        raise _fail(f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
    database, _ = _prepared(db)
    with database.write_session() as session:
        try:
            _key, plaintext = create_api_key(session, body, "cli")
        except ApiProblem as exc:
            raise _fail(exc.detail) from exc
        audit.record(session, "cli", "api_key.create", "api_key", name, after={"role": role.value})
        session.commit()
    print(plaintext)


def register(root: typer.Typer) -> None:
    """Attach ``serve`` and the ``api`` group to the root ``safecity`` command."""
    root.command("serve")(serve)
    root.add_typer(api_app, name="api")
