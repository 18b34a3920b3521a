"""The national priorities pages in Chromium: charts with their tables, a drill-down, axe-clean.

A real aggregator is set up and served the way the national team would
(`hubnet aggregator init`, `hubnet aggregator hubs add`, `hubnet aggregator serve`) on
127.0.0.1; three hubs post signed summaries to it over HTTP, one with a suppressed cell and
a consented quote, and a fourth hub is registered but sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, expect

from federation.keys import save_public_key
from federation.periods import Period
from tests.aggregator.bodies import released_body
from tests.aggregator.conftest import AUDIENCE, SigningHub
from tests.browser.axe import check_axe, screenshot
from tests.conftest import CHROMIUM, NO_CHROMIUM
from tests.e2e.network import Server, hubnet

QUOTE = "I waited eleven months for an NHS dentist and in the end paid privately."
HUBS = {
    "E09000001": ("Metropolis", "London", 1_000_000),
    "E08000001": ("Ashby", "North West", 200_000),
    "E08000002": ("Brampton", "North West", 100_000),
    "E08000004": ("Carlow", "North West", 50_000),
}


@pytest.fixture(scope="module")
def aggregator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    root = tmp_path_factory.mktemp("browser-aggregator")
    instance = root / "aggregator"
    server = Server("aggregator", instance, database_url=f"sqlite:///{root / 'aggregator.sqlite3'}")
    hubnet(
        "aggregator", "init", "--instance", str(instance), "--id", AUDIENCE,
        "--database-url", server.database_url,
    )  # fmt: skip
    signing = {gss: _register(instance, root, gss) for gss in HUBS}
    try:
        server.start(probe="/api/v1/about")
        september = Period.month(2026, 9)
        sent = [
            signing["E09000001"].summary({"gp-access": 400, "mental-health": 20}, period=september),
            signing["E08000001"].summary({"gp-access": 10}, period=september),
            signing["E09000001"].summary({"gp-access": 500, "dentistry": 10}),
            signing["E08000001"].summary({"dentistry": 20, "gp-access": 10}),
            signing["E08000002"].summary(
                body=released_body(
                    {"dentistry": 30, "mental-health": 3}, quotes=[("dentistry", QUOTE)]
                )
            ),
        ]
        for envelope in sent:
            response = requests.post(
                server.url + "/api/v1/submissions",
                data=envelope,
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
        yield server
    finally:
        server.stop()


def _register(instance: Path, root: Path, gss: str) -> SigningHub:
    name, region, population = HUBS[gss]
    key = Ed25519PrivateKey.generate()
    public = root / f"{gss}.pub"
    save_public_key(key.public_key(), public)
    hubnet(
        "aggregator", "hubs", "add", "--instance", str(instance), "--gss", gss, "--name", name,
        "--region", region, "--population", str(population), "--public-key", str(public),
    )  # fmt: skip
    return SigningHub(gss=gss, name=name, private_key=key)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_the_priorities_page_has_charts_tables_and_passes_axe(
    aggregator: Server, browser: Browser
) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(aggregator.url + "/priorities?period=2026-10")

        expect(page.locator("h1")).to_have_text("National priorities, 2026-10")
        chart = page.get_by_role("img", name="People raising each theme across England, 2026-10")
        expect(chart).to_be_visible()
        assert chart.locator("desc").text_content().startswith("3 themes raised")  # type: ignore[union-attr]
        table = page.get_by_role("table", name="Themes ranked by people raising or supporting them")
        expect(table.get_by_role("row").nth(1)).to_contain_text("GP access")
        expect(table.get_by_role("row").nth(1)).to_contain_text("510")
        borda = page.get_by_role("table", name="Themes ranked by hubs' own rankings (Borda count)")
        expect(borda.get_by_role("row").nth(1)).to_contain_text("Dentistry")
        expect(borda.get_by_role("row").nth(1)).to_contain_text("74")
        expect(page.get_by_role("img", name="Trend of the top 3 themes")).to_be_visible()
        expect(page.get_by_text("Their numbers are missing, not zero")).to_contain_text("Carlow")
        # The charts and the header are styled by the NHS.UK frontend served to the aggregator.
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor"
            )
            == "rgb(0, 94, 184)"
        )
        check_axe(page)
        screenshot(page, "national-priorities")

        table.get_by_role("link", name="Dentistry").click()
        page.wait_for_load_state()
        assert "/priorities/themes/dentistry?period=2026-10" in page.url
        hubs = page.get_by_role("table", name="People raising")
        expect(hubs.get_by_role("row", name="Carlow")).to_contain_text("did not report")
        expect(hubs.get_by_role("row", name="Brampton")).to_contain_text("30")
        expect(
            page.get_by_role("img", name="people across England, 2026-05 to 2026-10")
        ).to_be_visible()
        expect(page.locator("blockquote")).to_contain_text("paid privately")
        check_axe(page)
        screenshot(page, "national-priorities-dentistry")

        for path in ("/priorities?period=2026-10&region=North+West", "/priorities/themes/nothing",
                     "/priorities?period=2026-13", "/"):  # fmt: skip
            page.goto(aggregator.url + path)
            check_axe(page)
    finally:
        context.close()


def test_a_region_and_a_suppressed_cell_work_without_javascript(
    aggregator: Server, page: Page
) -> None:
    page.goto(aggregator.url + "/priorities?period=2026-10")
    page.get_by_label("Region").select_option("North West")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()

    expect(page.locator("h1")).to_have_text("National priorities, 2026-10, North West")
    page.goto(aggregator.url + "/priorities/themes/mental-health?period=2026-10&region=North+West")
    hubs = page.get_by_role("table", name="People raising")
    expect(hubs.get_by_role("row", name="Brampton")).to_contain_text("suppressed (1–7)")
    expect(hubs.get_by_role("row", name="Metropolis")).to_have_count(0)
