"""Per-camera health state with hysteresis and flap damping; only transitions are events.

Each probe is classified as *good* (no reasons), *degraded* (picture faults only: video
arrives but is not usable as it should be) or *failed* (a link fault: no usable video).
A camera starts ``ok`` (no event storm when 200,000 healthy cameras are first seen) and:

- goes ``down`` after ``down_after`` consecutive failed probes;
- goes ``degraded`` after ``degrade_after`` consecutive unhealthy probes, the last one
  degraded (a ``down`` camera whose video is back but bad also lands there);
- comes back ``ok`` after ``up_after`` consecutive good probes.

A camera whose state changed ``flap_changes`` times within its last ``flap_window``
probes is *flapping*: one event says so (``flapping: true``) and further changes are
tracked but not notified until it has been stable for ``flap_window`` probes, when one
event (``flapping: false``) reports where it settled.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.conditions import LINK_FAULTS
from monitor.probe import ProbeResult, utc_now

CameraState = Literal["ok", "degraded", "down"]
STATES: tuple[CameraState, ...] = ("ok", "degraded", "down")
Outcome = Literal["good", "degraded", "failed"]


@dataclass(frozen=True)
class Hysteresis:
    """Thresholds of the state machine (probe counts)."""

    down_after: int = 3
    degrade_after: int = 2
    up_after: int = 2
    flap_window: int = 10
    flap_changes: int = 3

    def __post_init__(self) -> None:
        for name in ("down_after", "degrade_after", "up_after", "flap_window", "flap_changes"):
            if getattr(self, name) < 1:
                raise ValueError(f"hysteresis {name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class TransitionEvent:
    """A camera changed state (or started/stopped flapping): the monitor's only event."""

    camera_id: str
    district: str
    from_state: CameraState
    to_state: CameraState
    reasons: list[str]
    flapping: bool
    metrics: dict[str, Any]
    at: str = field(default_factory=utc_now)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_dict(self) -> dict[str, Any]:
        """The event JSON of the monitor -> API contract."""
        return {
            "event_id": self.event_id,
            "camera_id": self.camera_id,
            "district": self.district,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reasons": list(self.reasons),
            "at": self.at,
            "flapping": self.flapping,
            "metrics": dict(self.metrics),
        }


def classify(result: ProbeResult) -> Outcome:
    """good / degraded / failed for one probe result."""
    if not result.reasons:
        return "good"
    if any(reason in LINK_FAULTS for reason in result.reasons):
        return "failed"
    return "degraded"


def event_metrics(result: ProbeResult) -> dict[str, Any]:
    """The few numbers worth attaching to an event (not the whole metrics dict)."""
    keep = ("brightness", "sharpness", "still_fraction", "edge_overlap", "noise")
    metrics: dict[str, Any] = {
        "fps": result.fps,
        "frames": result.frames,
        "connect_s": result.connect_s,
        "first_frame_s": result.first_frame_s,
    }
    metrics.update({k: result.metrics[k] for k in keep if k in result.metrics})
    if result.error:
        metrics["error"] = result.error
    return {k: v for k, v in metrics.items() if v is not None}


@dataclass
class CameraTracker:
    """State of one camera: the streak counters and recent state changes."""

    camera_id: str
    district: str
    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    state: CameraState = "ok"
    flapping: bool = False
    since: str = field(default_factory=utc_now)
    reasons: list[str] = field(default_factory=list)
    last_result: ProbeResult | None = None
    # its memory (kept by monitor.shards checkpoints): last outcomes, last state changes,
    # and the state last published
    recent_outcomes: deque[Outcome] = field(default_factory=deque)
    recent_changes: deque[bool] = field(default_factory=deque)
    notified_state: CameraState = "ok"

    def observe(self, result: ProbeResult) -> TransitionEvent | None:
        """Feed one probe result; return the event to publish, if any."""
        h = self.hysteresis
        outcome = classify(result)
        self.last_result = result
        self.recent_outcomes.append(outcome)
        while len(self.recent_outcomes) > max(h.down_after, h.degrade_after, h.up_after):
            self.recent_outcomes.popleft()
        if outcome != "good":
            self.reasons = list(result.reasons)
        new_state = self._next_state()
        changed = new_state != self.state
        self.recent_changes.append(changed)
        while len(self.recent_changes) > h.flap_window:
            self.recent_changes.popleft()
        if changed:
            self.state, self.since = new_state, result.started_at
            if new_state == "ok":
                self.reasons = []
        return self._event(result, changed)

    def _streak(self, *kinds: Outcome) -> int:
        """Length of the run of trailing outcomes that are all in ``kinds``."""
        count = 0
        for outcome in reversed(self.recent_outcomes):
            if outcome not in kinds:
                break
            count += 1
        return count

    def _next_state(self) -> CameraState:
        h = self.hysteresis
        last = self.recent_outcomes[-1]
        if self._streak("failed") >= h.down_after:
            return "down"
        if self.state != "ok" and self._streak("good") >= h.up_after:
            return "ok"
        if self.state == "down" and self._streak("good", "degraded") >= h.up_after:
            return "degraded"
        if (
            self.state == "ok"
            and last == "degraded"
            and self._streak("degraded", "failed") >= h.degrade_after
        ):
            return "degraded"
        return self.state

    def _event(self, result: ProbeResult, changed: bool) -> TransitionEvent | None:
        h = self.hysteresis
        changes = sum(self.recent_changes)
        if not self.flapping and changed and changes >= h.flap_changes:
            self.flapping = True
            return self._emit(result, flapping=True)
        if self.flapping:
            if changes == 0 and len(self.recent_changes) >= h.flap_window:
                self.flapping = False
                return self._emit(result, flapping=False)
            return None
        return self._emit(result, flapping=False) if changed else None

    def _emit(self, result: ProbeResult, *, flapping: bool) -> TransitionEvent:
        event = TransitionEvent(
            camera_id=self.camera_id,
            district=self.district,
            from_state=self.notified_state,
            to_state=self.state,
            reasons=list(self.reasons) if self.state != "ok" else [],
            flapping=flapping,
            metrics=event_metrics(result),
            at=result.started_at,
        )
        self.notified_state = self.state
        return event


class StateBook:
    """Trackers of all cameras, and the counts the Prometheus collector reads."""

    def __init__(self, hysteresis: Hysteresis | None = None) -> None:
        self.hysteresis = hysteresis or Hysteresis()
        self.trackers: dict[str, CameraTracker] = {}
        self.transitions: dict[tuple[str, str], int] = {}

    def observe(self, result: ProbeResult) -> TransitionEvent | None:
        """Update the camera of ``result``; count and return its event, if any."""
        tracker = self.trackers.get(result.camera_id)
        if tracker is None:
            tracker = CameraTracker(result.camera_id, result.district, self.hysteresis)
            self.trackers[result.camera_id] = tracker
        before = tracker.state
        event = tracker.observe(result)
        if tracker.state != before:
            key = (before, tracker.state)
            self.transitions[key] = self.transitions.get(key, 0) + 1
        return event

    def counts(self) -> dict[tuple[str, str], int]:
        """Cameras per (district, state), the only per-camera aggregation exported."""
        out: dict[tuple[str, str], int] = {}
        for tracker in list(self.trackers.values()):  # snapshot: scrapes run on another thread
            key = (tracker.district, tracker.state)
            out[key] = out.get(key, 0) + 1
        return out

    def flapping(self) -> int:
        """Number of cameras currently marked flapping."""
        return sum(t.flapping for t in list(self.trackers.values()))

    def worst(self, limit: int = 10) -> list[CameraTracker]:
        """Cameras most in need of attention: down before degraded, longest first."""
        rank = {"down": 0, "degraded": 1, "ok": 2}
        unhealthy = [t for t in list(self.trackers.values()) if t.state != "ok" or t.flapping]
        return sorted(unhealthy, key=lambda t: (rank[t.state], t.since))[:limit]
