"""The release preview: every cell of a stored release, what is published and why.

Shared by `hubnet hub preview` and the staff page `/staff/releases`, so both
show the same decisions, and both read the stored release that `push` sends:
what an admin sees is exactly what leaves. True values appear only here, on
the hub, in the engine's notes; they are never in the body.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from federation.disclosure.characteristics import CHARACTERISTICS
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hub.summary.models import StoredRelease

_BREAKDOWN = re.compile(r"^breakdowns\[(?P<scope>[^\]]+)\]\.(?P<characteristic>[a-z_]+)")


@dataclass(frozen=True)
class PreviewRow:
    path: str
    published: str  # the number, "suppressed", or "withheld" for a whole table
    reason: str
    note: str


@dataclass(frozen=True)
class PreviewTable:
    key: str  # "participation", "themes", "breakdowns[gp-access].age_band", "quotes"
    caption: str
    rows: tuple[PreviewRow, ...]


def table_key(path: str) -> str:
    """The published table a decision's path belongs to."""
    match = _BREAKDOWN.match(path)
    if match:
        return f"breakdowns[{match['scope']}].{match['characteristic']}"
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def caption(key: str) -> str:
    """A table's caption in plain English."""
    match = _BREAKDOWN.match(key)
    if match:
        scope, characteristic = match["scope"], match["characteristic"]
        who = (
            "Everyone who took part"
            if scope == "all"
            else f"People in the theme ‘{load_taxonomy(CURRENT_VERSION).name_of(scope)}’"
        )
        label = CHARACTERISTICS[characteristic].label if characteristic in CHARACTERISTICS else ""
        return f"{who}, by {label[:1].lower() + label[1:] or characteristic}"
    return {
        "participation": "Participation: people who took part in the period",
        "themes": "National themes: people, contributors, supporters and items per theme",
        "quotes": "Consented quotes",
        "routing": "Routing: items routed in the year to the period's end, and the answers",
    }.get(key, key)


def representation_rows(release: StoredRelease) -> tuple[str, list[dict[str, Any]]] | None:
    """The release's representation block as rows for the preview (None when it has none)."""
    block = release.summary_body().get("representation")
    if not block:
        return None
    rows = []
    for code, groups in block["groups"].items():
        characteristic = CHARACTERISTICS[code]
        for category, figures in groups.items():
            rows.append(
                {
                    "characteristic": characteristic.label,
                    "group": characteristic.label_of(category),
                    "share": block["shares"][code][category],
                    **figures,
                }
            )
    return block["source"], rows


def _published(decision: dict[str, Any], key: str) -> str:
    if decision["path"] == key and decision["suppressed"]:
        return "withheld"  # a whole table left out
    if decision["reason"] in ("quote-included", "quote-small-theme"):
        return "sent" if decision["reason"] == "quote-included" else "not sent"
    if decision["suppressed"]:
        return "suppressed"
    return str(decision["published"])


def preview_tables(release: StoredRelease) -> list[PreviewTable]:
    """The decisions grouped by table, in the order the engine made them."""
    grouped: dict[str, list[PreviewRow]] = {}
    for decision in release.decision_list():
        key = table_key(decision["path"])
        grouped.setdefault(key, []).append(
            PreviewRow(
                decision["path"], _published(decision, key), decision["reason"], decision["note"]
            )
        )
    return [PreviewTable(key, caption(key), tuple(rows)) for key, rows in grouped.items()]


def suppressed_by_reason(release: StoredRelease) -> dict[str, int]:
    """How many cells (or whole tables, or quotes) were held back, per reason."""
    counts = Counter(
        decision["reason"] for decision in release.decision_list() if decision["suppressed"]
    )
    return dict(sorted(counts.items()))


def privacy_summary(release: StoredRelease) -> dict[str, Any]:
    """The body's mechanism, ε and budget block (budget None without differential privacy)."""
    disclosure = release.summary_body()["disclosure"]
    return {
        "mechanism": disclosure["mechanism"],
        "epsilon": disclosure["epsilon"],
        "budget": disclosure["budget"],
    }


def preview_json(release: StoredRelease) -> dict[str, Any]:
    """Everything the preview shows, as JSON; `body` is exactly what push signs and sends."""
    period = release.period
    return {
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "prepared_at": release.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **privacy_summary(release),
        "suppressed_by_reason": suppressed_by_reason(release),
        "decisions": release.decision_list(),
        "body": release.summary_body(),
    }


def privacy_line(release: StoredRelease) -> str:
    """One sentence on the method: rounding and suppression, or the ε spent and the budget."""
    privacy = privacy_summary(release)
    if privacy["mechanism"] == "none":
        return "Method: suppression and rounding only (no differential privacy)."
    budget = privacy["budget"] or {}
    return (
        f"Method: differential privacy ({privacy['mechanism']} noise), then suppression and "
        f"rounding. This release spends ε = {privacy['epsilon']}; {budget.get('spent')} of the "
        f"yearly cap of {budget.get('yearly_cap')} spent in {budget.get('year')} "
        f"(ledger head {str(budget.get('ledger_head', ''))[:12]}…)."
    )
