"""Where transition events and metrics go: JSON lines, the API (spooled), Prometheus."""

from __future__ import annotations

from typing import Protocol

from monitor.state import TransitionEvent


class EventSink(Protocol):
    """Anything that accepts batches of transition events."""

    def publish(self, events: list[TransitionEvent]) -> None:
        """Hand over events; must not lose them once it returns."""

    def close(self) -> None:
        """Flush what can be flushed and release resources."""


__all__ = ["EventSink"]
