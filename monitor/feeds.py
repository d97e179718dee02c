"""The feed registry: which cameras to probe, where their streams are, and credential redaction.

A registry is a CSV or YAML file with one feed per row/entry: ``camera_id``, ``url``,
``district`` and optionally ``expected_fps`` and ``reference`` (path of a reference image
of the camera's normal view, relative to the registry file).  Unknown keys are refused, so
a typo never silently disables a check.  Districts are the nine English district keys of
Shenzhen: a closed set, which keeps every Prometheus label bounded.

Stream URLs may carry credentials (``rtsp://user:pass@host/...`` or ``?password=...``);
:func:`redact_url` and :func:`redact_text` strip them from everything the monitor logs,
prints, stores or sends.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DISTRICTS: tuple[str, ...] = (
    "Luohu",
    "Futian",
    "Nanshan",
    "Baoan",
    "Longgang",
    "Yantian",
    "Longhua",
    "Pingshan",
    "Guangming",
)
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "file"})
SECRET_QUERY_KEYS = frozenset(
    {"password", "passwd", "pwd", "pass", "token", "access_token", "key", "apikey", "api_key",
     "auth", "secret", "signature", "sig"}
)  # fmt: skip
REDACTED = "***"
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_SECRET_PARAM = re.compile(
    r"(?P<key>\b(?:" + "|".join(sorted(SECRET_QUERY_KEYS)) + r"))=(?P<value>[^&\s\"']+)",
    re.IGNORECASE,
)


class FeedError(ValueError):
    """A registry file or feed entry is invalid; the message names file, entry, field, value."""


def redact_url(url: str) -> str:
    """Return ``url`` without credentials: user info and secret query values become ``***``."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = urlencode(
        [
            (key, REDACTED if key.lower() in SECRET_QUERY_KEYS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Strip credentials from any URL embedded in free text (log lines, FFmpeg errors)."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}={REDACTED}", text)


class Feed(BaseModel):
    """One camera feed to watch."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    camera_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.:-]*$")
    url: str = Field(min_length=1)
    district: str
    expected_fps: float | None = Field(default=None, gt=0, le=240)
    reference: Path | None = None

    @field_validator("district")
    @classmethod
    def _known_district(cls, value: str) -> str:
        if value not in DISTRICTS:
            raise ValueError(f"unknown district {value!r}; expected one of {', '.join(DISTRICTS)}")
        return value

    @field_validator("url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme.lower()
        if "://" in value and scheme not in STREAM_SCHEMES:
            raise ValueError(
                f"unsupported scheme {scheme!r} in {redact_url(value)!r}; "
                f"expected one of {', '.join(sorted(STREAM_SCHEMES))} or a file path"
            )
        return value

    @property
    def safe_url(self) -> str:
        """The URL with credentials removed: the only form that is ever logged or sent."""
        return redact_url(self.url)


def _rows(path: Path) -> list[dict[str, Any]]:
    """Raw entries of a CSV or YAML registry (YAML: a list, or a mapping with ``feeds``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return [
                {key: value for key, value in row.items() if value not in ("", None)}
                for row in csv.DictReader(handle)
            ]
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise FeedError(f"{path}: not valid YAML: {exc}") from exc
        if isinstance(data, dict) and set(data) == {"feeds"}:
            data = data["feeds"]
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise FeedError(f"{path}: expected a list of feeds (or a mapping with key 'feeds')")
        return data
    raise FeedError(f"{path}: unsupported registry format {suffix!r}; use .csv, .yaml or .yml")


def describe_validation_error(error: ValidationError) -> str:
    """First validation problem as 'field=value: message', with credentials redacted."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "entry"
    value = first.get("input")
    shown = redact_text(str(value)) if not isinstance(value, dict) else "{...}"
    return f"field {field!r} value {shown!r}: {first['msg']}"


def load_feeds(path: Path) -> list[Feed]:
    """Read and validate a registry; reference paths are resolved against its folder.

    Raises :class:`FeedError` naming the file, the entry, the field and the value.
    """
    if not path.is_file():
        raise FeedError(f"{path}: registry file not found")
    feeds: list[Feed] = []
    seen: set[str] = set()
    for number, row in enumerate(_rows(path), start=1):
        try:
            feed = Feed.model_validate(row)
        except ValidationError as exc:
            raise FeedError(f"{path}: entry {number}: {describe_validation_error(exc)}") from None
        if feed.camera_id in seen:
            raise FeedError(f"{path}: entry {number}: duplicate camera_id {feed.camera_id!r}")
        seen.add(feed.camera_id)
        if feed.reference is not None and not feed.reference.is_absolute():
            feed = feed.model_copy(update={"reference": path.parent / feed.reference})
        if feed.reference is not None and not feed.reference.is_file():
            raise FeedError(
                f"{path}: entry {number}: field 'reference' value {str(feed.reference)!r}: "
                "image file not found"
            )
        feeds.append(feed)
    if not feeds:
        raise FeedError(f"{path}: no feeds listed")
    return feeds


FEEDS_PATH = "/api/v1/feeds"
API_FEED_KEYS = ("camera_id", "url", "district", "expected_fps")


def load_feeds_from_api(
    api_url: str, api_key: str, *, district: str | None = None, timeout_s: float = 30.0
) -> list[Feed]:
    """The registry as the API serves it (``GET /api/v1/feeds``: installed cameras with a
    stream URL).  Fields the monitor does not know are ignored here (the API may grow);
    a feed that fails validation raises :class:`FeedError` naming it."""
    endpoint = api_url.rstrip("/") + FEEDS_PATH
    params = {"district": district} if district else None
    try:
        response = httpx.get(
            endpoint, params=params, headers={"X-API-Key": api_key}, timeout=timeout_s
        )
    except httpx.HTTPError as exc:
        raise FeedError(f"{redact_url(endpoint)}: cannot fetch feeds: {exc}") from None
    if not response.is_success:
        raise FeedError(
            f"{redact_url(endpoint)}: API answered {response.status_code}: {response.text[:200]}"
        )
    try:
        rows = response.json()
    except ValueError:
        rows = None
    if not isinstance(rows, list):
        raise FeedError(f"{redact_url(endpoint)}: expected a JSON list of feeds")
    feeds = []
    for number, row in enumerate(rows, start=1):
        known = {
            k: row[k] for k in API_FEED_KEYS if isinstance(row, dict) and row.get(k) is not None
        }
        try:
            feeds.append(Feed.model_validate(known))
        except ValidationError as exc:
            raise FeedError(
                f"{redact_url(endpoint)}: feed {number}: {describe_validation_error(exc)}"
            ) from None
    return feeds


def feed_for_url(url: str, *, index: int = 0, district: str = DISTRICTS[1]) -> Feed:
    """An ad-hoc feed for ``safecity monitor check URL``: id derived from the redacted URL."""
    parts = urlsplit(url)
    stem = Path(parts.path).stem or parts.hostname or "feed"
    camera_id = re.sub(r"[^\w.:-]", "_", f"{stem}-{index}" if index else stem).lstrip("_.:-")
    return Feed(camera_id=camera_id or "feed", url=url, district=district)
