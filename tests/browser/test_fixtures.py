"""The browser tests' own fixtures work end to end: the hub's email reaches the SMTP sink."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser.conftest import Hub


def test_a_confirmation_email_reaches_the_sink_and_its_link_works(
    served_hub: Hub, anonymous_page: Page
) -> None:
    page = anonymous_page
    page.goto(f"{served_hub.url}/account/register")
    page.locator("#email").fill("sink-check@hub.example.org")
    page.locator("#password").fill("a long enough password 42")
    page.locator("#password").press("Enter")
    page.wait_for_load_state()

    message = served_hub.mail.wait_for("sink-check@hub.example.org")

    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    link = re.search(re.escape(served_hub.url) + r"/account/confirm/\S+", text)
    assert link, text
    page.goto(link[0])
    assert page.locator("h1").count() == 1
    assert "confirm" in page.locator("h1").inner_text().lower()
