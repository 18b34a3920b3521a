"""The board pack: what the board reads before a meeting, built from one log checkpoint.

A pack is named by (checkpoint size N, period, region, meeting date) and uses
only what the transparency log held at size N: the hubs' summaries at leaf
indexes below N (the priorities and hidden-voices services asked "as of" N)
and the board statements below N (`board.services.latest_board_statements`).
Lateness is judged on the meeting date, never on today, so the same four
values give the same pack however much the log has grown since.

`build_pack` returns one canonical dict; every format (JSON, CSV, the
printable HTML and the PDF made from it) is rendered from that dict. It holds
no generation time and every list in it is sorted, so regenerating it gives
byte-identical JSON (RFC 8785) and CSV. It cites the checkpoint exactly as the
log key signed it (cosignatures are left out: witnesses may add more later)
and lists every submission and board statement it used with its log index and
payload SHA-256, which `hubnet audit --pack` checks against the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.board import BoardStatement
from federation.canonical import parse_json
from federation.disclosure import DEFAULT_RULE
from federation.merkle import EMPTY_ROOT
from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from national_aggregator.board.models import StoredBoardStatement
from national_aggregator.board.services import latest_board_statements
from national_aggregator.ingest.models import Submission
from national_aggregator.log.models import LogCheckpoint, LogLeaf
from national_aggregator.log.services import (
    CheckpointNotFound,
    LogSigner,
    log_size,
)
from national_aggregator.priorities.services import (
    BORDA,
    RANKING,
    TREND,
    NationalPriorities,
    Priority,
    latest_period,
    national_priorities,
    summaries_within,
    theme_detail,
)
from national_aggregator.registry.models import Hub
from national_aggregator.voices.services import METHOD as VOICES_METHOD
from national_aggregator.voices.services import GroupAcrossHubs, hidden_voices

PACK_FORMAT = "hubnet-board-pack/1"
EVIDENCE_THEMES = 5  # themes with their evidence (hubs and quotes) written out
HIDDEN_GROUPS = 10  # groups under-represented in most places, at most

DISCLOSURE = (
    "Every figure comes from the hubs' signed summaries, which follow the disclosure rules "
    f"({DEFAULT_RULE.name}): the unit is a distinct person, counted at most once per cell; "
    f"counts of 1 to {DEFAULT_RULE.k - 1} are suppressed, 0 stays 0, and every other count "
    f"is rounded to the nearest {DEFAULT_RULE.rounding_base}. Totals are sums of those "
    "rounded cells, so a total is not itself a rounded count; lower and upper show what the "
    "suppressed cells may hide. A hub may declare a stricter k (listed below). Demographic "
    f"breakdowns are one characteristic at a time, threshold {DEFAULT_RULE.breakdown_threshold}. "
    "Quotes appear only with the person's consent, scrubbed and reviewed by two staff, from "
    f"themes with at least {DEFAULT_RULE.quote_threshold} contributors, with no demographic "
    "or time detail. Rates per 100,000 use the registered population of the hubs reporting."
)
PRIVACY = (
    "A hub may add differential privacy (the geometric mechanism on whole counts, before "
    "suppression and rounding), spending part of a yearly budget; the hubs that did, and "
    "the epsilon each spent on this period's summary, are listed. Noise makes a small count "
    "less certain, never a large one misleading."
)
COMMITMENTS = (
    "Outstanding commitments are the board's responses, as last stated in the log before "
    "this pack's checkpoint, that are accepted and not done, or still under consideration. "
    "A response is late when its due date is before the meeting date and it is not done."
)
VERIFY = (
    "The checkpoint is the transparency log's signed statement of its size and Merkle root. "
    "Every submission and board statement this pack used is listed with its log index and "
    "the SHA-256 of its signed payload: `hubnet audit <aggregator> --pack pack.json` checks "
    "the checkpoint's signature, that today's log extends it, and that each listed entry is "
    "the one at its index."
)


class PackQueryError(ValueError):
    """A pack's parameters do not make sense (e.g. a region no hub is registered in)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class PackRequest:
    """What names a pack: the checkpoint size, the period, the region and the meeting date."""

    size: int
    period: Period | None  # None: the latest period in the log at `size`
    region: str | None
    meeting: date


def cited_checkpoint(session: Session, size: int, signer: LogSigner) -> dict[str, Any]:
    """The checkpoint of `size` exactly as the log key signed it, without cosignatures.

    Raises CheckpointNotFound (404) when the log never issued one of that size.
    """
    if size == 0:  # the empty log's checkpoint is signed on demand (Ed25519 is deterministic)
        document = signer.sign(0, EMPTY_ROOT).as_json()
    else:
        stored = session.get(LogCheckpoint, size) if size <= log_size(session) else None
        if stored is None:
            raise CheckpointNotFound(
                f"this log has issued no checkpoint of size {size}", field="size"
            )
        document = parse_json(stored.signed)
    return {key: document[key] for key in ("origin", "size", "root", "keyid", "signature")}


def build_pack(session: Session, request: PackRequest, signer: LogSigner) -> dict[str, Any]:
    """The canonical pack (see the module doc).

    Raises CheckpointNotFound for a size the log never issued, and PackQueryError
    for a region no hub is registered in (as of any size: regions are not logged).
    """
    checkpoint = cited_checkpoint(session, request.size, signer)
    as_of = request.size
    _check_region(session, request.region)
    period = request.period or latest_period(session, before_log_index=as_of)
    national = national_priorities(session, period, request.region, before_log_index=as_of)
    used = _submissions_used(session, national, request.region, as_of)
    statements = _board_statements_used(session, as_of, signer)
    return {
        "format": PACK_FORMAT,
        "checkpoint": checkpoint,
        "period": _period(national.period),
        "previous_period": _period(national.previous),
        "region": request.region,
        "meeting": request.meeting.isoformat(),
        "taxonomy": national.taxonomy,
        "hubs_reporting": [_hub(hub) for hub in national.hubs_reporting],
        "hubs_missing": [_hub(hub) for hub in national.hubs_missing],
        "priorities": [_priority(row) for row in national.priorities],
        "evidence": _evidence(session, national, as_of),
        "hidden_voices": _hidden_voices(session, national, as_of),
        "commitments": _outstanding(statements, request.meeting),
        "method": _method(used),
        "submissions": [_submission(row, index) for row, index in used],
        "board_statements": [
            {
                "log_index": index,
                "response_id": statement.response_id,
                "version": statement.version,
                "payload_sha256": statement.payload_sha256,
            }
            for index, statement in statements
        ],
    }


def _check_region(session: Session, region: str | None) -> None:
    if region is None:
        return
    known = list(session.scalars(select(Hub.region).distinct().order_by(Hub.region)))
    if region not in known:
        choices = ", ".join(known) or "none yet"
        raise PackQueryError(
            "region", f"no registered hub is in region {region!r}; regions: {choices}"
        )


def _period(period: Period | None) -> dict[str, str] | None:
    return None if period is None else {**period.as_json(), "label": period.label}


def _hub(hub: Hub) -> dict[str, str]:
    return {"gss": hub.gss, "name": hub.name, "region": hub.region}


def _priority(row: Priority) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "code": row.code,
        "name": row.name,
        "total": row.total,
        "lower": row.lower,
        "upper": row.upper,
        "rate_per_100k": str(row.rate_per_100k),
        "top5_hubs": row.top5_hubs,
        "borda_points": str(row.borda_points.quantize(Decimal("0.1"))),
        "borda_rank": row.borda_rank,
        "hubs_reporting": row.hubs_reporting,
        "hubs_suppressed": row.hubs_suppressed,
        "previous_total": row.previous_total,
        "previous_rank": row.previous_rank,
        "change_rank": row.change_rank,
        "movement": row.movement,
    }


def _evidence(session: Session, national: NationalPriorities, as_of: int) -> list[dict[str, Any]]:
    """For each of the top themes someone raised: every hub's cell and the consented quotes."""
    if national.period is None:
        return []
    evidence = []
    for row in [row for row in national.priorities if row.raised][:EVIDENCE_THEMES]:
        detail = theme_detail(
            session, row.code, national.period, national.region, before_log_index=as_of
        )
        evidence.append(
            {
                "rank": row.rank,
                "code": row.code,
                "name": row.name,
                "hubs": [
                    {
                        **_hub(cell.hub),
                        "status": cell.status,
                        "people": cell.people,
                        "suppressed_max": cell.suppressed_max,
                        "place": cell.place,
                    }
                    for cell in detail.hubs
                ],
                "quotes": [{"hub": _hub(quote.hub), "text": quote.text} for quote in detail.quotes],
            }
        )
    return evidence


def _group(group: GroupAcrossHubs) -> dict[str, Any]:
    return {
        "characteristic": group.characteristic,
        "characteristic_label": group.characteristic_label,
        "category": group.category,
        "category_label": group.category_label,
        "hubs_under": group.under,
        "hubs_with_figures": group.hubs_with_figures,
        "hubs_with_ratio": group.hubs_with_ratio,
        "median_ratio": None if group.median_ratio is None else str(group.median_ratio),
        "flags": dict(sorted(group.flags.items())),
        "doing_well": [_hub(figure.hub) for figure in group.doing_well],
    }


def _hidden_voices(session: Session, national: NationalPriorities, as_of: int) -> dict[str, Any]:
    """The groups under-represented in most places, and which hubs could say."""
    if national.period is None:
        return {"hubs_with_profile": [], "hubs_without_profile": [], "most_under": []}
    voices = hidden_voices(session, national.period, national.region, before_log_index=as_of)
    return {
        "hubs_with_profile": [_hub(hub) for hub in voices.hubs_with_profile],
        "hubs_without_profile": [_hub(hub) for hub in voices.hubs_without_profile],
        "most_under": [_group(group) for group in voices.most_under[:HIDDEN_GROUPS]],
    }


def _submissions_used(
    session: Session, national: NationalPriorities, region: str | None, as_of: int
) -> list[tuple[Submission, int]]:
    """Every summary the pack counts (the period's and the previous period's, for the
    trend), with its log index, by log index."""
    if national.period is None:
        return []
    periods: Sequence[Period] = [national.period]
    if national.previous is not None:
        periods = [national.period, national.previous]
    ids = [
        submission_id
        for period in periods
        for submission_id in session.scalars(
            summaries_within(period, region, before_log_index=as_of)
        )
    ]
    rows = session.execute(
        select(Submission, LogLeaf.index)
        .join(LogLeaf, LogLeaf.submission_id == Submission.submission_id)
        .where(Submission.submission_id.in_(ids))
        .order_by(LogLeaf.index)
    ).all()
    return [(row, index) for row, index in rows]


def _submission(row: Submission, index: int) -> dict[str, Any]:
    return {
        "log_index": index,
        "hub_id": row.hub_gss,
        "seq": row.seq,
        "period": {"start": row.period_start.isoformat(), "end": row.period_end.isoformat()},
        "payload_sha256": row.payload_sha256,
    }


def _method(used: list[tuple[Submission, int]]) -> dict[str, Any]:
    """How the figures were made: the rules, the stricter k and DP any hub used."""
    stricter = sorted(
        {(row.hub_gss, row.disclosure_k) for row, _ in used}
        - {(row.hub_gss, DEFAULT_RULE.k) for row, _ in used}
    )
    private = sorted(
        {(row.hub_gss, row.epsilon or "") for row, _ in used if row.mechanism == "geometric"}
    )
    return {
        "disclosure": DISCLOSURE,
        "rule_set": DEFAULT_RULE.name,
        "k": DEFAULT_RULE.k,
        "rounding_base": DEFAULT_RULE.rounding_base,
        "stricter_k": [{"hub_id": gss, "k": k} for gss, k in stricter if k is not None],
        "differential_privacy": PRIVACY,
        "dp_hubs": [{"hub_id": gss, "epsilon": epsilon} for gss, epsilon in private],
        "ranking": RANKING,
        "borda": BORDA,
        "trend": TREND,
        "hidden_voices": VOICES_METHOD,
        "commitments": COMMITMENTS,
        "verify": VERIFY,
    }


# Board commitments ---------------------------------------------------------------------------


def _board_statements_used(
    session: Session, as_of: int, signer: LogSigner
) -> list[tuple[int, BoardStatement]]:
    """The newest version of each board response below `as_of`, with its log index, by index."""
    statements = latest_board_statements(
        session, before_log_index=as_of, log_public_key=signer.private_key.public_key()
    )
    indexes = {
        (response_id, version): index
        for index, response_id, version in session.execute(
            select(LogLeaf.index, StoredBoardStatement.response_id, StoredBoardStatement.version)
            .join(StoredBoardStatement, LogLeaf.board_statement_id == StoredBoardStatement.id)
            .where(LogLeaf.index < as_of)
        ).tuples()
    }
    return sorted(
        ((indexes[(s.response_id, s.version)], s) for s in statements), key=lambda item: item[0]
    )


def _outstanding(
    statements: list[tuple[int, BoardStatement]], meeting: date
) -> list[dict[str, Any]]:
    """Accepted and not done, or under consideration: due date first (none last), then theme."""
    taxonomy = load_taxonomy(CURRENT_VERSION)
    rows = []
    for index, statement in statements:
        accepted_open = statement.decision == "accepted" and statement.progress != "done"
        if not (accepted_open or statement.decision == "under-consideration"):
            continue
        rows.append(
            {
                "response_id": statement.response_id,
                "version": statement.version,
                "log_index": index,
                "theme": statement.theme,
                "theme_name": _theme_name(taxonomy, statement.theme),
                "period": {
                    "start": statement.period_start.isoformat(),
                    "end": statement.period_end.isoformat(),
                },
                "responded_at_meeting": statement.meeting.isoformat(),
                "decision": statement.decision,
                "response": statement.response,
                "commitment": statement.commitment,
                "owner": statement.owner,
                "due": None if statement.due is None else statement.due.isoformat(),
                "progress": statement.progress,
                "late": _late(statement, meeting),
                "reason": statement.reason,
                "update": statement.update,
            }
        )
    rows.sort(
        key=lambda row: (row["due"] is None, row["due"] or "", row["theme"], row["response_id"])
    )
    return rows


def _late(statement: BoardStatement, meeting: date) -> bool:
    """Late at the meeting: due before it and not done (under consideration: not decided)."""
    if statement.decision == "under-consideration":
        return statement.due is not None and statement.due < meeting
    return statement.is_late(meeting)


def _theme_name(taxonomy: Any, code: str) -> str:
    try:
        name: str = taxonomy.name_of(code)
    except KeyError:
        return code
    return name
