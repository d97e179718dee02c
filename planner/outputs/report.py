"""Self-contained HTML report of a plan: tables plus the map and curve inlined as base64."""

from __future__ import annotations

import base64
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd

from planner.pipeline import Plan

_ENV = jinja2.Environment(autoescape=True)
_ENV.filters.update(
    fmt0=lambda v: f"{v:,.0f}", fmt1=lambda v: f"{v:,.1f}", fmt2=lambda v: f"{v:.2f}"
)
_TEMPLATE = _ENV.from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>safecity camera plan</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #ddd}
.note{color:#666;font-size:12px}
</style></head><body>
<h1>Camera placement plan</h1>
<p>{{ s.placed | fmt0 }} new cameras ({{ s.existing | fmt0 }} existing kept),
cost {{ s.cost_cny | fmt0 }} CNY; covered demand weight {{ s.covered_pct | fmt2 }}%
{% if s.upper_bound_pct is not none %}(upper bound {{ s.upper_bound_pct | fmt2 }}%,
{{ s.bound_method }}; gap {{ (100 * s.gap) | fmt2 }}%){% endif %};
hot-spot coverage {{ s.hotspot_coverage_pct | fmt2 }}%; {{ s.covered_street_km | fmt1 }} of
{{ s.street_km | fmt1 }} street km covered at DORI level <b>{{ s.dori_level }}</b>.</p>
<h2>Districts</h2>{{ districts }}
<h2>Phases</h2>{{ phases }}
<h2>Map</h2><img alt="camera map" src="data:image/png;base64,{{ map_png }}">
<h2>Coverage curve</h2><img alt="coverage curve" src="data:image/png;base64,{{ curve_png }}">
<h2>Camera catalogue</h2>{{ catalog }}
<h2>Inputs</h2>{{ inputs }}
<h2>Sizes and timings</h2>{{ sizes }}{{ timings }}
<p class="note">Mode {{ s.mode }}; solver status {{ s.solver_status }}. Storage: 30 days of
continuous recording at each type's bitrate.</p>
</body></html>
"""
)


def _table(frame: pd.DataFrame) -> markupsafe.Markup:
    """An HTML table of ``frame`` (pandas escapes the cell text)."""
    return markupsafe.Markup(
        frame.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0)
    )


def _pairs(mapping: dict[str, object], key: str, value: str) -> markupsafe.Markup:
    return _table(pd.DataFrame({key: list(mapping), value: [str(v) for v in mapping.values()]}))


def write_report(plan: Plan, path: Path, map_png: Path, curve_png: Path) -> None:
    """Write ``report.html`` with no external assets."""
    s = plan.summary
    html = _TEMPLATE.render(
        s=s,
        districts=_table(plan.districts),
        phases=_table(plan.phases),
        catalog=_table(pd.DataFrame(s["catalog"]["types"])),
        inputs=_pairs({**s["inputs"], "catalogue": s["catalog"]["source"]}, "layer", "source"),
        sizes=_pairs(s["sizes"], "size", "count"),
        timings=_pairs(s["timings_s"], "step", "seconds"),
        map_png=base64.b64encode(map_png.read_bytes()).decode("ascii"),
        curve_png=base64.b64encode(curve_png.read_bytes()).decode("ascii"),
    )
    path.write_text(html, encoding="utf-8")
