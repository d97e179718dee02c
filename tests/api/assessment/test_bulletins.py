"""Public bulletins: published figures as HTML and CSV, readable without login."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

from api.bulletins import bulletin_data, render_csv, render_html

SCORES = [
    {
        "rank": 1,
        "district": "Futian",
        "target": 10,
        "installed": 10,
        "online": 9,
        "completion": 1.0,
        "online_rate": 0.9,
        "inspection_pass_rate": None,
        "score": 94.3333,
        "flag": "reward",
        "vetoed": False,
        "veto_reasons": [],
    },
    {
        "rank": 2,
        "district": "<script>alert(1)</script>",
        "target": 10,
        "installed": 4,
        "online": 1,
        "completion": 0.4,
        "online_rate": 0.25,
        "inspection_pass_rate": 0.5,
        "score": 31.25,
        "flag": "penalty",
        "vetoed": True,
        "veto_reasons": ["online rate 25.0% below the floor 60.0%", "inspections"],
    },
]
PERIOD = {"name": "2026-Q4", "kind": "quarter", "starts_on": "2026-10-01", "ends_on": "2026-12-31"}
RUN = {
    "id": 3,
    "inputs_digest": "ab" * 32,
    "published_at": "2026-12-31T12:00:00+00:00",
    "config": {
        "weight_completion": 0.5,
        "weight_online": 0.3,
        "weight_inspection": 0.2,
        "veto_online_rate_floor": 0.6,
        "veto_failed_share_ceiling": 0.3,
    },
}


class Cells(HTMLParser):
    """Collects the text of every table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        if self.rows and data.strip():
            self.rows[-1].append(data.strip())


def test_city_bulletin_renders_every_row_escaped_with_city_total():
    data = bulletin_data(period=PERIOD, run=RUN, scores=SCORES, district=None)
    assert data["city"]["installed"] == 14 and data["city"]["completion_pct"] == 70.0
    parser = Cells()
    parser.feed(render_html("Bulletin 2026-Q4", data))
    assert parser.scripts == 0  # the hostile name is text, not markup
    assert parser.rows[1][:3] == ["1", "Futian", "10"]
    assert parser.rows[2][1] == "<script>alert(1)</script>"
    assert "online rate 25.0% below the floor 60.0%; inspections" in parser.rows[2]
    assert parser.rows[3][:3] == ["Shenzhen (city)", "20", "14"]
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    assert [r["district"] for r in rows] == ["Futian", "<script>alert(1)</script>", "Shenzhen"]
    assert rows[0]["score"] == "94.33" and rows[0]["inspection_pass_rate_pct"] == ""
    assert rows[1]["vetoed"] == "True" and rows[1]["online_rate_pct"] == "25.0"
    assert rows[2]["rank"] == "" and rows[2]["completion_pct"] == "70.0"


def test_district_bulletin_has_its_line_only():
    data = bulletin_data(period=PERIOD, run=RUN, scores=SCORES, district="Futian")
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    assert [r["district"] for r in rows] == ["Futian"]
    assert "Rank 1 of 2 districts" in render_html("Futian", data)


def test_published_bulletins_are_public_and_match_the_run(client, auth, rollout):
    state = rollout(
        {
            d: (6, i % 7, i % 7)
            for i, d in enumerate(
                [
                    "Baoan",
                    "Futian",
                    "Guangming",
                    "Longgang",
                    "Longhua",
                    "Luohu",
                    "Nanshan",
                    "Pingshan",
                    "Yantian",
                ]
            )
        }
    )
    draft = client.post(
        "/api/v1/assessments", json={"period": state.period}, headers=auth["assessor"]
    ).json()
    for url in (f"/api/v1/bulletins/{state.period}", f"/api/v1/bulletins/{state.period}/Futian"):
        hidden = client.get(url)
        assert hidden.status_code == 404 and "no published bulletin" in hidden.json()["detail"]
    assert client.get("/api/v1/bulletins").json() == []
    client.post(f"/api/v1/assessments/{draft['id']}/publish", headers=auth["assessor"])

    listing = client.get("/api/v1/bulletins").json()
    assert next(b["district"] for b in listing) is None and len(listing) == 10
    page = client.get(f"/api/v1/bulletins/{state.period}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parser = Cells()
    parser.feed(page.text)
    assert [row[1] for row in parser.rows[1:10]] == [s["district"] for s in draft["scores"]]
    table = client.get(f"/api/v1/bulletins/{state.period}?format=csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["district"], float(r["score"])) for r in rows[:9]] == [
        (s["district"], round(s["score"], 2)) for s in draft["scores"]
    ]
    assert rows[9]["district"] == "Shenzhen"
    assert int(rows[9]["installed"]) == sum(s["installed"] for s in draft["scores"])
    one = client.get(f"/api/v1/bulletins/{state.period}/Futian?format=csv").text
    assert [r["district"] for r in csv.DictReader(io.StringIO(one))] == ["Futian"]
    assert client.get(f"/api/v1/bulletins/{state.period}/Atlantis").status_code == 404
    assert client.get(f"/api/v1/bulletins/{state.period}?format=pdf").status_code == 422
    assert client.get("/api/v1/bulletins/1999-Q1").status_code == 404
