"""axe-core on every page of the hub, in Chromium, with a screenshot of each.

Every GET rule of the hub app is either visited here (public pages anonymously,
/staff pages signed in as an admin) or excluded with a reason;
`test_every_page_is_planned` fails when a new page has neither, so no page can
escape the check. Some pages are visited twice: as they open, and in an error
state (a form sent back with mistakes), since error summaries and messages are
where accessibility most often breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page

from hub import create_app
from hub.db import MIGRATIONS
from hub.voices.profile import demo_profile
from hub.voices.store import PROFILE_CSV, PROFILE_META, save_profile
from hubnet.db import upgrade_database
from tests.browser.axe import check_axe, screenshot
from tests.browser.conftest import Hub
from tests.browser.seed import PASSWORD, RESIDENT, TOTP_STAFF, email_of


def _send_empty(page: Page) -> None:
    """Send the page's main form as it is (empty): the error state."""
    page.locator("main form[method='post'] button").last.click()
    page.wait_for_load_state()


def _change_password_empty(page: Page) -> None:
    """Send "Change your password" empty: its error state."""
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()


def _answer(page: Page) -> None:
    """Answer the question page in front of us with the first choices and some words."""
    form = page.locator("main form[method='post']").last
    names = form.locator("input[type=radio]").evaluate_all(
        "inputs => [...new Set(inputs.map(i => i.name))]"
    )
    for name in names:
        form.locator(f"input[type=radio][name='{name}']").first.check(force=True)
    for box in form.locator("input[type=checkbox]").all():
        box.check(force=True)
    for select in form.locator("select").all():
        select.select_option(index=1)
    for field in form.locator("input[type=text], textarea").all():
        if not field.input_value():
            field.fill("The walk-in centre closed and the nearest one is 40 minutes away.")
    form.locator("button").last.click()
    page.wait_for_load_state()


def _raise_until(slug: str) -> Callable[[Page], None]:
    """Answer the raise questions from the first until the page `slug` is in front of us."""

    def go(page: Page) -> None:
        for _ in range(12):
            if page.url.rstrip("/").endswith(f"/raise/{slug}"):
                return
            _answer(page)
        raise AssertionError(f"never reached /raise/{slug}; at {page.url}")

    return go


def _then(*steps: Callable[[Page], None]) -> Callable[[Page], None]:
    def run(page: Page) -> None:
        for step in steps:
            step(page)

    return run


def _no_profile(instance: Path) -> None:
    for name in (PROFILE_CSV, PROFILE_META):
        (instance / name).unlink(missing_ok=True)


def _demo_profile(instance: Path) -> None:
    save_profile(instance, demo_profile("E08000003"), datetime.now(UTC))


def _board_responses(instance: Path) -> None:
    """Two board responses (one updated and late), written straight to the hub's database.

    For the page's markup only: how they get there (pulled and verified) is
    tests/hub/test_board_services.py's business. Later visits of an item in GP
    access show the board's panel too.
    """
    from datetime import date, timedelta

    from hub.board.models import BoardResponseVersion
    from hubnet.db import get_session

    app = create_app({"INSTANCE_PATH": str(instance)})
    today = datetime.now(UTC).date()
    common = {
        "theme": "gp-access", "period_start": date(2026, 1, 1), "period_end": date(2026, 12, 31),
        "meeting": date(2027, 1, 14), "decision": "accepted",
        "response": "The board accepts that people cannot get a GP appointment.",
        "commitment": "Every practice offers same-day telephone triage.",
        "owner": "Director of Primary Care", "due": today - timedelta(days=5),
        "envelope": b"{}", "payload_sha256": "0" * 64, "verified_checkpoint_size": 9,
        "received_at": datetime.now(UTC), "at": datetime(2027, 1, 14, 15, tzinfo=UTC),
    }  # fmt: skip
    with app.app_context():
        db = get_session()
        if db.query(BoardResponseVersion).count():
            return
        rid = "5b3f6c1e-2a4d-4c8b-9e7f-1a2b3c4d5e6f"
        db.add(BoardResponseVersion(**common, response_id=rid, version=1, log_index=3,
                                    progress="on-track"))  # fmt: skip
        db.add(BoardResponseVersion(**common, response_id=rid, version=2, log_index=5,
                                    progress="stalled", reason="Not enough call handlers.",
                                    update="Recruitment is behind."))  # fmt: skip
        db.add(BoardResponseVersion(
            **{**common, "theme": "dentistry", "decision": "not-accepted", "commitment": None,
               "due": None, "reason": "The money is committed elsewhere this year."},
            response_id="9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", version=1, log_index=7,
            progress=None))  # fmt: skip
        db.commit()
    app.extensions["hubnet.engine"].dispose()


def _volunteer(page: Page) -> None:
    """Join the pool of volunteers with the fewest answers."""
    page.get_by_label("Your name").fill("Axe Tester")
    page.get_by_label("Email address").fill("axe@example.org")
    page.get_by_label("I agree to the hub keeping these details").check()
    page.get_by_role("button", name="Join the pool").click()
    page.wait_for_load_state()


def _open_withdraw(page: Page) -> None:
    page.locator("#withdraw-link ~ .nhsuk-inset-text a").click()
    page.wait_for_load_state()


def _sign_in_with_totp(page: Page) -> None:
    page.locator("#email").fill(email_of(TOTP_STAFF))
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_load_state()
    assert page.url.endswith("/staff/login/code"), page.url


@dataclass(frozen=True)
class Visit:
    name: str  # the screenshot's name
    path: str  # with {name} for the seeded values in served_hub.ids
    role: str | None = None  # a staff role (or "resident") to sign in as; None: not signed in
    then: Callable[[Page], None] | None = None  # something to do before checking
    status: int = 200
    setup: Callable[[Path], None] | None = None  # done to the hub's instance folder first


STEPS = ["kind", "theme", "details", "ward", "values", "about-you", "consent"]
ADMIN = "admin"

# GET rule → what to visit for it.
PLAN: dict[str, list[Visit]] = {
    "/": [Visit("home", "/")],
    "/about": [Visit("about", "/about")],
    "/values": [Visit("values", "/values")],
    "/accessibility": [Visit("accessibility", "/accessibility")],
    "/federation": [Visit("federation", "/federation")],
    "/you-said-we-did": [Visit("you-said-we-did", "/you-said-we-did")],
    "/board": [
        Visit("board-empty", "/board"),
        Visit("board", "/board", setup=_board_responses),
    ],
    "/organisations": [Visit("organisations", "/organisations")],
    # raising something, question by question
    "/raise": [Visit("raise-start", "/raise")],
    "/raise/<step>": [
        *(Visit(f"raise-{step}", "/raise/kind", then=_raise_until(step)) for step in STEPS),
        Visit("raise-kind-errors", "/raise/kind", then=_send_empty),
        Visit(
            "raise-details-errors",
            "/raise/kind",
            then=_then(_raise_until("details"), _send_empty),
        ),
    ],
    "/raise/check": [Visit("raise-check", "/raise/kind", then=_raise_until("check"))],
    "/raise/done": [
        Visit("raise-done", "/raise/kind", then=_then(_raise_until("check"), _send_empty))
    ],
    # browsing, an item, reporting
    "/contributions": [
        Visit("contributions", "/contributions"),
        Visit("contributions-filtered", "/contributions?kind=concern&theme=gp-access"),
        Visit("contributions-search", "/contributions?q=dentist"),
    ],
    "/contributions/<int:contribution_id>": [
        Visit("contribution", "/contributions/{contribution_id}"),
        Visit("contribution-comment-errors", "/contributions/{contribution_id}", then=_send_empty),
        Visit("contribution-signed-in", "/contributions/{contribution_id}", role=RESIDENT),
    ],
    "/report/<any(contribution, comment):what>/<int:target_id>": [
        Visit("report-item", "/report/contribution/{contribution_id}"),
        Visit("report-comment", "/report/comment/{comment_id}"),
    ],
    # your part: private link, account
    "/your-part": [
        Visit("your-part-new", "/your-part"),
        Visit("your-part-account", "/your-part", role=RESIDENT),
    ],
    "/your-part/<string(length=43):token>": [
        Visit("your-part-link", "/your-part/{link_token}"),
        Visit("your-part-link-wrong", "/your-part/" + "x" * 43, status=404),
    ],
    "/your-part/<string(length=43):token>/items/<int:contribution_id>/change": [
        Visit("your-item-change", "/your-part/{link_token}/items/{contribution_id}/change")
    ],
    "/your-part/<string(length=43):token>/items/<int:contribution_id>/delete": [
        Visit("your-item-delete", "/your-part/{link_token}/items/{contribution_id}/delete")
    ],
    "/your-part/<string(length=43):token>/delete": [
        Visit("your-data-delete", "/your-part/{link_token}/delete")
    ],
    "/your-part/items/<int:contribution_id>/change": [
        Visit("account-item-change", "/your-part/items/{contribution_id}/change", role=RESIDENT)
    ],
    "/your-part/items/<int:contribution_id>/delete": [
        Visit("account-item-delete", "/your-part/items/{contribution_id}/delete", role=RESIDENT)
    ],
    "/your-part/delete": [Visit("account-data-delete", "/your-part/delete", role=RESIDENT)],
    "/your-part/deleted": [Visit("your-data-deleted", "/your-part/deleted")],
    "/account/register": [
        Visit("register", "/account/register"),
        Visit("register-errors", "/account/register", then=_send_empty),
    ],
    "/account/check-your-email": [Visit("check-your-email", "/account/check-your-email")],
    "/account/confirm/<string(length=43):token>": [
        Visit("confirm-email", "/account/confirm/{confirm_token}")
    ],
    "/account/sign-in": [
        Visit("sign-in", "/account/sign-in"),
        Visit("sign-in-errors", "/account/sign-in", then=_send_empty),
    ],
    "/account/reset": [Visit("reset-request", "/account/reset")],
    "/account/reset/<string(length=43):token>": [
        Visit("reset-password", "/account/reset/{reset_token}")
    ],
    "/unfollow/<string:token>": [Visit("unfollow", "/unfollow/{unfollow_token}")],
    # staff
    "/staff/login": [
        Visit("staff-login", "/staff/login"),
        Visit("staff-login-errors", "/staff/login", then=_send_empty),
    ],
    "/staff/login/code": [Visit("staff-login-code", "/staff/login", then=_sign_in_with_totp)],
    "/staff/set-password/<token>": [
        Visit("staff-set-password", "/staff/set-password/{password_token}")
    ],
    "/staff/": [Visit("staff-home", "/staff/", role=ADMIN)],
    "/staff/account": [
        Visit("staff-account", "/staff/account", role=ADMIN),
        Visit("staff-account-errors", "/staff/account", ADMIN, then=_change_password_empty),
    ],
    "/staff/actions": [Visit("staff-actions", "/staff/actions", role=ADMIN)],
    "/staff/moderation": [Visit("staff-moderation", "/staff/moderation", role=ADMIN)],
    "/staff/moderation/items/<int:contribution_id>": [
        Visit("staff-moderation-item", "/staff/moderation/items/{pending_id}", role=ADMIN),
        Visit(
            "staff-moderation-published", "/staff/moderation/items/{contribution_id}", role=ADMIN
        ),
    ],
    "/staff/moderation/comments/<int:comment_id>": [
        Visit(
            "staff-moderation-comment",
            "/staff/moderation/comments/{pending_comment_id}",
            role=ADMIN,
        )
    ],
    "/staff/escalations": [Visit("staff-escalations", "/staff/escalations", role=ADMIN)],
    "/staff/hidden-voices": [
        Visit("staff-hidden-voices-no-profile", "/staff/hidden-voices", ADMIN, setup=_no_profile),
        Visit("staff-hidden-voices", "/staff/hidden-voices", ADMIN, setup=_demo_profile),
    ],
    "/staff/updates": [Visit("staff-updates", "/staff/updates", role=ADMIN)],
    "/staff/updates/<int:contribution_id>": [
        Visit("staff-update", "/staff/updates/{contribution_id}", role=ADMIN)
    ],
    "/staff/routing": [Visit("staff-routing", "/staff/routing", role=ADMIN)],
    "/staff/routing/<int:contribution_id>": [
        Visit("staff-routing-item", "/staff/routing/{contribution_id}", role=ADMIN),
        Visit("staff-routing-errors", "/staff/routing/{contribution_id}", ADMIN, then=_send_empty),
        Visit("staff-routing-routed", "/staff/routing/{routed_id}", role=ADMIN),
    ],
    "/staff/organisations": [
        Visit("staff-organisations", "/staff/organisations", role=ADMIN),
        Visit("staff-organisations-errors", "/staff/organisations", ADMIN, then=_send_empty),
    ],
    "/staff/responses": [Visit("staff-responses", "/staff/responses", role=ADMIN)],
    "/staff/responses/<int:routing_id>": [
        Visit("staff-response", "/staff/responses/{routing_id}", role=ADMIN),
        Visit("staff-response-errors", "/staff/responses/{routing_id}", ADMIN, then=_send_empty),
        Visit("staff-response-answered", "/staff/responses/{answered_routing_id}", role=ADMIN),
    ],
    "/staff/assisted": [
        Visit("staff-assisted", "/staff/assisted", role=ADMIN),
        Visit("staff-assisted-errors", "/staff/assisted", role=ADMIN, then=_send_empty),
    ],
    "/staff/quotes": [Visit("staff-quotes", "/staff/quotes", role=ADMIN)],
    "/staff/quotes/<int:quote_id>": [Visit("staff-quote", "/staff/quotes/{quote_id}", role=ADMIN)],
    "/staff/releases": [Visit("staff-releases", "/staff/releases", role=ADMIN)],
    "/staff/themes": [Visit("staff-themes", "/staff/themes", role=ADMIN)],
    "/staff/themes/<int:theme_id>": [Visit("staff-theme", "/staff/themes/{theme_id}", role=ADMIN)],
    "/staff/users": [Visit("staff-users", "/staff/users", role=ADMIN)],
    "/staff/users/new": [
        Visit("staff-user-new", "/staff/users/new", role=ADMIN),
        Visit("staff-user-new-errors", "/staff/users/new", role=ADMIN, then=_send_empty),
    ],
    "/staff/users/<int:staff_id>": [Visit("staff-user", "/staff/users/{staff_id}", role=ADMIN)],
    # -- issue 6: Discover, citizens' panels, jury and Assembly, Stocktake --
    "/take-part": [
        Visit("take-part", "/take-part"),
        Visit("take-part-no-match", "/take-part?group=ethnic_group:other"),
    ],
    "/staff/discover": [Visit("staff-discover", "/staff/discover", role=ADMIN)],
    "/staff/discover/gaps": [
        Visit("staff-discover-gaps", "/staff/discover/gaps", ADMIN, setup=_demo_profile)
    ],
    "/staff/discover/add": [
        Visit("staff-discover-add", "/staff/discover/add", role=ADMIN),
        Visit("staff-discover-add-errors", "/staff/discover/add", ADMIN, then=_send_empty),
    ],
    "/staff/discover/import": [
        Visit("staff-discover-import", "/staff/discover/import", role=ADMIN),
        Visit("staff-discover-import-errors", "/staff/discover/import", ADMIN, then=_send_empty),
    ],
    # (no empty send on these two: sending saves or removes the entry)
    "/staff/discover/<uuid:entry_id>": [
        Visit("staff-discover-edit", "/staff/discover/{entry_id}", role=ADMIN)
    ],
    "/staff/discover/<uuid:entry_id>/remove": [
        Visit("staff-discover-remove", "/staff/discover/{entry_id}/remove", role=ADMIN)
    ],
    "/take-part/volunteer": [
        Visit("volunteer", "/take-part/volunteer"),
        Visit("volunteer-errors", "/take-part/volunteer", then=_send_empty),
    ],
    "/take-part/volunteer/done": [Visit("volunteer-done", "/take-part/volunteer", then=_volunteer)],
    "/take-part/volunteer/withdraw/<string(length=43):token>": [
        Visit("volunteer-withdraw", "/take-part/volunteer", then=_then(_volunteer, _open_withdraw))
    ],
    "/take-part/volunteer/withdrawn": [
        Visit(
            "volunteer-withdrawn",
            "/take-part/volunteer",
            then=_then(_volunteer, _open_withdraw, _send_empty),
        )
    ],
    "/panels": [Visit("panels", "/panels")],
    "/panels/draws/<int:draw_id>": [Visit("panel-report", "/panels/draws/{draw_id}")],
    "/staff/panels": [Visit("staff-panels", "/staff/panels", role=ADMIN)],
    "/staff/panels/draw": [
        Visit("staff-panel-draw", "/staff/panels/draw", role=ADMIN),
        Visit("staff-panel-draw-errors", "/staff/panels/draw", ADMIN, then=_send_empty),
    ],
    "/staff/panels/draws/<int:draw_id>": [
        Visit("staff-panel-members", "/staff/panels/draws/{draw_id}", role=ADMIN)
    ],
    "/assembly": [Visit("assembly", "/assembly")],
    "/assembly/meetings/<int:meeting_id>": [
        Visit("assembly-meeting", "/assembly/meetings/{meeting_id}")
    ],
    "/assembly/meetings/<int:meeting_id>/pack": [
        Visit("assembly-pack", "/assembly/meetings/{meeting_id}/pack")
    ],
    "/staff/assembly": [Visit("staff-assembly", "/staff/assembly", role=ADMIN)],
    "/staff/assembly/juries/new": [
        Visit("staff-jury-new", "/staff/assembly/juries/new", role=ADMIN),
        Visit("staff-jury-new-errors", "/staff/assembly/juries/new", ADMIN, then=_send_empty),
    ],
    "/staff/assembly/juries/<int:jury_id>": [
        Visit("staff-jury", "/staff/assembly/juries/{jury_id}", role=ADMIN)
    ],
    "/staff/assembly/meetings/new": [
        Visit("staff-meeting-new", "/staff/assembly/meetings/new", role=ADMIN),
        Visit("staff-meeting-new-errors", "/staff/assembly/meetings/new", ADMIN, then=_send_empty),
    ],
    "/staff/assembly/meetings/<int:meeting_id>": [
        Visit("staff-meeting", "/staff/assembly/meetings/{meeting_id}", role=ADMIN)
    ],
    "/staff/assembly/meetings/<int:meeting_id>/attendance": [
        Visit("staff-attendance", "/staff/assembly/meetings/{meeting_id}/attendance", role=ADMIN)
    ],
    "/staff/assembly/meetings/<int:meeting_id>/items/<int:item_id>": [
        Visit(
            "staff-agenda-item",
            "/staff/assembly/meetings/{meeting_id}/items/{assembly_item_id}",
            role=ADMIN,
        ),
        Visit(
            "staff-agenda-item-errors",
            "/staff/assembly/meetings/{meeting_id}/items/{assembly_item_id}",
            ADMIN,
            then=_send_empty,
        ),
    ],
    "/staff/assembly/meetings/<int:meeting_id>/pack": [
        Visit("staff-pack", "/staff/assembly/meetings/{meeting_id}/pack", role=ADMIN)
    ],
    "/stocktake": [Visit("stocktake", "/stocktake")],
    "/stocktake/pack": [Visit("stocktake-pack", "/stocktake/pack")],
    "/staff/stocktake": [Visit("staff-stocktake", "/staff/stocktake", role=ADMIN)],
    "/staff/stocktake/new": [
        Visit("staff-stocktake-new", "/staff/stocktake/new", role=ADMIN),
        Visit("staff-stocktake-new-errors", "/staff/stocktake/new", ADMIN, then=_send_empty),
    ],
    "/staff/stocktake/<int:action_id>": [
        Visit("staff-stocktake-action", "/staff/stocktake/{action_id}", role=ADMIN),
        Visit(
            "staff-stocktake-action-errors", "/staff/stocktake/{action_id}", ADMIN, then=_send_empty
        ),
    ],
}
# GET rules not visited, and why.
EXCLUDED = {
    "/federation/alarms/<int:alarm_id>.json": "JSON for operators' tools, not a page",
    "/branding/logo": "the council's logo image (HUB_LOGO), not a page",
    "/your-part/download": "your data as a JSON download, not a page",
    "/your-part/<string(length=43):token>/download": "your data as a JSON download, not a page",
    "/staff/discover/export.json": "the directory as a JSON download, not a page",
    "/staff/discover/export.zip": "the directory as a zip of CSV files, not a page",
    "/panels/draws/<int:draw_id>.json": "a draw's report as a JSON download, not a page",
}
VISITS = [visit for visits in PLAN.values() for visit in visits]


def _app_rules(tmp_path: Path) -> set[str]:
    """The GET rules of a hub app (on an empty database: the rules do not depend on data)."""
    url = f"sqlite:///{tmp_path / 'rules.sqlite3'}"
    upgrade_database(url, MIGRATIONS)
    app: Flask = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url, "SECRET_KEY": "rules"}
    )
    try:
        return {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ())
            and not rule.rule.startswith(("/api/", "/static/"))  # JSON API; files, not pages
        }
    finally:
        app.extensions["hubnet.engine"].dispose()


def test_every_page_is_planned(tmp_path: Path) -> None:
    """Runs without Chromium too: a new page without a planned visit fails everywhere."""
    rules = _app_rules(tmp_path)

    unplanned = rules - set(PLAN) - set(EXCLUDED)
    stale = (set(PLAN) | set(EXCLUDED)) - rules
    assert not unplanned, f"GET pages with no visit planned (add them to PLAN): {unplanned}"
    assert not stale, f"PLAN or EXCLUDED name rules the hub no longer has: {stale}"


@pytest.mark.parametrize("visit", VISITS, ids=lambda visit: visit.name)
def test_page_has_no_axe_violations(
    visit: Visit,
    served_hub: Hub,
    anonymous_page: Page,
    staff_page: Callable[[str], Page],
) -> None:
    if visit.setup:
        visit.setup(served_hub.instance)
    page = staff_page(visit.role) if visit.role else anonymous_page
    blocked: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", watch)

    response = page.goto(served_hub.url + visit.path.format(**served_hub.ids))

    assert response is not None
    assert response.status == visit.status, f"{visit.path}: {response.status}"
    if visit.then:
        visit.then(page)
    assert page.locator("h1").count() == 1, "one h1 per page"
    screenshot(page, visit.name)
    check_axe(page)
    assert not blocked, "the page broke its Content Security Policy:\n" + "\n".join(blocked)


def test_check_axe_finds_a_violation(anonymous_page: Page) -> None:
    """The checker itself: a page with an unlabelled input and an image without alt fails."""
    anonymous_page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )

    with pytest.raises(AssertionError) as failure:
        check_axe(anonymous_page)

    assert "image-alt" in str(failure.value)
    assert "label" in str(failure.value)
