"""Per-district figures of a loaded city (the table of ``safecity geodata summary``)."""

from __future__ import annotations

import pandas as pd

from geodata.city import City


def district_summary(city: City) -> pd.DataFrame:
    """One row per district plus a 'total' row.

    Columns: district, name_zh, area_km2, street_km, demand_points, candidate_sites,
    intersections, weight_share_pct (district's share of the city's demand weight) and
    hotspot_weight_pct (share of the district's own demand weight on hot-spot streets).
    """
    demand = city.demand
    weight = demand.groupby("district")["weight"].sum()
    hot_weight = demand[demand["hotspot"]].groupby("district")["weight"].sum()
    sites = city.candidates.groupby("district")["kind"]
    table = pd.DataFrame(
        {
            "district": city.districts["district"],
            "name_zh": city.districts["name_zh"],
            "area_km2": city.districts["area_km2"].to_numpy(),
        }
    ).set_index("district")
    table["street_km"] = city.streets.segments.groupby("district")["length_m"].sum() / 1000.0
    table["demand_points"] = demand.groupby("district").size()
    table["candidate_sites"] = sites.size()
    table["intersections"] = sites.apply(lambda kind: int((kind == "intersection").sum()))
    table["weight_share_pct"] = 100.0 * weight / weight.sum()
    table["hotspot_weight_pct"] = 100.0 * hot_weight.reindex(weight.index, fill_value=0) / weight
    table = table.fillna(0)
    for column in ("demand_points", "candidate_sites", "intersections"):
        table[column] = table[column].astype(int)
    total = table.drop(columns="name_zh").sum()
    total["hotspot_weight_pct"] = 100.0 * hot_weight.sum() / weight.sum()
    table.loc["total"] = {"name_zh": "合计", **total.to_dict()}
    return table.reset_index()
