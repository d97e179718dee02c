"""Live terminal view of a running monitor: counts by state and the worst feeds (rich)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from monitor.sinks.prometheus import SweepStats
from monitor.state import STATES, StateBook

STATE_STYLE = {"ok": "green", "degraded": "yellow", "down": "bold red"}


def render(book: StateBook, stats: SweepStats, *, worst: int = 10) -> Group:
    """One frame of the live view: a summary line, counts per district, worst feeds."""
    counts = book.counts()
    totals = {state: sum(n for (_, s), n in counts.items() if s == state) for state in STATES}
    summary = Text.assemble(
        ("safecity monitor  ", "bold"),
        *[(f"{state} {totals[state]}  ", STATE_STYLE[state]) for state in STATES],
        (f"flapping {book.flapping()}  ", "magenta"),
        f"sweeps {stats.sweeps}  last {stats.last_duration_s:.1f} s  lag {stats.last_lag_s:.1f} s",
    )
    by_district = Table(title="cameras by district", expand=False)
    by_district.add_column("district")
    for state in STATES:
        by_district.add_column(state, justify="right", style=STATE_STYLE[state])
    for district in sorted({d for d, _ in counts}):
        by_district.add_row(district, *[str(counts.get((district, s), 0)) for s in STATES])

    worst_table = Table(title="worst feeds", expand=False)
    for column in ("camera", "district", "state", "since", "reasons", "fps"):
        worst_table.add_column(column)
    for tracker in book.worst(worst):
        last = tracker.last_result
        worst_table.add_row(
            tracker.camera_id,
            tracker.district,
            Text(tracker.state + (" (flapping)" if tracker.flapping else ""),
                 style=STATE_STYLE[tracker.state]),
            tracker.since,
            ", ".join(tracker.reasons),
            "" if last is None or last.fps is None else f"{last.fps:.1f}",
        )  # fmt: skip
    return Group(summary, by_district, worst_table)
