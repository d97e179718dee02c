"""State machine: hysteresis (down after 3 failures, up after 2 good), degraded, flapping."""

from __future__ import annotations

import pytest

from monitor.probe import ProbeResult
from monitor.state import CameraTracker, Hysteresis, StateBook, TransitionEvent, classify

GOOD: list[str] = []
FAIL = ["timeout"]
BLUR = ["blurred"]


def result(reasons: list[str], camera_id: str = "cam-1", district: str = "Luohu") -> ProbeResult:
    return ProbeResult(
        camera_id=camera_id,
        url="rtsp://***@10.0.0.1/cam",
        district=district,
        started_at="2026-11-29T20:00:00.000Z",
        ok=not reasons,
        reasons=list(reasons),
        fps=10.0 if reasons != FAIL else None,
        frames=10 if reasons != FAIL else 0,
        error="stream stalled" if reasons == FAIL else None,
    )


def feed(tracker: CameraTracker, *sequence: list[str]) -> list[TransitionEvent | None]:
    return [tracker.observe(result(reasons)) for reasons in sequence]


def test_classify_outcomes():
    assert classify(result(GOOD)) == "good"
    assert classify(result(BLUR)) == "degraded"
    assert classify(result(["frozen", "low_fps"])) == "degraded"
    assert classify(result(["no_frames"])) == "failed"


def test_down_only_after_three_consecutive_failures():
    tracker = CameraTracker("cam-1", "Luohu")
    events = feed(tracker, FAIL, FAIL, GOOD, FAIL, FAIL)
    assert events == [None] * 5 and tracker.state == "ok"
    event = tracker.observe(result(FAIL))
    assert tracker.state == "down"
    assert event is not None
    assert (event.from_state, event.to_state, event.reasons) == ("ok", "down", ["timeout"])
    assert event.flapping is False
    assert event.metrics["error"] == "stream stalled"
    assert feed(tracker, FAIL, FAIL) == [None, None]  # only transitions are events


def test_up_only_after_two_good_probes():
    tracker = CameraTracker("cam-1", "Luohu")
    feed(tracker, FAIL, FAIL, FAIL)
    assert feed(tracker, GOOD, FAIL, GOOD) == [None, None, None]
    assert tracker.state == "down"
    event = tracker.observe(result(GOOD))
    assert tracker.state == "ok"
    assert event is not None and (event.from_state, event.to_state) == ("down", "ok")
    assert event.reasons == []


def test_degraded_after_two_picture_faults_and_back():
    tracker = CameraTracker("cam-1", "Luohu")
    assert feed(tracker, BLUR) == [None]
    event = tracker.observe(result(BLUR))
    assert event is not None and (event.to_state, event.reasons) == ("degraded", ["blurred"])
    assert feed(tracker, GOOD) == [None]
    back = tracker.observe(result(GOOD))
    assert back is not None and (back.from_state, back.to_state) == ("degraded", "ok")


def test_down_camera_with_bad_video_back_is_degraded():
    tracker = CameraTracker("cam-1", "Luohu")
    feed(tracker, FAIL, FAIL, FAIL)
    events = feed(tracker, BLUR, BLUR)
    assert tracker.state == "degraded"
    assert events[1] is not None and (events[1].from_state, events[1].to_state) == (
        "down",
        "degraded",
    )


def test_flapping_is_notified_once_then_settles():
    tracker = CameraTracker("cam-1", "Luohu", Hysteresis(flap_window=10, flap_changes=3))
    cycle = [FAIL, FAIL, FAIL, GOOD, GOOD]  # ok -> down -> ok every five probes
    events = [e for e in feed(tracker, *cycle, *cycle, *cycle, *cycle) if e is not None]
    # two plain transitions, then the third change within 10 probes marks it flapping
    assert [(e.from_state, e.to_state, e.flapping) for e in events] == [
        ("ok", "down", False),
        ("down", "ok", False),
        ("ok", "down", True),
    ]
    assert tracker.flapping
    settled = [e for e in feed(tracker, *[GOOD] * 12) if e is not None]
    assert len(settled) == 1
    assert (settled[0].from_state, settled[0].to_state, settled[0].flapping) == (
        "down",
        "ok",
        False,
    )
    assert not tracker.flapping


def test_state_book_counts_by_district_and_state():
    book = StateBook()
    for _ in range(3):
        book.observe(result(FAIL, "a", "Luohu"))
        book.observe(result(GOOD, "b", "Luohu"))
        book.observe(result(BLUR, "c", "Futian"))
    assert book.counts() == {("Luohu", "down"): 1, ("Luohu", "ok"): 1, ("Futian", "degraded"): 1}
    assert book.transitions == {("ok", "down"): 1, ("ok", "degraded"): 1}
    assert [t.camera_id for t in book.worst()] == ["a", "c"]


def test_event_json_matches_contract():
    tracker = CameraTracker("cam-1", "Luohu")
    event = feed(tracker, FAIL, FAIL, FAIL)[-1]
    assert event is not None
    data = event.as_dict()
    assert set(data) == {
        "event_id", "camera_id", "district", "from_state", "to_state", "reasons", "at",
        "flapping", "metrics",
    }  # fmt: skip
    assert data["at"].endswith("Z") and len(data["event_id"]) == 36


def test_hysteresis_rejects_nonsense():
    with pytest.raises(ValueError, match="down_after"):
        Hysteresis(down_after=0)
