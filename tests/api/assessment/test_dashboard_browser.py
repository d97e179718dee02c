"""The dashboard in real headless Chromium against a real uvicorn server and database:
map colours, ranking order, drill-down, metric toggle and auto-refresh."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# district: (target, installed, online) -> completion %
SPEC = {
    "Futian": (10, 10, 10),  # 100
    "Nanshan": (10, 9, 6),  # 90
    "Luohu": (10, 8, 8),  # 80
    "Longgang": (10, 7, 2),  # 70, online 28.6 %
    "Yantian": (5, 3, 3),  # 60
    "Baoan": (10, 5, 5),  # 50
    "Longhua": (10, 2, 1),  # 20
    "Pingshan": (5, 1, 1),  # 20 (tie: by name)
    "Guangming": (5, 0, 0),  # 0
}
RED, YELLOW, GREEN = "rgb(215, 48, 39)", "rgb(254, 224, 139)", "rgb(26, 152, 80)"


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 860})
        finally:
            browser.close()


def fills(page: Page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#map path.district",
        "paths => Object.fromEntries(paths.map(p => [p.dataset.district, p.getAttribute('fill')]))",
    )


def ranking(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "#ranking tbody tr", "rows => rows.map(r => r.dataset.district)"
    )


def test_dashboard_map_ranking_drilldown_refresh(
    page, live_server, auth, rollout, report_installed, test_output_dir, backend
):
    state = rollout(SPEC)
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("request", lambda r: r.url.startswith(live_server) or foreign.append(r.url))

    page.goto(f"{live_server}/dashboard?refresh=1")
    # the page runs under its strict CSP (no eval), so wait with locators, not JS predicates
    expect(page.locator("body")).to_have_attribute("data-refreshes", re.compile(r"^[1-9]"))

    assert page.locator("#map path.district").count() == 9
    colours = fills(page)
    assert colours["Futian"] == GREEN and colours["Baoan"] == YELLOW
    assert colours["Guangming"] == RED
    assert len({colours[d] for d in ["Futian", "Nanshan", "Luohu", "Longgang", "Yantian"]}) == 5
    assert colours["Longhua"] == colours["Pingshan"]  # both 20 %
    assert ranking(page) == [
        "Futian",
        "Nanshan",
        "Luohu",
        "Longgang",
        "Yantian",
        "Baoan",
        "Longhua",
        "Pingshan",
        "Guangming",
    ]
    assert "45 of 75 installed (60.0 %), 80.0 % online" in page.inner_text("#summary")

    page.click("#district-Nanshan")
    page.wait_for_selector("#detail:not([hidden])")
    assert page.inner_text("#detail-name") == "Nanshan"
    assert page.inner_text("#detail dd[data-field=installed]") == "9"
    assert page.inner_text("#detail dd[data-field=online]") == "6"
    assert page.locator("#detail-trend polyline").count() == 1
    assert page.get_attribute("#district-Nanshan", "class") == "district selected"

    page.click("#metric-online")
    online_colours = fills(page)
    assert online_colours["Longgang"] != colours["Longgang"]
    assert online_colours["Luohu"] == GREEN and online_colours["Guangming"] == RED
    assert ranking(page)[:4] == ["Baoan", "Futian", "Luohu", "Pingshan"]  # 100 % online, by name
    assert page.inner_text("#ranking-metric") == "online rate"
    page.click("#metric-completion")

    # a new report appears without reloading: Pingshan 1 -> 3 of 5, Nanshan 9 -> 10 of 10
    report_installed(auth["admin"], "Pingshan", state.planned["Pingshan"][1:3])
    report_installed(auth["reporter_nanshan"], "Nanshan", state.planned["Nanshan"][9:10])
    expect(page.locator("#ranking tr[data-district=Pingshan] td.installed")).to_have_text(
        "3 / 5", timeout=10_000
    )
    expect(page.locator("#detail dd[data-field=installed]")).to_have_text("10", timeout=10_000)
    expect(page.locator("#ranking tr[data-district=Nanshan] td.installed")).to_have_text(
        "10 / 10", timeout=10_000
    )
    order = ranking(page)
    assert order[:2] == ["Futian", "Nanshan"]  # tie at 100 %, by name
    assert order.index("Pingshan") < order.index("Baoan") < order.index("Longhua")
    assert fills(page)["Nanshan"] == GREEN

    page.screenshot(path=test_output_dir / f"dashboard-{backend}.png", full_page=True)
    assert errors == []
    assert foreign == []
