"""Transition events as JSON lines, one event per line, appended and flushed per batch."""

from __future__ import annotations

import json
import os
from pathlib import Path

from monitor.state import TransitionEvent


class JsonlSink:
    """Append events to ``path`` (created with its folder); each batch is fsynced."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("a", encoding="utf-8")

    def publish(self, events: list[TransitionEvent]) -> None:
        """Write the events and force them to disk."""
        if not events:
            return
        self._handle.writelines(json.dumps(e.as_dict(), sort_keys=True) + "\n" for e in events)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
