"""Feed registry (CSV / YAML, strict keys, clear errors) and credential redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.feeds import FeedError, feed_for_url, load_feeds, redact_text, redact_url


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_registry_with_optional_columns(tmp_path: Path):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "a.png").write_bytes(b"png")
    registry = write(
        tmp_path / "feeds.csv",
        "camera_id,url,district,expected_fps,reference\n"
        "a,rtsp://u:p@10.0.0.1/s1,Futian,25,refs/a.png\n"
        "b,http://10.0.0.2/live.ts,Baoan,,\n",
    )
    feeds = load_feeds(registry)
    assert [f.camera_id for f in feeds] == ["a", "b"]
    assert feeds[0].expected_fps == 25 and feeds[1].expected_fps is None
    assert feeds[0].reference == tmp_path / "refs" / "a.png"
    assert feeds[0].safe_url == "rtsp://***@10.0.0.1/s1"


def test_yaml_registry_list_or_mapping(tmp_path: Path):
    listed = write(tmp_path / "a.yaml", "- {camera_id: a, url: /v/a.mp4, district: Luohu}\n")
    mapped = write(
        tmp_path / "b.yml", "feeds:\n  - {camera_id: b, url: 'rtsp://h/x', district: Yantian}\n"
    )
    assert load_feeds(listed)[0].district == "Luohu"
    assert load_feeds(mapped)[0].url == "rtsp://h/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {camera_id: a, url: rtsp://h/x, district: Luohu, fps: 25}\n", "'fps'"),
        ("- {camera_id: a, url: rtsp://h/x, district: Kowloon}\n", "unknown district 'Kowloon'"),
        ("- {camera_id: a, url: 'gopher://h/x', district: Luohu}\n", "unsupported scheme"),
        ("- {camera_id: a, url: rtsp://h/x, district: Luohu, expected_fps: -1}\n", "expected_fps"),
        (
            "- {camera_id: a, url: rtsp://h/x, district: Luohu}\n"
            "- {camera_id: a, url: rtsp://h/y, district: Luohu}\n",
            "entry 2: duplicate camera_id 'a'",
        ),
        ("- {camera_id: a, url: rtsp://h/x, district: Luohu, reference: no.png}\n", "not found"),
        ("[]\n", "no feeds"),
        ("camera_id: [\n", "not valid YAML"),
    ],
)
def test_bad_registry_names_file_entry_field_and_value(tmp_path: Path, text: str, message: str):
    registry = write(tmp_path / "feeds.yaml", text)
    with pytest.raises(FeedError, match=r"feeds\.yaml") as caught:
        load_feeds(registry)
    assert message in str(caught.value)


def test_error_messages_never_leak_credentials(tmp_path: Path):
    registry = write(
        tmp_path / "feeds.yaml",
        "- {camera_id: a, url: 'ftp://admin:hunter2@h/x?token=abc', district: Luohu}\n",
    )
    with pytest.raises(FeedError) as caught:
        load_feeds(registry)
    assert "hunter2" not in str(caught.value) and "abc" not in str(caught.value)


def test_unsupported_file_type_and_missing_file(tmp_path: Path):
    with pytest.raises(FeedError, match="unsupported registry format"):
        load_feeds(write(tmp_path / "feeds.txt", "x"))
    with pytest.raises(FeedError, match="not found"):
        load_feeds(tmp_path / "missing.csv")


def test_redaction_of_urls_and_free_text():
    assert redact_url("rtsp://admin:pw@cam.local:554/s?channel=1&password=pw") == (
        "rtsp://***@cam.local:554/s?channel=1&password=***"
    )
    assert redact_url("http://cam/x?token=t0k&x=1") == "http://cam/x?token=***&x=1"
    assert redact_url("/plain/path.mp4") == "/plain/path.mp4"
    text = "[tcp] Connection to tcp://u:secret@10.1.1.1:554?timeout=0 failed; key=abc"
    cleaned = redact_text(text)
    assert "secret" not in cleaned and "abc" not in cleaned and "10.1.1.1:554" in cleaned


def test_feed_for_url_builds_an_id_without_credentials():
    feed = feed_for_url("rtsp://admin:pw@10.0.0.9/Streaming/101", index=2)
    assert feed.camera_id == "101-2"
    assert "pw" not in feed.camera_id
