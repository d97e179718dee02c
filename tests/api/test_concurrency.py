"""200 concurrent installation reports through a real uvicorn server, with clients
retrying the same idempotency keys at random: the final totals are exact."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import httpx
import sqlalchemy as sa

from api.models import CameraSite, IdempotencyRecord, InstallationReport, SiteStatus

REPORTS = 200


async def _send_all(base_url, headers, bodies, rng):
    """Every report once, plus 0-2 retries of the same key, some overlapping in flight."""
    limits = httpx.Limits(max_connections=REPORTS, max_keepalive_connections=REPORTS)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

        async def post(key, body, delay):
            await asyncio.sleep(delay)
            response = await client.post(
                "/api/v1/reports", json=body, headers={**headers, "Idempotency-Key": key}
            )
            return key, response

        attempts = [
            post(key, body, rng.uniform(0, 0.3))
            for key, body in bodies.items()
            for _ in range(1 + rng.randrange(3))
        ]
        rng.shuffle(attempts)
        return await asyncio.gather(*attempts)


def test_concurrent_reports_with_retries_count_exactly_once(app, live_server, auth, plan):
    rng = random.Random(2007)
    ids = plan({"Futian": REPORTS})["Futian"]
    (lon, lat) = (114.055, 22.54)  # Futian civic centre
    bodies = {}
    for i, camera_id in enumerate(ids):
        body = {"district": "Futian", "installed": [{"camera_id": camera_id}]}
        if i % 2 == 0:  # half also add a new site with a server-generated id
            body["new_sites"] = [{"lon": lon + i * 1e-5, "lat": lat, "owner_type": "enterprise"}]
        bodies[f"report-{i:03d}"] = body
    results = asyncio.run(_send_all(live_server, auth["reporter"], bodies, rng))
    by_key = defaultdict(list)
    for key, response in results:
        assert response.status_code == 201, response.text
        by_key[key].append(response.json())
    assert len(results) > REPORTS * 3 // 2  # retries really happened (about 2 per key)
    for key, answers in by_key.items():
        assert all(a == answers[0] for a in answers), key  # retries replay the first answer
    assert sum(answers[0]["installed"] for answers in by_key.values()) == REPORTS * 3 // 2
    with app.state.db.session() as session:
        installed = session.scalar(
            sa.select(sa.func.count()).where(CameraSite.status == SiteStatus.installed.value)
        )
        reports = session.scalar(sa.select(sa.func.count()).select_from(InstallationReport))
        records = session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord))
    assert (installed, reports, records) == (REPORTS * 3 // 2, REPORTS, REPORTS)
    progress = httpx.get(f"{live_server}/api/v1/progress/Futian", headers=auth["reporter"])
    assert progress.json()["installed"] == REPORTS * 3 // 2
