"""`summary/1` bodies for the aggregator's tests, built in one place.

`summary_body` writes the published cells directly (the tests that are about
ingestion, sequence or priorities choose the numbers they need); every
breakdown is withheld and there are no quotes, so the body is valid under the
default rule whatever cells are chosen, as long as they are 0, suppressed or
a multiple of 5 of at least 8. `released_body` goes through the hub's engine
(`federation.disclosure.engine.protect`) from true counts, so a body with
published breakdowns, quotes or differential privacy is exactly what a hub
would send; tests that must break one invariant mutate a copy of it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from federation.disclosure import DEFAULT_RULE, protect_count
from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.statement import KINDS
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

ZERO = {"value": 0, "suppressed": False}
SUPPRESSED = {"value": None, "suppressed": True}
SDC_METHODS = {
    "participation": "sdc-count",
    "themes": "sdc-count",
    "breakdowns": "sdc-breakdown",
    "quotes": "consented-scrubbed-two-reviewers",
}
WITHHELD = {"withheld": True}


def cell(value: int | None) -> dict[str, Any]:
    """A published cell: a number, or None for a suppressed one."""
    return {"value": value, "suppressed": value is None}


def disclosure_block(**changes: Any) -> dict[str, Any]:
    """The default rule's `disclosure` block (no differential privacy), with any key replaced."""
    block: dict[str, Any] = {
        "rule_set": DEFAULT_RULE.name,
        "unit": "person",
        "k": DEFAULT_RULE.k,
        "rounding_base": DEFAULT_RULE.rounding_base,
        "breakdown_threshold": 10,
        "contribution_cap": 3,
        "quote_threshold": 10,
        "mechanism": "none",
        "epsilon": None,
        "budget": None,
    }
    block.update(changes)
    return block


def withheld_breakdowns() -> dict[str, dict[str, Any]]:
    """Every breakdown table of every scope withheld."""
    return {
        scope: {code: dict(WITHHELD) for code in CHARACTERISTICS}
        for scope in ("all", *load_taxonomy().codes)
    }


def summary_body(people: Mapping[str, int | None]) -> dict[str, Any]:
    """A valid `summary/1` body: `people` per theme code (None: suppressed; unlisted: 0).

    Contributors and contributions publish the same cell as people; every
    breakdown is withheld; no quotes.
    """
    themes = [
        {
            "code": code,
            "people": cell(people.get(code, 0)),
            "contributors": cell(people.get(code, 0)),
            "supporters": dict(ZERO),
            "contributions": cell(people.get(code, 0)),
            "by_kind": {kind: dict(ZERO) for kind in KINDS},
        }
        for code in load_taxonomy().codes
    ]
    participants = protect_count(sum(value or 0 for value in people.values())).as_json()
    return {
        "taxonomy": CURRENT_VERSION,
        "disclosure": disclosure_block(),
        "methods": dict(SDC_METHODS),
        "participation": {
            "participants": participants,
            "contributors": dict(participants),
            "supporters": dict(ZERO),
        },
        "themes": themes,
        "breakdowns": withheld_breakdowns(),
        "quotes": [],
    }


# --- bodies from the engine --------------------------------------------------------------


def spread(margin: int, characteristic: str, parts: int = 3) -> dict[str, int]:
    """`margin` people shared out over the first `parts` categories, the rest not stated.

    With every share large enough, the engine publishes the whole table.
    """
    codes = [code for code in CHARACTERISTICS[characteristic].codes if code != NOT_STATED]
    parts = min(parts, len(codes))
    share = margin // (parts + 1)
    table = {code: share for code in codes[:parts]}
    table[NOT_STATED] = margin - share * parts
    return table


def raw_counts(people: Mapping[str, int], *, participants: int | None = None) -> Any:
    """True counts: `people` per theme, each of them a contributor; breakdowns of every scope.

    `participants` defaults to the sum of `people` (nobody in two themes).
    """
    from federation.disclosure.tables import RawCounts, ThemeCounts

    participants = sum(people.values()) if participants is None else participants
    themes = {
        code: ThemeCounts(
            people=count,
            contributors=count,
            supporters=count // 2,
            contributions=count * 2,
            by_kind={"idea": count // 2, "concern": count - count // 2},
        )
        for code, count in people.items()
    }
    margins = {"all": participants, **people}
    breakdowns = {
        scope: {code: spread(margin, code) for code in CHARACTERISTICS}
        for scope, margin in margins.items()
    }
    return RawCounts(
        participants=participants,
        contributors=participants,
        supporters=sum(count // 2 for count in people.values()),
        themes=themes,
        breakdowns=breakdowns,
    )


def released_body(
    people: Mapping[str, int],
    *,
    quotes: Sequence[tuple[str, str]] = (),
    epsilon: str | None = None,
    rule: Any = None,
) -> dict[str, Any]:
    """What a hub's engine publishes for these true counts (with DP when `epsilon` is given)."""
    from federation.disclosure.engine import protect
    from federation.disclosure.tables import Quote

    privacy = None
    if epsilon is not None:
        from federation.disclosure.dp import PrivacySpec

        privacy = PrivacySpec(
            epsilon=Decimal(epsilon),
            max_themes_per_person=3,
            budget={
                "year": 2026,
                "yearly_cap": "12",
                "spent": epsilon,
                "sensitivity": 3,
                "ledger_head": "ab" * 32,
            },
        )
    release = protect(
        raw_counts(people),
        rule or DEFAULT_RULE,
        quotes=[Quote(theme, text) for theme, text in quotes],
        privacy=privacy,
    )
    return copy.deepcopy(release.body)


def theme_row(body: Mapping[str, Any], code: str) -> dict[str, Any]:
    """The body's row for one theme (to read or to change)."""
    row: dict[str, Any] = next(theme for theme in body["themes"] if theme["code"] == code)
    return row
