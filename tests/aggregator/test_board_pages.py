"""Board pages: the secretary records and updates; anyone reads /board, /stocktake, the feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hubnet.db import get_session
from national_aggregator.board.models import StoredBoardStatement
from national_aggregator.staff.models import Role, StaffAction
from tests.aggregator.board_support import record, update
from tests.aggregator.conftest import row_counts
from tests.aggregator.test_staff import make_staff, sign_in, token_of

ATOM = "{http://www.w3.org/2005/Atom}"
LATER = datetime(2027, 2, 1, tzinfo=UTC)
NEW = "/staff/board/responses/new"

FORM = {
    "theme": "gp-access",
    "period": "2026-Q4",
    "meeting": "2027-01-14",
    "decision": "accepted",
    "response": "The board accepts that booking is too hard.",
    "commitment": "One booking standard.",
    "owner": "Director of Primary Care",
    "due": "2027-06-30",
    "progress": "not-started",
    "reason": "",
}


def signed_in(app: Flask, client: FlaskClient, role: Role = Role.BOARD_SECRETARY) -> int:
    staff_id = make_staff(app, f"{role.value}@example.org", role)
    sign_in(client, f"{role.value}@example.org")
    return staff_id


def post_form(client: FlaskClient, path: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": token_of(client, "/staff/"), **form})


# -- public pages --------------------------------------------------------------------------


def test_the_board_page_shows_every_response_and_its_late_flag(
    app: Flask, client: FlaskClient
) -> None:
    late = record(app, due=date(2020, 1, 1), owner="Director of Primary Care")
    record(app, theme="dentistry", decision="not-accepted", commitment=None, due=None,
           progress=None, owner=None, reason="Dental contracts are for the DHSC.")  # fmt: skip

    page = client.get("/board").get_data(as_text=True)

    assert "What the board said" in page
    assert "GP access" in page or "gp-access" not in page  # the theme's name, not its code
    assert "Director of Primary Care" in page and "Late" in page
    assert "Dental contracts are for the DHSC." in page
    assert f"/board/responses/{late.statement.response_id}" in page
    assert 'rel="alternate" type="application/atom+xml"' in page


def test_a_response_page_lists_each_version_with_its_log_entry_and_proof(
    app: Flask, client: FlaskClient
) -> None:
    first = record(app)
    second = update(app, first.statement.response_id, update_text="Pilot started in 3 ICBs.",
                    progress="on-track", now=LATER)  # fmt: skip

    page = client.get(f"/board/responses/{first.statement.response_id}").get_data(as_text=True)

    assert "Version 1" in page and "Version 2" in page
    assert "Pilot started in 3 ICBs." in page
    entry = f"/api/v1/log/entries?start={second.log_index}&amp;end={second.log_index + 1}"
    assert entry in page
    assert f"leaf_index={second.log_index}&amp;tree_size=2" in page
    assert client.get("/board/responses/nope").status_code == 404


def test_the_stocktake_groups_commitments_and_says_who_decides_by_when(
    app: Flask, client: FlaskClient
) -> None:
    record(app, due=date(2020, 1, 1), commitment="Late commitment.")
    record(app, theme="dentistry", progress="stalled", reason="Funding was withdrawn.",
           commitment="Stalled commitment.")  # fmt: skip
    record(app, theme="maternity", progress="done", commitment="Done commitment.",
           due=date(2020, 1, 1))  # fmt: skip
    record(app, theme="cancer", decision="under-consideration", commitment=None, progress=None,
           owner="National Cancer Director", due=date(2027, 3, 31))  # fmt: skip

    page = client.get("/stocktake").get_data(as_text=True)

    def section(key: str) -> str:
        match = re.search(rf'<h2 id="{key}">(.*?)(?=<h2 )', page, re.S)
        assert match, key
        return match.group(1)

    assert "Late commitment." in section("late")
    assert "Stalled commitment." in section("stalled") and "Funding was withdrawn." in page
    assert "Done commitment." in section("done") and "Late" not in section("done")
    assert "National Cancer Director" in section("under-consideration")
    assert "31 March 2027" in section("under-consideration")
    assert "None." in section("on-track")


def test_the_atom_feed_is_valid_atom_with_an_entry_per_version(
    app: Flask, client: FlaskClient
) -> None:
    first = record(app)
    update(app, first.statement.response_id, update_text="Done & dusted <really>.",
           progress="done", now=LATER)  # fmt: skip

    response = client.get("/board/feed.atom")

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None and feed.findtext(f"{ATOM}{name}")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].findtext(f"{ATOM}updated") == "2027-02-01T00:00:00Z"  # newest first
    assert "Done & dusted <really>." in (entries[0].findtext(f"{ATOM}summary") or "")
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert link.get("href", "").endswith(f"/board/responses/{first.statement.response_id}")
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 2


@pytest.mark.parametrize("path", ["/board", "/stocktake", "/board/feed.atom"])
def test_public_board_pages_need_no_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


# -- staff pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ANALYST, 403), (Role.BOARD_SECRETARY, 200), (Role.ADMIN, 200)],
)
@pytest.mark.parametrize("path", ["/staff/board/", NEW])
def test_only_the_board_secretary_and_admins_may_use_the_board_staff_pages(
    app: Flask, client: FlaskClient, role: Role, status: int, path: str
) -> None:
    signed_in(app, client, role)

    response = client.get(path)

    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"


def test_an_analyst_cannot_record_or_update_and_nothing_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    first = record(app)
    signed_in(app, client, Role.ANALYST)
    before = row_counts(app)

    assert post_form(client, NEW, FORM).status_code == 403
    path = f"/staff/board/responses/{first.statement.response_id}/update"
    assert post_form(client, path, {"update": "x", "decision": "accepted"}).status_code == 403
    assert row_counts(app) == before


def test_without_a_sign_in_the_board_staff_pages_send_to_sign_in(client: FlaskClient) -> None:
    assert client.get(NEW).headers["Location"].startswith("/staff/login")
    response = client.post(NEW, data={"csrf_token": token_of(client), **FORM})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"


def test_the_board_secretary_records_a_response_and_it_is_logged_and_audited(
    app: Flask, client: FlaskClient
) -> None:
    staff_id = signed_in(app, client)

    response = post_form(client, NEW, FORM)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed and added to the log at index 0" in page
    with app.app_context():
        session = get_session()
        row = session.scalars(select(StoredBoardStatement)).one()
        assert row.recorded_by == staff_id and row.theme == "gp-access"
        actions = session.scalars(
            select(StaffAction.action).where(StaffAction.staff_id == staff_id)
        )
        assert "board-response-recorded" in list(actions)


def test_a_form_without_the_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    signed_in(app, client)
    before = row_counts(app)

    response = client.post(NEW, data=FORM)

    assert response.status_code == 400
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"theme": ""}, "Priority: choose the national theme"),
        ({"period": "last year"}, "Period: cannot read period"),
        ({"meeting": "14/01/2027"}, "Board meeting date must be a date like"),
        ({"decision": "not-accepted"}, "Commitment: leave this empty"),
        ({"progress": "stalled"}, "Reason: is required when progress is stalled"),
        ({"response": ""}, "What the board said: say what the board said"),
    ],
)
def test_a_form_with_mistakes_says_what_to_fix_and_stores_nothing(
    app: Flask, client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    signed_in(app, client)
    before = row_counts(app)

    response = post_form(client, NEW, {**FORM, **changes})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "There is a problem" in page
    after = row_counts(app)
    assert {k: v for k, v in after.items() if k != "staff_action"} == {
        k: v for k, v in before.items() if k != "staff_action"
    }
    assert after["board_statement"] == 0 and after["log_leaf"] == 0


def test_the_board_secretary_adds_a_dated_update(app: Flask, client: FlaskClient) -> None:
    first = record(app)
    staff_id = signed_in(app, client)
    path = f"/staff/board/responses/{first.statement.response_id}/update"
    form = client.get(path).get_data(as_text=True)
    assert 'value="Director of Primary Care"' in form  # prefilled with the current state

    response = post_form(client, path, {
        "update": "Funding moved to next year.", "decision": "accepted",
        "response": first.statement.response, "commitment": first.statement.commitment or "",
        "owner": "Chief Digital Officer", "due": "2027-09-30", "progress": "stalled",
        "reason": "Funding moved to next year.",
    })  # fmt: skip

    assert response.status_code == 302
    document = client.get(f"/api/v1/board/responses/{first.statement.response_id}").get_json()
    current = document["current"]
    assert (current["version"], current["owner"], current["due"], current["progress"]) == (
        2,
        "Chief Digital Officer",
        "2027-09-30",
        "stalled",
    )
    with app.app_context():
        actions = get_session().scalars(
            select(StaffAction.action).where(StaffAction.staff_id == staff_id)
        )
        assert "board-response-updated" in list(actions)
    listing = client.get("/staff/board/").get_data(as_text=True)
    assert "Stalled" in listing and "version 2" in listing


def test_an_update_without_words_is_refused(app: Flask, client: FlaskClient) -> None:
    first = record(app)
    signed_in(app, client)
    before = row_counts(app)["board_statement"]

    response = post_form(
        client, f"/staff/board/responses/{first.statement.response_id}/update",
        {"update": "", "decision": "accepted", "commitment": "c", "owner": "o",
         "due": "2027-06-30", "progress": "done"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "What changed: say what changed" in response.get_data(as_text=True)
    assert row_counts(app)["board_statement"] == before


def test_the_staff_home_lists_the_board_pages_for_the_board_secretary(
    app: Flask, client: FlaskClient
) -> None:
    signed_in(app, client)

    page = client.get("/staff/").get_data(as_text=True)

    assert "Record the board&#39;s response to a priority" in page
    assert "/staff/board/responses/new" in page
