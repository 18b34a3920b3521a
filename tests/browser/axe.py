"""axe-core in the page, and screenshots: the two checks every browser test can call.

`check_axe(page)` runs the vendored axe-core (tests/browser/vendor/, refreshed by
tools/test-assets.sh) at the WCAG 2.2 AA tags and fails listing each violation.
axe is evaluated through the DevTools protocol, which the page's Content Security
Policy does not govern, so the page is checked exactly as served (its CSP on).

`screenshot(page, name)` saves var/artifacts/screenshots/NAME.png (gitignored)
for a reviewer to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "artifacts" / "screenshots"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.2 AA tags).

    Waits for the page's load event first: a click that navigates returns once the new
    page is committed, and axe run before its stylesheet applies measures unstyled
    links (a false target-size failure).
    """
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        TAGS,
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
    return "\n".join(lines)


def check_axe(page: Page) -> None:
    """Fail, listing each (id, impact, target, help), unless axe finds no WCAG 2.2 AA violation."""
    violations = axe_violations(page)
    if violations:
        report = describe(violations)
        print(f"axe violations on {page.url}:\n{report}")
        raise AssertionError(f"axe found {len(violations)} violation(s) on {page.url}:\n{report}")


def check_axe_without_javascript(page: Page) -> None:
    """`check_axe` for a page open in a context with JavaScript switched off.

    axe is JavaScript, and Chromium with scripts off never runs its timers, so axe
    would wait for ever. Instead the page's HTML as the resident has it now is
    served again, at the same address (so its styles load from the hub), to a fresh
    tab with JavaScript on, and checked there (the NHS.UK scripts run on it there, as
    they would for a resident with JavaScript on).
    """
    html = page.content()
    target = page.url
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(locale="en-GB")
    try:
        checker = context.new_page()
        checker.route(
            lambda url: url == target,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        checker.goto(target)
        check_axe(checker)
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as var/artifacts/screenshots/NAME.png and return the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
