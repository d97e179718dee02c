"""The SQLite write queue: writers wake as soon as the slot frees, and it is always given back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'queue.db'}", busy_timeout_ms=5000)
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    database.dispose()


def test_waiting_writer_starts_right_after_the_holder_commits(db: Database) -> None:
    started: list[float] = []
    holder_in = threading.Event()

    def holder() -> None:
        with db.write_session() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holder_in.set()
            # released ~340 ms after the other writer starts waiting: SQLite's busy handler
            # alone retries at 328 and 428 ms (sleeps of 1, 2, 5 ... 100 ms), ~90 ms late
            time.sleep(0.34)
            session.commit()
        started.append(time.perf_counter())

    thread = threading.Thread(target=holder)
    thread.start()
    holder_in.wait()
    with db.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        got_in = time.perf_counter()
        session.commit()
    thread.join()
    assert got_in - started[0] < 0.05
    with db.session() as session:
        assert session.scalar(text("SELECT count(*) FROM t")) == 2


def test_slot_is_given_back_after_rollback_and_errors(db: Database) -> None:
    with db.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.rollback()
    with db.write_session() as session, pytest.raises(Exception, match="no such table"):
        session.execute(text("INSERT INTO missing VALUES (1)"))
    with db.write_session() as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
        # closing without commit rolls back and frees the slot too
    done = threading.Event()

    def writer() -> None:
        with db.write_session() as session:
            session.execute(text("INSERT INTO t VALUES (4)"))
            session.commit()
        done.set()

    threading.Thread(target=writer).start()
    assert done.wait(2), "the write slot was not given back"
    with db.session() as session:
        assert session.scalar(text("SELECT group_concat(n) FROM t")) == "4"
