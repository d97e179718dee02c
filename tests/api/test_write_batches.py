"""Group commit: concurrent jobs share transactions, yet each gets exactly its own outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import Database
from api.write_batches import WriteBatcher


@pytest.fixture
def batcher(tmp_path: Path) -> Iterator[WriteBatcher]:
    db = Database(f"sqlite:///{tmp_path / 'batches.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
    writer = WriteBatcher(db)
    yield writer
    writer.close()
    db.dispose()


def _insert(key: str, value: int):
    def work(session: Session) -> str:
        session.execute(text("INSERT INTO t VALUES (:k, :v)"), {"k": key, "v": value})
        if value < 0:
            raise ValueError(f"negative value for {key}")
        return f"stored {key}"

    return work


def test_one_failing_job_leaves_the_others_of_its_batch_committed(batcher: WriteBatcher) -> None:
    outcomes: dict[str, str] = {}
    start = threading.Barrier(40)

    def client(i: int) -> None:
        start.wait()
        # ten keys are sent twice (exactly one insert of each wins); one job fails
        key = "bad" if i == 7 else f"k{i % 30}"
        try:
            outcomes[f"{i}"] = batcher.run(
                _insert(key, -1 if i == 7 else i),
                recover=lambda _session: f"replayed {key}",
            )
        except ValueError as exc:
            outcomes[f"{i}"] = f"error {exc}"

    threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with batcher.db.session() as session:
        stored = dict(session.execute(text("SELECT k, v FROM t")).all())
    assert outcomes["7"] == "error negative value for bad"
    assert set(stored) == {f"k{j}" for j in range(30)}  # the failed job wrote nothing
    assert stored["k7"] == 37
    for i in range(40):
        key = f"k{i % 30}"
        if i != 7:
            won = stored[key] == i
            assert outcomes[f"{i}"] == (f"stored {key}" if won else f"replayed {key}")


def test_integrity_conflict_without_recover_reaches_the_caller(batcher: WriteBatcher) -> None:
    assert batcher.run(_insert("a", 1)) == "stored a"
    with pytest.raises(IntegrityError):
        batcher.run(_insert("a", 2))
    with batcher.db.session() as session:
        assert session.execute(text("SELECT v FROM t WHERE k = 'a'")).scalar_one() == 1


def test_a_failing_job_alone_in_its_batch_runs_once(batcher: WriteBatcher) -> None:
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        raise ValueError("bad report")

    with pytest.raises(ValueError, match="bad report"):
        batcher.run(work)
    assert calls == [1]  # its own outcome: not rerun


def test_a_job_cancelled_before_its_batch_is_never_run(batcher: WriteBatcher) -> None:
    running, release = threading.Event(), threading.Event()

    def blocker(session: Session) -> str:
        running.set()
        release.wait(10)
        return "first"

    first = batcher.submit(blocker)
    assert running.wait(10)
    for _ in range(batcher.writers - 1):  # keep any other writer busy too
        batcher.submit(lambda _session: release.wait(10))
    given_up = batcher.submit(_insert("cancelled", 1))
    assert given_up.cancel()
    release.set()
    assert first.result(10) == "first"
    assert batcher.run(_insert("after", 2)) == "stored after"
    with batcher.db.session() as session:
        assert set(session.execute(text("SELECT k FROM t")).scalars()) == {"after"}


def test_the_writer_keeps_its_connection_while_busy_and_returns_it_when_idle(
    batcher: WriteBatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.write_batches.IDLE_SECONDS", 0.2)
    pool = batcher.db.engine.pool
    assert batcher.run(_insert("a", 1)) == "stored a"
    assert pool.checkedout() == 1  # held for the next batch
    assert batcher.run(_insert("b", 2)) == "stored b"
    assert pool.checkedout() == 1  # the same one, not a second checkout
    deadline = time.monotonic() + 5
    while pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.checkedout() == 0
