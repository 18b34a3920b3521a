"""The board secretary records the board's answer in Chromium; residents see it in their hub.

Real processes over HTTP: the aggregator and two hubs, each served by
`hubnet … serve`. The aggregator signs the answer with its log key, logs it
and tells each hub (its notify URL); each hub pulls it, checks the signature,
the chain and the leaf's inclusion under a checkpoint it verified, and only
then shows it, on its "What the board said" page and on its items in the
answered theme.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Network
from tests.e2e.network import hubnet, raise_as_new_person

pytestmark = pytest.mark.e2e

SECRETARY = "secretary@national.example"
PASSWORD = "a long board secretary passphrase"
RESPONSE = "The board accepts that mental health support must reach people sooner."
COMMITMENT = "Publish a national plan for talking therapies waiting times."


def reload_until(page: Page, url: str, text: str, timeout: float = 30) -> None:
    """Open `url` until it shows `text` (the hub pulls in the background after a notify)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if text in page.content() or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def test_a_response_recorded_nationally_appears_in_each_hub_verified_against_the_log(
    browser: Browser, network: Network
) -> None:
    aggregator = network.aggregator
    hubnet(
        "aggregator", "staff", "add", "--instance", str(aggregator.instance),
        "--email", SECRETARY, "--name", "Board Secretary", "--role", "board-secretary",
        "--password-stdin", input_text=PASSWORD + "\n",
    )  # fmt: skip
    for gss, hub in network.hubs.items():
        hubnet(
            "aggregator", "hubs", "set-notify-url", "--instance", str(aggregator.instance),
            "--gss", gss, "--url", f"{hub.url}/api/v1/board/notify",
        )  # fmt: skip
    cornwall = network.hubs["E06000052"]  # published at once (post-moderation)
    item = raise_as_new_person(cornwall.url, "mental-health")

    secretary = browser.new_context(java_script_enabled=False).new_page()
    secretary.goto(f"{aggregator.url}/staff/login")
    secretary.get_by_label("Email address").fill(SECRETARY)
    secretary.get_by_label("Password").fill(PASSWORD)
    secretary.get_by_role("button", name="Sign in").click()
    secretary.goto(f"{aggregator.url}/staff/board/responses/new")
    secretary.get_by_label("Priority").select_option(label="Mental health")
    secretary.get_by_label("Period").fill("2026-10")
    secretary.get_by_label("Board meeting date").fill("2026-11-12")
    secretary.get_by_label("Accepted", exact=True).check()
    secretary.get_by_label("What the board said").fill(RESPONSE)
    secretary.get_by_label("Commitment").fill(COMMITMENT)
    secretary.get_by_label("Owner").fill("National Director for Mental Health")
    secretary.get_by_label("Due date").fill("2027-03-31")
    secretary.get_by_label("On track").check()
    secretary.get_by_role("button", name="Sign and publish the response").click()
    secretary.wait_for_load_state()  # the click returns once the next page commits
    assert "There is a problem" not in secretary.content(), secretary.content()
    assert RESPONSE in secretary.content(), secretary.inner_text("main")

    # Public, nationally: what the board said, in the transparency log.
    public = browser.new_context(java_script_enabled=False).new_page()
    public.goto(f"{aggregator.url}/board")
    assert RESPONSE in public.content()

    # In each hub: the board's answer, verified before it is shown.
    resident = browser.new_context(java_script_enabled=False).new_page()
    for hub in network.hubs.values():
        reload_until(resident, f"{hub.url}/board", COMMITMENT)
        page = resident.content()
        assert RESPONSE in page and COMMITMENT in page, page
        assert "verified" in page.lower()
    resident.goto(f"{cornwall.url}/contributions/{item}")
    panel = resident.get_by_role(
        "heading", name="What the NHS England board said about Mental health"
    )
    assert panel.is_visible()
    assert COMMITMENT in resident.content()

    # Anyone can check the log the hubs checked.
    audit = hubnet("audit", aggregator.url, "--log-key", str(aggregator.instance / "log-key.pub"))
    assert "OK:" in audit.stdout, audit.stdout
