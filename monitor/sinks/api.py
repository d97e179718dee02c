"""Push transition events to the API in batches, through an on-disk spool.

Every batch is first written to ``spool/pending/`` (write, fsync, rename) and only
deleted after the API answered 2xx, so no event is lost while the API is down or the
monitor restarts: pending batches are replayed, oldest first, on the next start.  A
background thread sends them, retrying with exponential backoff and jitter.  Each event
carries its ``event_id``; the API counts a repeated id once, so a batch re-sent after a
lost reply is harmless.  A batch the API rejects as malformed (400/422) would block the
queue forever, so it moves to ``spool/rejected/`` and is logged.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from monitor.feeds import redact_url
from monitor.state import TransitionEvent

INGEST_PATH = "/api/v1/health/transitions"
REJECTED_STATUS = frozenset({400, 413, 422})
log = logging.getLogger("monitor.sinks.api")


class ApiSink:
    """Spooled, batched, retried delivery of events to ``POST {api}/api/v1/health/transitions``."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        spool_dir: Path,
        *,
        batch_size: int = 500,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.endpoint = api_url.rstrip("/") + INGEST_PATH
        self.pending = spool_dir / "pending"
        self.rejected = spool_dir / "rejected"
        self.pending.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sent_events = 0
        self.duplicates = 0
        self.failures = 0
        self._client = httpx.Client(headers={"X-API-Key": api_key}, timeout=timeout_s)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._send_loop, name="api-sink", daemon=True)
        self._thread.start()

    def publish(self, events: list[TransitionEvent]) -> None:
        """Spool the events durably (in batches) and wake the sender."""
        for start in range(0, len(events), self.batch_size):
            batch = [e.as_dict() for e in events[start : start + self.batch_size]]
            self._spool(batch)
        if events:
            self._idle.clear()
            self._wake.set()

    def _spool(self, batch: list[dict[str, Any]]) -> None:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.pending / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"events": batch}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.pending / name)

    def backlog(self) -> int:
        """Number of batches waiting in the spool."""
        return sum(1 for _ in self.pending.glob("*.json"))

    def flush(self, timeout_s: float) -> bool:
        """Wait until the spool is empty (True) or ``timeout_s`` passed (False)."""
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        while self.backlog() and time.monotonic() < deadline:
            self._idle.wait(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.backlog() == 0

    def close(self, timeout_s: float = 5.0) -> None:
        """Try to deliver the spool for up to ``timeout_s``; what remains stays on disk."""
        self.flush(timeout_s)
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._client.close()

    def _send_loop(self) -> None:
        delay = self.backoff_s
        while not self._stop.is_set():
            batches = sorted(self.pending.glob("*.json"))
            if not batches:
                self._idle.set()
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            if self._deliver(batches[0]):
                delay = self.backoff_s
                continue
            self.failures += 1
            jittered = delay * random.uniform(0.8, 1.2)
            self._wake.clear()
            self._stop.wait(jittered)
            delay = min(self.max_backoff_s, delay * 2)

    def _deliver(self, batch_file: Path) -> bool:
        """POST one spooled batch; True when it left the spool (delivered or rejected)."""
        body = batch_file.read_bytes()
        try:
            response = self._client.post(
                self.endpoint, content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as exc:
            log.warning("API %s unreachable (%s); will retry", redact_url(self.endpoint), exc)
            return False
        if response.is_success:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            self.sent_events += int(answer.get("accepted", 0))
            self.duplicates += int(answer.get("duplicates", 0))
            batch_file.unlink()
            return True
        if response.status_code in REJECTED_STATUS:
            self.rejected.mkdir(parents=True, exist_ok=True)
            batch_file.replace(self.rejected / batch_file.name)
            log.error(
                "API rejected batch %s with %s: %s; moved to %s",
                batch_file.name,
                response.status_code,
                response.text[:300],
                self.rejected,
            )
            return True
        log.warning(
            "API answered %s for batch %s; will retry", response.status_code, batch_file.name
        )
        return False
