"""An item whose title and text are a script-injection payload, shown in Chromium.

The payload must show as text and never run: no dialog opens, no element from it
is in the page. (tests/hub/test_injection.py checks every form's output is
escaped; this checks what a real browser does with the pages.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page

from tests.browser.conftest import Hub
from tests.browser.seed import INJECTION

PAGES = [
    ("visitor", "/"),
    ("visitor", "/contributions"),
    ("visitor", "/contributions?q=alert"),
    ("visitor", "/contributions/{injected_id}"),
    ("admin", "/staff/"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_an_injected_item_shows_as_text_and_never_runs(
    served_hub: Hub,
    anonymous_page: Page,
    staff_page: Callable[[str], Page],
    who: str,
    path: str,
) -> None:
    page = anonymous_page if who == "visitor" else staff_page(who)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    page.goto(served_hub.url + path.format(**served_hub.ids))
    page.wait_for_load_state("load")

    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert (
        page.evaluate("() => [...document.scripts].some(s => s.text.includes('alert(1)'))") is False
    )


def test_the_item_page_shows_the_payload_as_its_title(
    served_hub: Hub, anonymous_page: Page
) -> None:
    anonymous_page.goto(f"{served_hub.url}/contributions/{served_hub.ids['injected_id']}")

    assert anonymous_page.locator("h1").inner_text().strip() == INJECTION
