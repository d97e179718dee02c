"""CommitCache: one computation per missing value, stale-while-refresh, commits win."""

from __future__ import annotations

import threading
import time

from api.cache import CommitCache


def _slow(counter: list[int], value: str, seconds: float = 0.2):
    def compute() -> str:
        counter.append(1)
        time.sleep(seconds)
        return value

    return compute


def _ask_together(cache: CommitCache[str], compute, n: int) -> list[str]:
    answers: list[str] = []
    barrier = threading.Barrier(n)

    def ask() -> None:
        barrier.wait()
        answers.append(cache.get("k", compute))

    threads = [threading.Thread(target=ask) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_misses_share_one_computation() -> None:
    cache: CommitCache[str] = CommitCache(ttl=60)
    calls: list[int] = []
    assert _ask_together(cache, _slow(calls, "v1"), 8) == ["v1"] * 8
    assert len(calls) == 1


def test_aged_entry_is_served_at_once_while_the_background_refreshes_it() -> None:
    cache: CommitCache[str] = CommitCache(ttl=0.5)
    calls: list[int] = []
    cache.get("k", _slow(calls, "old", 0))
    time.sleep(0.55)
    started = time.perf_counter()
    assert cache.get("k", _slow(calls, "new", 0.3)) == "old"  # starts the refresh
    assert cache.get("k", _slow(calls, "never", 0)) == "old"  # one refresh at a time
    assert time.perf_counter() - started < 0.2  # nobody waited for the 0.3 s refresh
    deadline = time.monotonic() + 5
    while cache.peek("k") is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.peek("k") == "new"
    assert len(calls) == 2


def test_a_commit_during_a_computation_is_not_hidden_by_it() -> None:
    cache: CommitCache[str] = CommitCache(ttl=60)
    calls: list[int] = []
    leader = threading.Thread(target=cache.get, args=("k", _slow(calls, "before commit", 0.3)))
    leader.start()
    time.sleep(0.05)
    cache.invalidate()
    assert cache.get("k", _slow(calls, "after commit", 0)) == "after commit"
    leader.join()
    assert cache.get("k", _slow(calls, "x", 0)) == "after commit"


def test_failed_computation_lets_waiters_compute_themselves() -> None:
    cache: CommitCache[str] = CommitCache(ttl=60)

    def fails() -> str:
        time.sleep(0.1)
        raise RuntimeError("database down")

    errors: list[str] = []
    leader = threading.Thread(
        target=lambda: errors.append(str(_capture(lambda: cache.get("k", fails))))
    )
    leader.start()
    time.sleep(0.03)
    assert cache.get("k", lambda: "recovered") == "recovered"
    leader.join()
    assert errors == ["database down"]


def _capture(call) -> Exception | None:
    try:
        call()
    except RuntimeError as exc:
        return exc
    return None
