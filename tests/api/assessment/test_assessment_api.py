"""Assessment runs through the API: inputs, reproducibility, publication, freezing, roles."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.assessment import DistrictInput, ScoringConfig, score_districts

SPEC = {
    "Futian": (10, 10, 10),
    "Nanshan": (10, 9, 8),
    "Luohu": (10, 8, 8),
    "Baoan": (10, 6, 5),
    "Longgang": (10, 5, 2),
    "Yantian": (5, 5, 4),
    "Longhua": (10, 3, 3),
    "Pingshan": (5, 1, 1),
    "Guangming": (5, 0, 0),
}


def run(client, headers, period, config=None):
    body = {"period": period} | ({"config": config} if config is not None else {})
    return client.post("/api/v1/assessments", json=body, headers=headers)


@pytest.fixture
def seeded(rollout):
    return rollout(SPEC)


def test_run_scores_snapshot_and_reproduce(client, auth, seeded):
    first = run(client, auth["assessor"], seeded.period)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "draft" and body["period"] == seeded.period
    snapshot = {d["district"]: d for d in body["inputs"]["districts"]}
    assert {d: (s["target"], s["installed"], s["online"]) for d, s in snapshot.items()} == SPEC
    ranked = [s["district"] for s in body["scores"]]
    assert ranked[0] == "Futian" and set(ranked[-2:]) == {"Guangming", "Longgang"}
    assert [s["rank"] for s in body["scores"]] == list(range(1, 10))
    vetoed = {s["district"] for s in body["scores"] if s["vetoed"]}
    assert vetoed == {"Longgang", "Guangming"}  # online 40 % and 0 % < 60 % floor
    assert body["scores"][0]["score"] == 100.0 and body["scores"][0]["flag"] == "reward"

    # the stored inputs and config reproduce the stored scores exactly
    recomputed = score_districts(
        [DistrictInput(**d) for d in body["inputs"]["districts"]], ScoringConfig(**body["config"])
    )
    assert [(s.district, s.score, s.rank, s.flag) for s in recomputed] == [
        (s["district"], s["score"], s["rank"], s["flag"]) for s in body["scores"]
    ]
    # same inputs, same run result; changed config or data, another digest
    second = run(client, auth["admin"], seeded.period).json()
    assert second["id"] != body["id"]
    assert second["inputs_digest"] == body["inputs_digest"]
    assert second["scores"] == body["scores"]
    weighted = run(client, auth["assessor"], seeded.period, {"weight_online": 0.0}).json()
    assert weighted["config"]["weight_online"] == 0.0
    assert weighted["config"]["weight_completion"] == 0.5
    assert weighted["inputs_digest"] != body["inputs_digest"]
    read = client.get(f"/api/v1/assessments/{body['id']}", headers=auth["assessor"])
    assert read.status_code == 200 and read.json() == body


def test_publish_freezes_the_period(client, auth, seeded, row_counts):
    draft = run(client, auth["assessor"], seeded.period).json()
    other = run(client, auth["assessor"], seeded.period).json()
    reporter_view = client.get(f"/api/v1/assessments/{draft['id']}", headers=auth["reporter"])
    assert reporter_view.status_code == 403 and "draft" in reporter_view.json()["detail"]
    assert client.get("/api/v1/assessments", headers=auth["reporter"]).json() == []
    assert client.get(f"/api/v1/bulletins/{seeded.period}").status_code == 404

    published = client.post(f"/api/v1/assessments/{draft['id']}/publish", headers=auth["assessor"])
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert published.json()["published_by"] == "user:assessor"
    assert published.json()["scores"] == draft["scores"]

    before = row_counts()
    again = client.post(f"/api/v1/assessments/{draft['id']}/publish", headers=auth["admin"])
    assert again.status_code == 409 and "already published" in again.json()["detail"]
    rival = client.post(f"/api/v1/assessments/{other['id']}/publish", headers=auth["assessor"])
    assert rival.status_code == 409 and "frozen" in rival.json()["detail"]
    rerun = run(client, auth["assessor"], seeded.period)
    assert rerun.status_code == 409
    assert rerun.headers["content-type"] == "application/problem+json"
    assert row_counts() == before

    listed = client.get("/api/v1/assessments", headers=auth["reporter"]).json()
    assert [r["id"] for r in listed] == [draft["id"]]
    assert len(client.get("/api/v1/assessments", headers=auth["assessor"]).json()) == 2
    assert (
        client.get(f"/api/v1/assessments/{draft['id']}", headers=auth["reporter"]).status_code
        == 200
    )
    audit = client.get("/api/v1/audit", headers=auth["admin"]).json()
    actions = [e["action"] for e in (audit["items"] if isinstance(audit, dict) else audit)]
    assert "assessment.publish" in actions and "assessment.run" in actions


def test_concurrent_publishes_leave_one_published_run(client, auth, seeded, live_server):
    drafts = [run(client, auth["assessor"], seeded.period).json()["id"] for _ in range(2)]

    def publish(run_id: int) -> int:
        url = f"{live_server}/api/v1/assessments/{run_id}/publish"
        return httpx.post(url, headers=auth["assessor"], timeout=30).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(publish, drafts))
    assert codes == [200, 409]
    statuses = [
        client.get(f"/api/v1/assessments/{i}", headers=auth["assessor"]).json()["status"]
        for i in drafts
    ]
    assert sorted(statuses) == ["draft", "published"]
    bulletins = client.get("/api/v1/bulletins").json()
    assert len(bulletins) == 10  # city-wide + 9 districts, once


def test_bad_requests_are_problems_and_write_nothing(client, auth, rollout, row_counts):
    state = rollout({"Futian": (4, 2, 2)})  # other districts have no target
    before = row_counts()
    cases = [
        ({"period": "2001-Q1"}, 422, "unknown period '2001-Q1'"),
        ({"period": state.period, "config": {"weight_online": -1}}, 422, "weight_online"),
        (
            {"period": state.period, "config": {"weight_completion": 0, "weight_online": 0}},
            422,
            "must be > 0",
        ),
        ({"period": state.period, "config": {"bonus": 5}}, 422, "bonus"),
        ({"period": state.period}, 422, "has no target for district(s) Baoan"),
        ({}, 422, "period"),
    ]
    for body, status, needle in cases:
        response = client.post("/api/v1/assessments", json=body, headers=auth["assessor"])
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.json()["detail"], response.json()
    missing = client.post("/api/v1/assessments/4242/publish", headers=auth["assessor"])
    assert missing.status_code == 404 and "unknown assessment run 4242" in missing.text
    assert client.get("/api/v1/assessments/0", headers=auth["assessor"]).status_code == 422
    assert (
        client.get("/api/v1/assessments?period=nope", headers=auth["assessor"]).status_code == 404
    )
    malformed = client.post(
        "/api/v1/assessments",
        content=b'{"period": ',
        headers={**auth["assessor"], "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert row_counts() == before
    defaults = client.get("/api/v1/assessments/defaults", headers=auth["reporter"]).json()
    assert defaults["weight_completion"] == 0.5 and defaults["veto_online_rate_floor"] == 0.6
