"""Public progress bulletins (情况通报): the frozen figures of a published assessment run,
rendered as HTML (Jinja2, autoescaped) and CSV.

A bulletin's ``data`` is written once at publication (``bulletin_data``) and never
recomputed, so the public sees exactly what was published.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

CSV_COLUMNS = (
    "rank",
    "district",
    "target",
    "installed",
    "online",
    "completion_pct",
    "online_rate_pct",
    "inspection_pass_rate_pct",
    "score",
    "flag",
    "vetoed",
    "veto_reasons",
)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 2)


def bulletin_row(score: dict[str, Any]) -> dict[str, Any]:
    """One district's published line (percentages, rounded score)."""
    return {
        "rank": score["rank"],
        "district": score["district"],
        "target": score["target"],
        "installed": score["installed"],
        "online": score["online"],
        "completion_pct": _pct(score["completion"]),
        "online_rate_pct": _pct(score["online_rate"]),
        "inspection_pass_rate_pct": _pct(score["inspection_pass_rate"]),
        "score": round(score["score"], 2),
        "flag": score["flag"],
        "vetoed": score["vetoed"],
        "veto_reasons": list(score["veto_reasons"]),
    }


def city_row(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """City-wide totals of the published figures."""
    target = sum(s["target"] for s in scores)
    installed = sum(s["installed"] for s in scores)
    online = sum(s["online"] for s in scores)
    return {
        "district": "Shenzhen",
        "target": target,
        "installed": installed,
        "online": online,
        "completion_pct": _pct(min(installed / target, 1.0) if target else 1.0),
        "online_rate_pct": _pct(online / installed if installed else 0.0),
    }


def bulletin_data(
    *,
    period: dict[str, Any],
    run: dict[str, Any],
    scores: list[dict[str, Any]],
    district: str | None,
) -> dict[str, Any]:
    """What a bulletin shows: the whole ranking (city-wide) or one district's line."""
    rows = [bulletin_row(s) for s in scores if district is None or s["district"] == district]
    return {
        "period": period,
        "run": run,
        "district": district,
        "districts_ranked": len(scores),
        "city": city_row(scores),
        "rows": rows,
    }


def bulletin_title(period_name: str, district: str | None) -> str:
    """Human title of a bulletin."""
    where = f"{district} district" if district else "Shenzhen city-wide"
    return f"Camera rollout progress bulletin {period_name}: {where}"


@lru_cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(title: str, data: dict[str, Any]) -> str:
    """The bulletin as a self-contained HTML page (no external resources)."""
    return _templates().get_template("bulletin.html").render(title=title, data=data)


def render_csv(data: dict[str, Any]) -> str:
    """The bulletin's district lines as CSV (city-wide bulletins end with a city total)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in data["rows"]:
        writer.writerow({**row, "veto_reasons": "; ".join(row["veto_reasons"])})
    if data["district"] is None:
        writer.writerow({key: data["city"].get(key, "") for key in CSV_COLUMNS})
    return buffer.getvalue()
