"""The aggregator's re-check of a received summary: the invariants every release must keep.

`check_release(body)` runs on receipt (and as the engine's own last step), so
a hub with a bug, an old version or bad intent cannot get a disclosive number
into the national picture. It raises `DisclosureViolation` (422) naming the
first cell at fault, e.g. `body.breakdowns[gp-access].age_band[25-34]`.

1. No published count of 1..k-1 anywhere; no breakdown cell of
   1..threshold-1 (suppressed cells carry no value).
2. Every published count a multiple of the declared rounding base.
3. No cross-tabulation (the schema refuses any key it does not list) and no
   breakdown table whose margin cell is suppressed or under the threshold.
   For releases without noise, the aggregator also runs the attacker
   (`solver.hidden_cells`): every suppressed breakdown cell must keep more
   than one feasible true value given the whole release.
4. The budget is declared: mechanism "none" has no ε, no budget and no
   "geometric" method; "geometric" has ε > 0, a budget with spent <= the
   yearly cap, and every count table's method prefixed "geometric+".
5. The declared rule is not looser than hubnet's defaults.
6. Quotes only for themes whose published contributors reach the quote
   threshold, and no quote text in which the offline scrub
   (`federation.disclosure.scrub.find_identifiers`) still finds an NHS
   number, NI number, postcode, phone number or email address.
7. The `routing` block's response rates follow from its published cells and
   no median of fewer than k responses is published; the `representation`
   block is exactly what its population shares and the published
   `breakdowns.all` give (federation/disclosure/routing.py and
   representation.py): it cannot carry anything worked out from true counts.

`check_cells` is the same checks for a body `validate_body` has already passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from federation.disclosure.rules import DisclosureRule, check_cell_values, declared_rule
from federation.errors import DisclosureViolation

COUNT_TABLES = ("participation", "themes", "breakdowns")


def check_release(body: Mapping[str, Any]) -> None:
    """Raise DisclosureViolation (or SchemaViolation) for the first broken invariant.

    For a body nothing has validated yet (the engine's self-check, tests).
    """
    from federation.statement import validate_body

    rule = declared_rule(body)  # 5
    validate_body("summary/1", body)  # 3: cross-tabs and unknown keys
    _check_invariants(body, rule)


def check_cells(body: Mapping[str, Any]) -> None:
    """The invariants of a body that has already passed `validate_body`.

    `check_statement` and the log audit validate the body first, so this
    skips validating it a second time on the aggregator's ingest path.
    """
    _check_invariants(body, declared_rule(body))  # 5


def _check_invariants(body: Mapping[str, Any], rule: DisclosureRule) -> None:
    _check_budget(body)  # 4
    check_cell_values(body, rule)  # 1 and 2
    _check_tables(body, rule)  # 3
    _check_quotes(body, rule)  # 6
    from federation.disclosure import representation, routing

    routing.check_block(body)  # 7
    representation.check_block(body)  # 7


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DisclosureViolation(f"{field} is not a decimal number", field=field) from exc
    if not number.is_finite():
        raise DisclosureViolation(f"{field} is not a finite number", field=field)
    return number


def _check_budget(body: Mapping[str, Any]) -> None:
    disclosure, methods = body["disclosure"], body["methods"]
    mechanism = disclosure["mechanism"]
    if mechanism == "none":
        for name in ("epsilon", "budget"):
            if disclosure[name] is not None:
                raise DisclosureViolation(
                    f"mechanism none declares {name}: a release without noise spends nothing",
                    field=f"body.disclosure.{name}",
                )
        for name in COUNT_TABLES:
            if "geometric" in methods[name]:
                raise DisclosureViolation(
                    f"methods.{name} says geometric but the mechanism is none",
                    field=f"body.methods.{name}",
                )
        return
    epsilon = disclosure["epsilon"]
    if epsilon is None or _decimal(epsilon, "body.disclosure.epsilon") <= 0:
        raise DisclosureViolation(
            "a noisy release must declare the ε it spends (> 0)", field="body.disclosure.epsilon"
        )
    budget = disclosure["budget"]
    if budget is None:
        raise DisclosureViolation(
            "a noisy release must declare its privacy budget", field="body.disclosure.budget"
        )
    spent = _decimal(budget["spent"], "body.disclosure.budget.spent")
    cap = _decimal(budget["yearly_cap"], "body.disclosure.budget.yearly_cap")
    if spent > cap:
        raise DisclosureViolation(
            f"the hub has spent ε {spent} of a yearly cap of {cap}",
            field="body.disclosure.budget.spent",
        )
    for name in COUNT_TABLES:
        if not methods[name].startswith("geometric+"):
            raise DisclosureViolation(
                f"methods.{name} must say geometric+… in a noisy release",
                field=f"body.methods.{name}",
            )


def _margin(body: Mapping[str, Any], scope: str) -> tuple[str, Mapping[str, Any]]:
    if scope == "all":
        return "body.participation.participants", body["participation"]["participants"]
    for row in body["themes"]:
        if row["code"] == scope:
            return f"body.themes[{scope}].people", row["people"]
    raise DisclosureViolation(f"no theme row for breakdown scope {scope}", field="body.themes")


def _check_tables(body: Mapping[str, Any], rule: DisclosureRule) -> None:
    from federation.disclosure.solver import hidden_cells

    for scope, tables in body["breakdowns"].items():
        present = [name for name, table in tables.items() if "cells" in table]
        if not present:
            continue
        margin_path, margin = _margin(body, scope)
        value = margin["value"]
        if margin["suppressed"] or value is None or value < rule.breakdown_threshold:
            raise DisclosureViolation(
                f"body.breakdowns[{scope}].{present[0]} is published but its margin "
                f"{margin_path} is {'suppressed' if value is None else value}: no breakdown "
                f"for fewer than {rule.breakdown_threshold} people",
                field=f"body.breakdowns[{scope}].{present[0]}",
            )
    if body["disclosure"]["mechanism"] != "none":
        return
    for path, feasible in hidden_cells(body).items():
        if feasible.size < 2:
            raise DisclosureViolation(
                f"body.{path} is suppressed but the published numbers leave it only {feasible}",
                field=f"body.{path}",
            )


def _check_quotes(body: Mapping[str, Any], rule: DisclosureRule) -> None:
    quotes = body["quotes"]
    if not quotes:
        return
    from federation.disclosure.scrub import find_identifiers

    contributors = {row["code"]: row["contributors"]["value"] for row in body["themes"]}
    for index, quote in enumerate(quotes):
        published = contributors.get(quote["theme"])
        if published is None or published < rule.quote_threshold:
            raise DisclosureViolation(
                f"body.quotes[{index}] is from {quote['theme']}, which publishes "
                f"{'a suppressed count' if published is None else published} of contributors: "
                f"quotes need at least {rule.quote_threshold}",
                field=f"body.quotes[{index}]",
            )
        findings = find_identifiers(quote["text"])
        if findings:
            kinds = ", ".join(sorted({finding.kind for finding in findings}))
            raise DisclosureViolation(
                f"body.quotes[{index}].text still contains an identifier ({kinds})",
                field=f"body.quotes[{index}].text",
            )
