"""The staff home and the staff bar link to exactly the pages each role may use.

Who may *use* each /staff address is tests/hub/test_authorisation_matrix.py; this
checks that nobody is shown a link to a page they would be refused, and that
everyone sees a link to each page they may use.
"""

from __future__ import annotations

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy.orm import Session

from tests.hub.staff_helpers import ROLES, staff_client

MODERATOR = ("moderator",)
UPDATERS = ("moderator", "responder")
ENTERERS = ("moderator", "facilitator")
RESPONDERS = ("responder",)


# staff page → (link text in the staff navigation, roles allowed besides admin)
LINKS = {
    "/staff/moderation": ("Moderation", MODERATOR),
    "/staff/escalations": ("Escalations", MODERATOR),
    "/staff/updates": ("Status updates", UPDATERS),
    "/staff/assisted": ("Assisted digital", ENTERERS),
    "/staff/routing": ("Routing", MODERATOR),
    "/staff/responses": ("Responses", RESPONDERS),
    "/staff/hidden-voices": ("Hidden voices", ("moderator", "facilitator")),
    "/staff/discover": ("Discover", ("moderator", "facilitator")),
    "/staff/panels": ("Citizens' panels", ("facilitator",)),
    "/staff/assembly": ("Jury and Assembly", ("moderator", "facilitator")),
    "/staff/stocktake": ("Stocktake", ("moderator", "facilitator", "responder")),
    "/staff/quotes": ("Quotes", MODERATOR),
    "/staff/releases": ("Release preview", ()),
    "/staff/themes": ("Themes", ()),
    "/staff/users": ("Users", ()),
    "/staff/actions": ("Staff activity log", ()),
    "/staff/account": ("Your account", ("moderator", "facilitator", "responder")),
}


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_home_and_navigation_link_to_exactly_the_pages_the_role_may_use(
    app: Flask, db: Session, role: str
) -> None:
    client, _staff = staff_client(app, db, role)

    page = client.get("/staff/").get_data(as_text=True)

    nav, _, home = page[page.index('<nav class="hub-staff-bar__nav"') :].partition("</nav>")
    for path, (text, allowed) in LINKS.items():
        may = role == "admin" or role in allowed
        link = f'<a href="{path}">{escape(text)}</a>'  # "Citizens' panels" is escaped
        assert (link in nav) is may, (path, "navigation")
        assert (f'href="{path}"' in home) is may, (path, "staff home")
