"""Triage and routing in Chromium: an item goes to an organisation, which answers and changes.

A moderator triages a published item and routes it to a local organisation
with a named responder; the responder signs in, responds with "change
planned", later marks the change made; "You said, we did" and the Stocktake
show it. The item, the organisation and its responder are this module's own,
made with the hub's services in the served hub's database. Each page on the
way is checked with axe (WCAG 2.2 AA) and screenshotted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from hub import create_app
from hub.gather.services import get_or_create_participant, raise_contribution
from hub.routing import services as routing
from hub.staff.models import StaffUser
from hub.staff.services import add_staff
from hubnet.db import get_session
from tests.browser.axe import check_axe, screenshot
from tests.browser.conftest import Hub
from tests.browser.seed import PASSWORD, email_of

StaffPage = Callable[[str], Page]


@dataclass
class Routed:
    item_id: int
    title: str
    organisation: str
    responder_email: str
    responder_name: str


@pytest.fixture(scope="module")
def routed(served_hub: Hub) -> Routed:
    """A published item nobody has triaged, an organisation and its own responder."""
    tail = uuid.uuid4().hex[:6]
    app = create_app({"INSTANCE_PATH": str(served_hub.instance)})
    try:
        with app.app_context():
            db = get_session()
            item = raise_contribution(
                db,
                participant=get_or_create_participant(db, None),
                kind="concern",
                title=f"No dropped kerb outside the health centre {tail}",
                body="I use a wheelchair and have to go into the road to get in.",
                theme_slug="gp-access",
                publish=True,
            )
            admin = db.query(StaffUser).filter_by(email=email_of("admin")).one()
            organisation = routing.add_organisation(
                db, admin, f"Ardwick Health Centre {tail}", "gp-practice"
            )
            responder = add_staff(
                db,
                email=f"kerb-{tail}@hub.example.org",
                name=f"Robin Kerb {tail}",
                role="responder",
                password=PASSWORD,
            )
            routing.link_staff(db, responder, organisation, admin)
            made = Routed(item.id, item.title, organisation.name, responder.email, responder.name)
            db.commit()
            return made
    finally:
        app.extensions["hubnet.engine"].dispose()


@pytest.fixture
def responder_page(browser: Browser, served_hub: Hub, routed: Routed) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(served_hub.url + "/staff/login")
    page.locator("#email").fill(routed.responder_email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_load_state()
    assert "/staff/login" not in page.url, "the module's responder could not sign in"
    yield page
    context.close()


def step(page: Page, name: str) -> None:
    check_axe(page)
    screenshot(page, name)


def test_route_respond_change_and_see_it_on_you_said_we_did(
    served_hub: Hub,
    staff_page: StaffPage,
    routed: Routed,
    responder_page: Page,
    anonymous_page: Page,
) -> None:
    hub = served_hub

    # A moderator triages the item: local, to the organisation, with its named responder.
    moderator = staff_page("moderator")
    moderator.goto(hub.url + "/staff/routing")
    step(moderator, "routing-triage-list")
    moderator.get_by_role("link", name=routed.title).click()
    step(moderator, "routing-triage")
    moderator.get_by_label("Local: pass it to an organisation").check()
    moderator.get_by_label("Organisation (for local)").select_option(
        label=f"{routed.organisation} (GP practice)"
    )
    moderator.get_by_label("Responder (optional)").select_option(
        label=f"{routed.responder_name} ({routed.organisation})"
    )
    moderator.get_by_role("button", name="Save the triage").click()
    expect(moderator.locator("main")).to_contain_text(f"Passed to {routed.organisation}")
    step(moderator, "routing-triaged")

    # The responder finds it among their organisation's items and responds: change planned.
    responder = responder_page
    responder.goto(hub.url + "/staff/responses")
    step(responder, "routing-responses")
    responder.get_by_role("link", name=routed.title).click()
    step(responder, "routing-respond")
    responder.get_by_label("Response", exact=True).fill(
        "Thank you. We have asked the council to lower the kerb."
    )
    responder.get_by_role("radio", name="Change planned").check()
    responder.get_by_label("What the change is (for a change planned or made)").fill(
        "A dropped kerb at the entrance, agreed with the council's highways team."
    )
    responder.get_by_role("button", name="Publish the response").click()
    expect(responder.locator("main")).to_contain_text("Response published")
    step(responder, "routing-responded")

    # Later, the change is made.
    responder.get_by_label("What the change is", exact=True).fill(
        "The kerb at the entrance was lowered on Monday."
    )
    responder.get_by_role("button", name="Mark change made").click()
    expect(responder.locator("main")).to_contain_text("Change recorded")

    # Anyone can see it on "You said, we did", and the Stocktake counts it as changed.
    visitor = anonymous_page
    visitor.goto(hub.url + "/")
    visitor.get_by_role("link", name="You said, we did").first.click()
    entry = visitor.locator("li", has=visitor.get_by_role("heading", name=routed.title))
    expect(entry).to_contain_text(f"Change made by {routed.organisation}")
    expect(entry).to_contain_text("The kerb at the entrance was lowered on Monday.")
    step(visitor, "routing-you-said-we-did")

    visitor.goto(hub.url + "/stocktake")
    changed = visitor.locator("section", has=visitor.locator("#changed"))
    expect(changed).to_contain_text(routed.title)
    expect(changed).to_contain_text(f"Owner: {routed.organisation}.")
    expect(changed).to_contain_text("Change made: The kerb at the entrance was lowered on Monday.")
    step(visitor, "routing-stocktake")

    # The item's own page carries the story too.
    visitor.goto(f"{hub.url}/contributions/{routed.item_id}")
    expect(visitor.locator("main")).to_contain_text("The kerb at the entrance was lowered")
