"""Group commit: concurrent jobs share transactions, yet each gets exactly its own outcome."""

from __future__ import annotations

import threading
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
