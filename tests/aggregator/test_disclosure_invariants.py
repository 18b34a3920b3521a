"""The aggregator re-checks every disclosure invariant on receipt, over HTTP (DESIGN.md §5).

A hub's engine should never send a body that breaks the rules, but the
aggregator does not take its word for it: a buggy, old or hostile hub could.
Each test here starts from a body the real engine released (so it is valid),
breaks exactly one invariant, signs it with the hub's key as a hub would, and
checks what the hub is told (422 `disclosure-violation`, or 400
`schema-violation` for a shape the schema cannot express, naming the exact
cell) and that nothing at all was stored. The two valid releases at the end
(breakdowns and quotes; differential privacy) show the checks are not simply
refusing everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.disclosure.characteristics import CHARACTERISTICS
from federation.disclosure.rules import DisclosureRule
from hubnet.db import get_session
from national_aggregator.ingest.models import (
    Submission,
    SummaryBreakdownCell,
    SummaryQuote,
    SummaryTheme,
    SummaryWithheldTable,
)
from tests.aggregator.bodies import SUPPRESSED, ZERO, cell, released_body, theme_row
from tests.aggregator.conftest import RegisterHub, assert_problem, post, row_counts

# True counts: two themes big enough for every breakdown, one of 5 people (published
# suppressed), the rest none. Each person is in one theme and raised something there.
PEOPLE = {"gp-access": 60, "mental-health": 40, "maternity": 5}
QUOTE = ("gp-access", "I rang at eight every morning for a week and never got through.")

Mutation = Callable[[dict[str, Any]], None]


def sdc_release() -> dict[str, Any]:
    """What the engine releases without differential privacy: breakdowns and one quote."""
    return released_body(PEOPLE, quotes=[QUOTE])


def dp_release() -> dict[str, Any]:
    """What the engine releases with differential privacy (epsilon 0.5)."""
    return released_body(PEOPLE, epsilon="0.5")


def refused(
    client: FlaskClient, register: RegisterHub, app: Flask, body: dict[str, Any],
    status: int, slug: str, field: str,
) -> dict[str, Any]:  # fmt: skip
    """Sign and post `body`; it must be refused naming `field`, with nothing stored."""
    hub = register()
    before = row_counts(app)

    problem = assert_problem(post(client, hub.sign(hub.statement(body=body))), status, slug, field)

    assert row_counts(app) == before
    return problem


def _set_cell(*path: str, value: dict[str, Any]) -> Mutation:
    """Replace the cell at `path` (dict keys; a theme is named by its code)."""

    def mutate(body: dict[str, Any]) -> None:
        target: Any = body
        for index, key in enumerate(path[:-1]):
            target = theme_row(body, key) if index == 1 and path[0] == "themes" else target[key]
        target[path[-1]] = value

    return mutate


def _published(value: int) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


# --- 1. no published count 1..k-1; no breakdown cell 1..threshold-1 --------------------------
# --- 2. every published count a multiple of the rounding base ------------------------------


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        # 5 is on the rounding grid: only the small-count rule can refuse it.
        (_set_cell("themes", "dentistry", "people", value=_published(5)),
         "body.themes[dentistry].people"),
        (_set_cell("themes", "gp-access", "by_kind", "question", value=_published(5)),
         "body.themes[gp-access].by_kind.question"),
        (_set_cell("participation", "supporters", value=_published(5)),
         "body.participation.supporters"),
        (_set_cell("breakdowns", "gp-access", "age_band", "cells", "25-34", value=_published(5)),
         "body.breakdowns[gp-access].age_band[25-34]"),
        # 12 and 32 are above every threshold: only the rounding rule can refuse them.
        (_set_cell("themes", "dentistry", "people", value=_published(12)),
         "body.themes[dentistry].people"),
        (_set_cell("themes", "gp-access", "contributions", value=_published(121)),
         "body.themes[gp-access].contributions"),
        (_set_cell("breakdowns", "gp-access", "age_band", "cells", "25-34", value=_published(32)),
         "body.breakdowns[gp-access].age_band[25-34]"),
        (_set_cell("breakdowns", "all", "disability", "cells", "disabled", value=_published(33)),
         "body.breakdowns[all].disability[disabled]"),
    ],
    ids=["theme-cell-5", "by-kind-cell-5", "participation-cell-5", "breakdown-cell-5",
         "theme-cell-12", "contributions-cell-121", "breakdown-cell-32", "all-scope-cell-33"],
)  # fmt: skip
def test_a_small_or_unrounded_count_is_refused_naming_the_cell(
    client: FlaskClient, register: RegisterHub, app: Flask, mutate: Mutation, field: str
) -> None:
    body = sdc_release()
    mutate(body)

    refused(client, register, app, body, 422, "disclosure-violation", field)


def test_a_breakdown_cell_under_the_declared_stricter_threshold_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    """15 passes k=8 and rounding; only a declared breakdown threshold of 20 refuses it."""
    body = released_body(PEOPLE, rule=DisclosureRule(breakdown_threshold=20))
    assert body["disclosure"]["breakdown_threshold"] == 20
    table = body["breakdowns"]["all"]["age_band"]["cells"]
    assert table["25-34"] == _published(25)  # published under the stricter rule too
    table["25-34"] = _published(15)

    refused(client, register, app, body, 422, "disclosure-violation",
            "body.breakdowns[all].age_band[25-34]")  # fmt: skip


# --- 3. no cross-tabulations; no breakdown table whose margin is suppressed or small ---------


def _cross_tab(body: dict[str, Any]) -> None:
    cells = body["breakdowns"]["all"]["age_band"]["cells"]
    body["breakdowns"]["all"]["age_band×ethnic_group"] = {
        "cells": {f"{age}|white": dict(published) for age, published in cells.items()}
    }


def _nested_characteristic(body: dict[str, Any]) -> None:
    cells = body["breakdowns"]["gp-access"]["age_band"]["cells"]
    cells["25-34"] = {**cells["25-34"], "ethnic_group": {"white": _published(10)}}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_cross_tab, "body.breakdowns.all.age_band×ethnic_group"),
        (_nested_characteristic, "body.breakdowns.gp-access.age_band.cells.25-34.ethnic_group"),
    ],
    ids=["cross-tab-key", "characteristic-inside-a-cell"],
)
def test_a_cross_tabulation_cannot_even_be_expressed(
    client: FlaskClient, register: RegisterHub, app: Flask, mutate: Mutation, field: str
) -> None:
    body = sdc_release()
    mutate(body)

    refused(client, register, app, body, 400, "schema-violation", field)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_set_cell("themes", "mental-health", "people", value=dict(SUPPRESSED)),
         "body.breakdowns[mental-health].age_band"),
        (_set_cell("themes", "mental-health", "people", value=dict(ZERO)),
         "body.breakdowns[mental-health].age_band"),
        (_set_cell("participation", "participants", value=dict(SUPPRESSED)),
         "body.breakdowns[all].age_band"),
    ],
    ids=["theme-margin-suppressed", "theme-margin-zero", "participants-suppressed"],
)  # fmt: skip
def test_a_breakdown_whose_margin_is_suppressed_or_under_the_threshold_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask, mutate: Mutation, field: str
) -> None:
    body = sdc_release()
    assert "cells" in body["breakdowns"]["mental-health"]["age_band"]
    mutate(body)

    refused(client, register, app, body, 422, "disclosure-violation", field)


def test_a_suppressed_cell_the_published_numbers_pin_down_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    """40 people (true 38..42) = 20 (18..22) + 25 (23..27) + hidden: the hidden cell can only be 1.

    Every number is on the grid and above the thresholds, so only the exhaustive
    attacker (complementary suppression missing) can refuse it.
    """
    body = sdc_release()
    assert theme_row(body, "mental-health")["people"] == _published(40)
    tables = body["breakdowns"]["mental-health"]
    for name in tables:
        tables[name] = {"withheld": True}
    cells = {code: dict(ZERO) for code in CHARACTERISTICS["age_band"].codes}
    cells.update({"under-16": _published(20), "16-24": _published(25), "25-34": dict(SUPPRESSED)})
    tables["age_band"] = {"cells": cells}

    refused(client, register, app, body, 422, "disclosure-violation",
            "body.breakdowns[mental-health].age_band[25-34]")  # fmt: skip


# --- 4. the budget is declared, and the methods say what was done ---------------------------


def _disclosure(**changes: Any) -> Mutation:
    return lambda body: body["disclosure"].update(changes)


def _budget(**changes: Any) -> Mutation:
    return lambda body: body["disclosure"]["budget"].update(changes)


def _method(**changes: str) -> Mutation:
    return lambda body: body["methods"].update(changes)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_disclosure(budget=None), "body.disclosure.budget"),
        (_disclosure(epsilon=None), "body.disclosure.epsilon"),
        (_disclosure(epsilon="0"), "body.disclosure.epsilon"),
        (_budget(spent="12.5"), "body.disclosure.budget.spent"),  # the cap is 12
        (_method(themes="sdc-count"), "body.methods.themes"),
    ],
    ids=["no-budget", "epsilon-null", "epsilon-zero", "spent-over-cap", "method-unlabelled"],
)
def test_a_geometric_release_must_declare_its_epsilon_and_budget(
    client: FlaskClient, register: RegisterHub, app: Flask, mutate: Mutation, field: str
) -> None:
    body = dp_release()
    assert body["disclosure"]["mechanism"] == "geometric"
    mutate(body)

    refused(client, register, app, body, 422, "disclosure-violation", field)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_disclosure(epsilon="0.5"), "body.disclosure.epsilon"),
        (lambda body: body["disclosure"].update(budget=dp_release()["disclosure"]["budget"]),
         "body.disclosure.budget"),
        (_method(themes="geometric+sdc-count"), "body.methods.themes"),
    ],
    ids=["epsilon", "budget", "geometric-method"],
)  # fmt: skip
def test_a_release_without_noise_cannot_claim_an_epsilon(
    client: FlaskClient, register: RegisterHub, app: Flask, mutate: Mutation, field: str
) -> None:
    body = sdc_release()
    assert body["disclosure"]["mechanism"] == "none"
    mutate(body)

    refused(client, register, app, body, 422, "disclosure-violation", field)


# --- 5. the declared rule is never looser than the default ----------------------------------


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [("k", 5, "k >= 8"), ("rounding_base", 3, "rounding base"),
     ("breakdown_threshold", 5, "breakdown_threshold"),
     ("contribution_cap", 10, "contribution_cap"), ("quote_threshold", 5, "quote_threshold")],
)  # fmt: skip
def test_a_declared_rule_looser_than_the_default_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask, key: str, value: int, named: str
) -> None:
    """The field is the rule block as a whole; the detail says which number is too loose."""
    body = sdc_release()
    body["disclosure"][key] = value

    problem = refused(client, register, app, body, 422, "disclosure-violation", "body.disclosure")

    assert named in problem["detail"]


# --- 6. quotes: only from themes with enough contributors, with nothing identifying ---------


@pytest.mark.parametrize(
    "theme",
    ["maternity", "dentistry"],  # contributors published suppressed; published 0
)
def test_a_quote_from_a_theme_with_under_10_published_contributors_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask, theme: str
) -> None:
    body = sdc_release()
    assert theme_row(body, theme)["contributors"] in (SUPPRESSED, ZERO)
    body["quotes"] = sorted(
        [*body["quotes"], {"theme": theme, "text": "Nobody told us what would happen next."}],
        key=lambda quote: (quote["theme"], quote["text"]),
    )
    position = next(i for i, quote in enumerate(body["quotes"]) if quote["theme"] == theme)

    refused(client, register, app, body, 422, "disclosure-violation", f"body.quotes[{position}]")


@pytest.mark.parametrize(
    "identifier",
    ["943 476 5919", "SW1A 1AA", "07700 900123", "jo.bloggs@example.org", "AB 12 34 56 C"],
    ids=["nhs-number", "postcode", "phone", "email", "ni-number"],
)
def test_a_quote_that_still_holds_an_identifier_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask, identifier: str
) -> None:
    body = sdc_release()
    assert body["quotes"] == [{"theme": QUOTE[0], "text": QUOTE[1]}]
    body["quotes"][0]["text"] = f"I rang about {identifier} every morning for a week."

    refused(client, register, app, body, 422, "disclosure-violation", "body.quotes[0].text")


# --- valid releases are accepted and stored -------------------------------------------------


def test_a_release_with_breakdowns_and_a_quote_is_accepted_and_stored(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    body = sdc_release()
    before = row_counts(app)
    published = {
        (scope, characteristic)
        for scope, tables in body["breakdowns"].items()
        for characteristic, table in tables.items()
        if "cells" in table
    }
    assert ("gp-access", "age_band") in published and ("all", "disability") in published

    response = post(client, hub.summary(body=body))

    assert response.status_code == 201, response.data
    after = row_counts(app)
    assert after["submission"] == before["submission"] + 1
    assert after["summary_withheld_table"] == 27 * 5 - len(published)
    with app.app_context():
        session = get_session()
        submission = session.scalars(select(Submission)).one()
        assert (submission.mechanism, submission.epsilon) == ("none", None)
        cells = session.scalars(
            select(SummaryBreakdownCell).where(
                SummaryBreakdownCell.scope == "gp-access",
                SummaryBreakdownCell.characteristic == "age_band",
            )
        ).all()
        stored = {row.category: cell(row.value) for row in cells}
        assert stored == body["breakdowns"]["gp-access"]["age_band"]["cells"]
        withheld = session.scalars(
            select(SummaryWithheldTable).where(SummaryWithheldTable.scope == "maternity")
        ).all()
        assert len(withheld) == 5  # 5 people: under the threshold, every table withheld
        quote = session.scalars(select(SummaryQuote)).one()
        assert (quote.theme_code, quote.text, quote.hub_gss) == (*QUOTE, hub.gss)
        theme = session.get(SummaryTheme, (submission.submission_id, "gp-access"))
        assert theme is not None
        assert cell(theme.contributions_value) == theme_row(body, "gp-access")["contributions"]
        assert theme.contributions_value == 120  # 60 people, 2 items each, under the cap of 3


def test_a_differentially_private_release_is_accepted_with_its_mechanism_and_epsilon(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    body = dp_release()
    assert body["methods"]["themes"] == "geometric+sdc-count"

    response = post(client, hub.summary(body=body))

    assert response.status_code == 201, response.data
    with app.app_context():
        submission = get_session().scalars(select(Submission)).one()
        assert (submission.mechanism, submission.epsilon) == ("geometric", "0.5")


def test_the_priorities_page_still_ranks_releases_with_breakdowns(
    client: FlaskClient, register: RegisterHub
) -> None:
    hub = register()
    assert post(client, hub.summary(body=sdc_release())).status_code == 201

    priorities = client.get("/api/v1/priorities?period=2026-10").get_json()

    top = priorities["priorities"][0]
    assert (top["code"], top["total"]) == ("gp-access", 60)
