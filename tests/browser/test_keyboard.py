"""Raising an issue with the keyboard alone, in Chromium.

No clicks and no filling by selector: only Tab, Shift+Tab, arrow keys, Space,
Enter and typing, as someone who cannot use a mouse moves through the pages. At
every stop the focused element must show that it has focus (the NHS.UK focus
style: a yellow background or a thick outline), and the first Tab on a page
reaches the "Skip to main content" link.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.axe import screenshot
from tests.browser.conftest import Hub

MAX_TABS = 60  # more than any page here needs; a page that needs more is a finding

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    return {
        tag: el.tagName.toLowerCase(),
        type: el.getAttribute('type') || '',
        text: (el.innerText || el.value || '').trim(),
        label: label.trim(),
        checked: !!el.checked,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        // NHS.UK radios and checkboxes hide the input and draw it, and its focus ring,
        // on the label's ::before
        shadow: style.boxShadow !== 'none' || (!!label &&
            getComputedStyle(el.labels[0], '::before').boxShadow !== 'none'),
        background: style.backgroundColor,
        id: el.id,
    };
}"""


@pytest.fixture
def keyboard_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def focused(page: Page) -> dict[str, Any] | None:
    result = page.evaluate(FOCUSED)
    return dict(result) if result else None


def assert_focus_visible(page: Page, where: str) -> None:
    element = focused(page)
    assert element is not None, f"nothing has focus ({where})"
    plain = element["background"] in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
    assert element["outline"] or element["shadow"] or not plain, (
        f"{where}: the focused {element['tag']} {element['text'] or element['label']!r} "
        "shows no focus indicator"
    )


def tab_to(page: Page, matches: str, *, field: str = "text") -> dict[str, Any]:
    """Press Tab until the focused element's `field` contains `matches`; check focus shows."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = focused(page)
        if element and matches.lower() in str(element[field]).lower():
            assert_focus_visible(page, f"tabbing to {matches!r}")
            return element
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {matches!r} on {page.url}")


def first_tab_is_the_skip_link(page: Page) -> None:
    page.keyboard.press("Tab")
    element = focused(page)
    assert element is not None and element["text"] == "Skip to main content", (
        f"the first Tab on {page.url} reached {element}, not the skip link"
    )
    assert page.get_by_role("link", name="Skip to main content").is_visible()
    assert_focus_visible(page, "the skip link")


def enter_to_next_page(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def test_raise_an_issue_with_the_keyboard_alone(served_hub: Hub, keyboard_page: Page) -> None:
    page = keyboard_page
    page.goto(served_hub.url + "/")

    # The skip link goes past the header straight to the page's content.
    first_tab_is_the_skip_link(page)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'maincontent'")
    tab_to(page, "Raise something")  # the first link or button inside the content
    enter_to_next_page(page)

    first_tab_is_the_skip_link(page)
    tab_to(page, "Start now")
    enter_to_next_page(page)
    assert heading(page) == "What would you like to raise?"

    # A radio group takes one Tab; arrow keys move between its choices.
    tab_to(page, "An idea", field="label")
    page.keyboard.press("ArrowDown")  # "A concern", checked by moving to it
    element = focused(page)
    assert element is not None and element["label"] == "A concern" and element["checked"]
    # the focus ring moved with the focus: the choice left behind no longer shows one
    assert page.evaluate(
        """() => getComputedStyle(
            document.querySelectorAll('.nhsuk-radios__label')[0], '::before').boxShadow"""
    ) in ("none", "")
    tab_to(page, "Continue")
    enter_to_next_page(page)

    assert heading(page) == "What is it about?"
    element = tab_to(page, "radio", field="type")
    page.keyboard.press("Space")
    assert focused(page)["checked"]  # type: ignore[index]
    theme = element["label"]
    tab_to(page, "Continue")
    enter_to_next_page(page)

    tab_to(page, "Title", field="label")
    page.keyboard.type("Hearing aid batteries by post, not a two-bus trip")
    tab_to(page, "Tell us more", field="label")
    page.keyboard.type("The audiology clinic only hands them out on Tuesday mornings.")
    tab_to(page, "Continue")
    enter_to_next_page(page)

    assert "Where is it about?" in heading(page)
    tab_to(page, "select", field="tag")
    page.keyboard.press("ArrowDown")  # the first ward after "Not about one ward"
    tab_to(page, "Continue")
    enter_to_next_page(page)

    tab_to(page, "I agree to keep to the values", field="label")
    page.keyboard.press("Space")
    tab_to(page, "Continue")
    enter_to_next_page(page)

    assert heading(page) == "About you (optional)"
    tab_to(page, "Continue")  # every question here may be left out
    enter_to_next_page(page)

    tab_to(page, "Yes, a moderated quote", field="label")
    page.keyboard.press("ArrowDown")
    element = focused(page)
    assert element is not None and element["label"].startswith("No, keep my words")
    tab_to(page, "Continue")
    enter_to_next_page(page)

    assert heading(page) == "Check your answers before sending"
    main = page.locator("main").inner_text()
    assert "Hearing aid batteries by post" in main and theme in main
    screenshot(page, "keyboard-check")
    tab_to(page, "Send")
    enter_to_next_page(page)
    assert "has been sent" in heading(page)
    screenshot(page, "keyboard-done")


def test_an_error_summary_takes_focus_and_its_link_moves_to_the_field(
    served_hub: Hub, keyboard_page: Page
) -> None:
    page = keyboard_page
    page.goto(served_hub.url + "/raise/kind")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")  # nothing chosen
    page.wait_for_load_state()
    # NHS.UK's script moves focus to the error summary, so a screen reader reads it first.
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    page.wait_for_function("() => document.activeElement.closest('.nhsuk-error-summary')")
    tab_to(page, "Choose an idea")
    page.keyboard.press("Enter")
    element = focused(page)
    assert element is not None and element["type"] == "radio", element
