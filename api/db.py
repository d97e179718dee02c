"""Engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3).

Write transactions on SQLite start with ``BEGIN IMMEDIATE`` (``Database.write_session``):
taking the write lock up front avoids the ``SQLITE_BUSY`` that a deferred transaction hits
when it upgrades from reading to writing while another connection writes. Reads keep
deferred transactions, so WAL readers never wait for writers. Those write transactions
queue on ``api.sqlite_writer`` first, which wakes the next writer as soon as one ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.sqlite_writer import QueuedConnection, WriteQueue

SQLITE_BEGIN_OPTION = "sqlite_begin"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy defaults to psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """True for SQLite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, queue: WriteQueue) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.write_queue = queue
        # Let SQLAlchemy's "begin" event below emit BEGIN instead of the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        if mode == "DEFERRED":
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        dbapi_connection = connection.connection.dbapi_connection
        dbapi_connection.begin_write(lambda: connection.exec_driver_sql(f"BEGIN {mode}"))


def make_engine(url: str, *, busy_timeout_ms: int = 30_000) -> Engine:
    """Create the engine for ``url`` with the per-backend settings described above."""
    url = normalize_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise ValueError(
                f"database URL {url!r}: use a SQLite file (in-memory databases are per connection)"
            )
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": busy_timeout_ms / 1000,
                "factory": QueuedConnection,
            },
            pool_size=10,
            max_overflow=70,
        )
        _configure_sqlite(engine, busy_timeout_ms, WriteQueue(database, busy_timeout_ms / 1000))
        return engine
    return create_engine(
        url,
        pool_size=10,
        max_overflow=30,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC"},
    )


class Database:
    """An engine plus two session factories: default (reads) and write (immediate lock)."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, busy_timeout_ms=busy_timeout_ms)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)

    def listen(self, name: str, callback: Callable[..., None]) -> None:
        """Attach a session event (e.g. ``after_commit``) to every session of this database."""
        for factory in (self._sessions, self._write_sessions):
            event.listen(factory, name, callback)

    def on_commit(self, callback: Callable[[Session], None]) -> None:
        """Call ``callback(session)`` after every commit made through this database."""
        self.listen("after_commit", callback)

    @property
    def dialect(self) -> str:
        """Backend name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reads (and writes that cannot conflict); closed on exit."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write_session(self, bind: Connection | None = None) -> Iterator[Session]:
        """A session whose transactions take the write lock at BEGIN on SQLite; on ``bind``
        (a :meth:`write_connection`) if given, else on a connection from the pool."""
        with self._write_sessions(**({} if bind is None else {"bind": bind})) as session:
            yield session

    def write_connection(self) -> Connection:
        """A pooled connection for :meth:`write_session` that a caller keeps across
        transactions (no checkout and liveness ping per transaction); close it when done."""
        return self._writer.connect()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
