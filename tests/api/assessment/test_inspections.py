"""Unannounced inspections: seeded reproducible samples, recorded checks, frozen periods."""

from __future__ import annotations

import numpy as np
import pytest

from api.inspections import draw_sample, pass_counts

POPULATIONS = {
    "Futian": np.arange(100, 160, dtype=np.int64),
    "Nanshan": np.arange(500, 503, dtype=np.int64),
    "Yantian": np.array([], dtype=np.int64),
}


def test_sample_is_reproducible_and_bounded():
    first = draw_sample(POPULATIONS, 5, seed=42)
    again = draw_sample(POPULATIONS, 5, seed=42)
    other = draw_sample(POPULATIONS, 5, seed=43)
    assert {k: v.tolist() for k, v in first.items()} == {k: v.tolist() for k, v in again.items()}
    assert first["Futian"].tolist() != other["Futian"].tolist()
    assert len(first["Futian"]) == 5 and len(set(first["Futian"].tolist())) == 5
    assert set(first["Futian"].tolist()) <= set(POPULATIONS["Futian"].tolist())
    assert sorted(first["Nanshan"].tolist()) == [500, 501, 502]  # capped at the population
    assert first["Yantian"].size == 0


def test_a_district_sample_ignores_other_districts_populations():
    grown = {**POPULATIONS, "Nanshan": np.arange(500, 900, dtype=np.int64)}
    assert (
        draw_sample(grown, 5, seed=7)["Futian"].tolist()
        == draw_sample(POPULATIONS, 5, seed=7)["Futian"].tolist()
    )


def test_sample_is_uniform_over_many_seeds():
    hits = np.zeros(60)
    for seed in range(600):
        hits[draw_sample({"Futian": np.arange(60, dtype=np.int64)}, 6, seed)["Futian"]] += 1
    # each camera is picked with p = 0.1: 60 expected, 4-sigma band
    assert hits.min() > 60 - 4 * np.sqrt(54) and hits.max() < 60 + 4 * np.sqrt(54)


def test_pass_counts_ignore_unchecked():
    ids = np.array([1, 1, 1, 2, 2, 3], dtype=np.int64)
    outcomes = np.array(["pass", "fail", "", "fail", "fail", ""])
    assert pass_counts(ids, outcomes) == {1: (2, 1), 2: (2, 0)}


def draw(client, headers, period, **body):
    return client.post("/api/v1/inspections", json={"period": period, **body}, headers=headers)


def test_draw_record_and_fold_into_assessment(client, auth, rollout, row_counts):
    state = rollout({d: (10, 8, 8) for d in ["Futian", "Nanshan", "Luohu"]} | {"Baoan": (4, 0, 0)})
    # targets for the remaining districts so the period can be assessed
    rest = ["Guangming", "Longgang", "Longhua", "Pingshan", "Yantian"]
    response = client.put(
        f"/api/v1/periods/{state.period}/targets",
        json={"targets": dict.fromkeys(rest, 0)},
        headers=auth["admin"],
    )
    assert response.status_code == 200

    first = draw(client, auth["assessor"], state.period, per_district=3, seed=2024)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["seed"] == 2024
    tallies = {t["district"]: t["sampled"] for t in body["tallies"]}
    assert tallies["Futian"] == 3 and tallies["Baoan"] == 0 and tallies["Yantian"] == 0
    installed = {c for ids in state.installed.values() for c in ids}
    assert {c["camera_id"] for c in body["cameras"]} <= installed

    again = draw(client, auth["admin"], state.period, per_district=3, seed=2024).json()
    assert [c["camera_id"] for c in again["cameras"]] == [c["camera_id"] for c in body["cameras"]]
    random_seed = draw(client, auth["assessor"], state.period, per_district=3).json()["seed"]
    assert 0 <= random_seed < 2**63

    futian = [c["camera_id"] for c in body["cameras"] if c["district"] == "Futian"]
    nanshan = [c["camera_id"] for c in body["cameras"] if c["district"] == "Nanshan"]
    results = [{"camera_id": c, "outcome": "pass"} for c in futian]
    results += [{"camera_id": nanshan[0], "outcome": "fail", "note": "lens covered by a sign"}]
    results += [{"camera_id": c, "outcome": "pass"} for c in nanshan[1:]]
    recorded = client.put(
        f"/api/v1/inspections/{body['id']}/results",
        json={"results": results},
        headers=auth["assessor"],
    )
    assert recorded.status_code == 200, recorded.text
    tallies = {t["district"]: t for t in recorded.json()["tallies"]}
    assert (tallies["Futian"]["checked"], tallies["Futian"]["passed"]) == (3, 3)
    assert (tallies["Nanshan"]["checked"], tallies["Nanshan"]["passed"]) == (3, 2)
    note = next(c for c in recorded.json()["cameras"] if c["camera_id"] == nanshan[0])
    assert note["note"] == "lens covered by a sign" and note["checked_by"] == "user:assessor"

    # a camera outside the sample: 422, nothing changed
    before = row_counts()
    outsider = next(
        c for c in state.installed["Luohu"] if c not in {x["camera_id"] for x in body["cameras"]}
    )
    bad = client.put(
        f"/api/v1/inspections/{body['id']}/results",
        json={"results": [{"camera_id": outsider, "outcome": "fail"}]},
        headers=auth["assessor"],
    )
    assert bad.status_code == 422 and outsider in bad.json()["detail"]
    assert row_counts() == before

    run = client.post(
        "/api/v1/assessments", json={"period": state.period}, headers=auth["assessor"]
    )
    scores = {s["district"]: s for s in run.json()["scores"]}
    assert scores["Futian"]["inspection_pass_rate"] == 1.0
    assert scores["Nanshan"]["inspection_pass_rate"] == pytest.approx(2 / 3)
    assert scores["Nanshan"]["vetoed"]  # 33 % failed > 30 % ceiling
    assert scores["Luohu"]["inspection_pass_rate"] is None
    assert scores["Futian"]["score"] > scores["Luohu"]["score"]

    published = client.post(
        f"/api/v1/assessments/{run.json()['id']}/publish", headers=auth["assessor"]
    )
    assert published.status_code == 200
    before = row_counts()
    late = client.put(
        f"/api/v1/inspections/{body['id']}/results",
        json={"results": results},
        headers=auth["assessor"],
    )
    assert late.status_code == 409 and "frozen" in late.json()["detail"]
    assert draw(client, auth["assessor"], state.period).status_code == 409
    assert row_counts() == before


BAD_DRAWS = [
    ({"period": "1999-Q9"}, "unknown period '1999-Q9'"),
    ({"period": "P", "per_district": 0}, "per_district"),
    ({"period": "P", "seed": -1}, "seed"),
    ({"period": "P", "districts": ["Atlantis"]}, "unknown district 'Atlantis'"),
    ({"period": "P", "per_district": 2, "extra": 1}, "extra"),
]


def test_bad_draws_write_nothing(client, auth, row_counts):
    client.post(
        "/api/v1/periods",
        json={"name": "P", "kind": "quarter", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
        headers=auth["admin"],
    )
    before = row_counts()
    for body, needle in BAD_DRAWS:
        response = client.post("/api/v1/inspections", json=body, headers=auth["assessor"])
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.text, response.text
    missing = client.get("/api/v1/inspections/999", headers=auth["assessor"])
    assert missing.status_code == 404 and "unknown inspection 999" in missing.text
    assert row_counts() == before
