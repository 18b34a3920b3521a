"""The release preview (`hubnet hub preview`, `/staff/releases`) shows what push then sends."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from federation.canonical import parse_json
from federation.periods import Period
from hub.summary.services import prepare_release
from tests.hub.conftest import hubnet_hub, person, raise_item, seed
from tests.hub.fake_aggregator import FakeAggregator
from tests.hub.staff_helpers import login, make_staff, page_token

OCTOBER = Period.month(2026, 10)


def test_preview_lists_every_cell_with_its_reason_and_counts_what_was_held_back(
    instance: Path,
) -> None:
    seed(instance, 12)

    shown = hubnet_hub("preview", "--instance", str(instance), "--period", "2026-10")
    again = hubnet_hub("preview", "--instance", str(instance), "--period", "2026-10")

    assert shown.exit_code == 0, shown.output
    assert "Release for 2026-10 (2026-10-01 to 2026-10-31), prepared now and stored" in shown.output
    assert "suppression and rounding only" in shown.output
    assert re.search(r"themes\[gp-access\]\.contributors\s+10\s+rounded", shown.output)
    assert re.search(r"themes\[gp-access\]\.supporters\s+0\s+zero", shown.output)
    assert re.search(r"breakdowns\[all\]\.age_band\s+withheld\s+all-or-none", shown.output)
    assert "Held back, by reason:" in shown.output
    assert re.search(r"^  all-or-none\s+\d+$", shown.output, re.MULTILINE)
    assert "prepared earlier" in again.output
    assert again.output.split("\n", 1)[1] == shown.output.split("\n", 1)[1]


def test_preview_json_body_is_exactly_what_push_sends(
    instance: Path, aggregator: FakeAggregator
) -> None:
    seed(instance, 12)

    preview = hubnet_hub("preview", "--json", "--instance", str(instance), "--period", "2026-10")
    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    summary = hubnet_hub("summary", "--instance", str(instance), "--period", "2026-10")

    assert pushed.exit_code == 0, pushed.output
    shown = json.loads(preview.output)
    (envelope,) = aggregator.requests
    statement = parse_json(base64.b64decode(json.loads(envelope)["payload"]))
    assert statement["body"] == shown["body"] == json.loads(summary.output)
    assert shown["mechanism"] == "none" and shown["budget"] is None
    assert shown["period"] == {"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31"}
    paths = {decision["path"] for decision in shown["decisions"]}
    assert {"participation.participants", "themes[gp-access].people"} <= paths
    suppressed = sum(1 for decision in shown["decisions"] if decision["suppressed"])
    assert sum(shown["suppressed_by_reason"].values()) == suppressed


def test_preview_refuses_a_period_that_has_not_ended(instance: Path) -> None:
    result = hubnet_hub("preview", "--instance", str(instance), "--period", "2099-01")

    assert result.exit_code == 1
    assert "2099-01 has not ended yet: it ends on 2099-01-31" in result.output


def test_privacy_ledger_lists_spending_against_the_cap(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = hubnet_hub("privacy", "ledger", "--instance", str(instance))
    monkeypatch.setenv("HUB_DP_EPSILON", '"0.5"')
    hubnet_hub("preview", "--instance", str(instance), "--period", "2026-10")
    on = hubnet_hub("privacy", "ledger", "--instance", str(instance))
    verified = hubnet_hub("privacy", "verify", "--instance", str(instance))
    preview = hubnet_hub("preview", "--instance", str(instance), "--period", "2026-10")

    assert "Differential privacy is off" in off.output and "ledger is empty" in off.output
    assert re.search(r"1\s+\S+Z\s+2026-10-01/2026-10-31\s+0.5\s+geometric\s+53\s+\d+", on.output)
    assert "Spent in 2026: ε = 0.5 of the yearly cap 12 (DP_YEARLY_CAP); 11.5 left." in on.output
    assert verified.exit_code == 0 and "verifies: 1 entries" in verified.output
    assert (
        "This release spends ε = 0.5; 0.5 of the yearly cap of 12 spent in 2026" in preview.output
    )


def _admin(app: Flask, db: Session) -> FlaskClient:
    make_staff(db, "admin@example.org", "admin")
    client = app.test_client()
    login(client, "admin@example.org")
    return client


def test_the_staff_page_shows_the_same_decisions_grouped_by_table(app: Flask, db: Session) -> None:
    for _ in range(12):
        raise_item(db, person(db))
    release = prepare_release(db, OCTOBER)
    db.commit()
    client = _admin(app, db)

    page = client.get("/staff/releases?period=2026-10").get_data(as_text=True)

    caption = '<caption class="nhsuk-table__caption">'
    assert f"{caption}Participation: people who took part in the period</caption>" in page
    assert f"{caption}Everyone who took part, by age band</caption>" in page
    assert f"{caption}People in the theme ‘GP access’, by age band</caption>" in page
    for decision in release.decision_list():
        assert f"<code>{decision['path']}</code>" in page
    assert 'scope="col">Published</th>' in page
    assert "Cells held back, by reason" in page


def test_a_period_without_a_release_is_prepared_only_by_a_post(app: Flask, db: Session) -> None:
    client = _admin(app, db)

    looked = client.get("/staff/releases?period=2026-09").get_data(as_text=True)
    prepared = client.post(
        "/staff/releases", data={"period": "2026-09", "csrf_token": page_token(looked)}
    )
    shown = client.get(prepared.headers["Location"]).get_data(as_text=True)

    assert "No release has been prepared for this period yet" in looked
    assert prepared.status_code == 302
    assert "<code>participation.participants</code>" in shown
    assert "The release for 2026-09 is prepared" in shown


def test_only_admins_see_release_previews(app: Flask, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    client = app.test_client()
    login(client, "mo@example.org")

    assert client.get("/staff/releases?period=2026-10").status_code == 403
    assert app.test_client().get("/staff/releases").status_code == 302  # to sign in
