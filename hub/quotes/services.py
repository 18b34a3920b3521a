"""Consented quotes: propose (scrubbed), edit (scrubbed again), two approvals, reject, withdraw.

What protects people here, and where:

- Consent: only a contribution whose author ticked "a moderated, anonymised
  quote may be shared nationally" (`contributions.quote_consent`) can be
  proposed or approved, and `approved_quotes` checks the consent again when
  the summary is built, so consent withdrawn later stops the quote leaving.
- Scrub: the words are always stored scrubbed by `federation.disclosure.scrub`
  (NHS and NI numbers, postcodes, phone numbers, emails, and the names and
  places on the hub's own lists, each replaced with a typed placeholder).
  Staff may edit the words, and the edit is scrubbed again.
- Two people: two different staff members must approve the exact current
  words. Whoever last wrote the words by hand may not approve them; an edit
  clears every approval; each approval records the revision it saw, and
  `approved_quotes` counts only approvals of the current revision in SQL, not
  just the status column, so a race between an edit and an approval cannot
  let unapproved words out.
- Nothing else: a quote leaves as (national theme, text) only, with no date or
  anything about the person. The engine drops quotes from themes with fewer
  than 10 contributors when it builds the release.

Services never commit; every action is written to the staff audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session

from federation.disclosure.scrub import scrub
from federation.disclosure.tables import Quote
from hub.db import utcnow
from hub.gather.models import Contribution
from hub.quotes.models import QuoteApproval, QuoteCandidate, QuoteStatus
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser
from hub.themes.models import LocalTheme

REVIEWERS = (Role.ADMIN.value, Role.MODERATOR.value)
APPROVALS_NEEDED = 2
MAX_LENGTH = 5000  # the longest contribution
MAX_REASON = 500


class QuoteRefused(Exception):
    """An action on a quote that may not happen; the message says why, for staff."""


class ScrubListError(RuntimeError):
    """A names or places list is configured but cannot be read (nothing is proposed then)."""


@dataclass(frozen=True)
class ScrubLists:
    """The hub's own names and places to replace, one per line in text files."""

    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


def read_list(path: Path) -> tuple[str, ...]:
    """Entries of a list file: one per line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScrubListError(f"cannot read the scrub list {path}: {exc}") from exc
    return tuple(
        entry for entry in (line.strip() for line in lines) if entry and not entry.startswith("#")
    )


def scrub_lists(config: Any) -> ScrubLists:
    """The lists named by SCRUB_NAMES_FILE and SCRUB_PLACES_FILE (relative: instance folder).

    A list that is configured but missing is an error, not an empty list: a
    quote scrubbed without the hub's names would let a name out.
    """
    found: dict[str, tuple[str, ...]] = {}
    for key, setting in (("names", "SCRUB_NAMES_FILE"), ("places", "SCRUB_PLACES_FILE")):
        name = config.get(setting)
        if not name:
            found[key] = ()
            continue
        path = Path(name)
        if not path.is_absolute():
            path = Path(config["INSTANCE_PATH"]) / path
        found[key] = read_list(path)
    return ScrubLists(**found)


def _require_reviewer(staff: StaffUser) -> None:
    if not staff.may(*REVIEWERS):
        raise QuoteRefused("Only moderators and admins may review quotes")


def _require_consent(contribution: Contribution) -> None:
    if not contribution.quote_consent:
        raise QuoteRefused("The person who wrote this did not agree to be quoted")


def _locked(session: Session, quote: QuoteCandidate) -> QuoteCandidate:
    """The quote re-read under a row lock (PostgreSQL), so concurrent reviews queue up."""
    query = (
        select(QuoteCandidate)
        .where(QuoteCandidate.id == quote.id)
        .with_for_update(of=QuoteCandidate)
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _target(quote: QuoteCandidate) -> str:
    return f"quote:{quote.id}"


def propose(
    session: Session,
    contribution: Contribution,
    names: Sequence[str] = (),
    places: Sequence[str] = (),
    *,
    staff: StaffUser | None = None,
) -> QuoteCandidate:
    """Make a quote candidate from a consented contribution's words, scrubbed.

    Refuses a contribution without consent, or one already proposed. `staff`
    is who proposed it (None: a command or the demo); proposing does not
    count as writing the words, so the proposer may be one of the approvers.
    """
    if staff is not None:
        _require_reviewer(staff)
    _require_consent(contribution)
    existing = session.scalar(
        select(QuoteCandidate).where(QuoteCandidate.contribution_id == contribution.id)
    )
    if existing is not None:
        raise QuoteRefused("A quote from this contribution has already been proposed")
    now = utcnow()
    quote = QuoteCandidate(
        contribution_id=contribution.id,
        text=scrub(contribution.body, names=names, places=places).text,
        status=QuoteStatus.PROPOSED,
        revision=1,
        proposed_by_id=None if staff is None else staff.id,
        edited_by_id=None,
        created_at=now,
        updated_at=now,
    )
    session.add(quote)
    session.flush()
    record_action(
        session, staff, "quote-proposed", _target(quote), f"contribution {contribution.id}"
    )
    return quote


def edit(
    session: Session,
    quote: QuoteCandidate,
    text: str,
    staff: StaffUser,
    names: Sequence[str] = (),
    places: Sequence[str] = (),
) -> bool:
    """Replace the words (scrubbed again); clears all approvals. False if nothing changed.

    The editor wrote these words, so two *other* staff must approve them.
    """
    _require_reviewer(staff)
    quote = _locked(session, quote)
    if quote.status is not QuoteStatus.PROPOSED:
        raise QuoteRefused("Only a quote waiting for approval can be edited")
    _require_consent(quote.contribution)
    text = text.strip()
    if not text:
        raise QuoteRefused("Enter the words of the quote")
    if len(text) > MAX_LENGTH:
        raise QuoteRefused(f"Shorten the quote to {MAX_LENGTH:,} characters or fewer")
    scrubbed = scrub(text, names=names, places=places).text
    if scrubbed == quote.text:
        return False
    quote.text = scrubbed
    quote.revision += 1
    quote.edited_by_id = staff.id
    quote.updated_at = utcnow()
    quote.approvals.clear()
    session.flush()
    record_action(session, staff, "quote-edited", _target(quote), f"revision {quote.revision}")
    return True


def approval_refusal(quote: QuoteCandidate, staff: StaffUser) -> str | None:
    """Why this person may not approve this quote now, or None if they may."""
    if not staff.may(*REVIEWERS):
        return "Only moderators and admins may review quotes"
    if quote.status is not QuoteStatus.PROPOSED:
        return "This quote is not waiting for approval"
    if not quote.contribution.quote_consent:
        return "The person who wrote this did not agree to be quoted"
    if quote.edited_by_id == staff.id:
        return "You wrote these words, so two other members of staff must approve them"
    if any(a.staff_id == staff.id and a.revision == quote.revision for a in quote.approvals):
        return "You have approved this quote; a different member of staff must approve it too"
    return None


def current_approvals(quote: QuoteCandidate) -> list[QuoteApproval]:
    """Approvals that count: of the current words, by someone other than their writer."""
    return [
        a
        for a in quote.approvals
        if a.revision == quote.revision and a.staff_id != quote.edited_by_id
    ]


def approve(
    session: Session, quote: QuoteCandidate, staff: StaffUser, *, revision: int | None = None
) -> QuoteCandidate:
    """Approve the current words; the second different approver makes the quote approved.

    `revision` is the revision the approver read (the form sends it): if the
    words changed since, the approval is refused rather than applied to words
    they have not seen.
    """
    _require_reviewer(staff)
    quote = _locked(session, quote)
    if revision is not None and revision != quote.revision:
        raise QuoteRefused("The words changed since you opened the page: read them again first")
    refusal = approval_refusal(quote, staff)
    if refusal:
        raise QuoteRefused(refusal)
    for stale in [a for a in quote.approvals if a.staff_id == staff.id]:
        quote.approvals.remove(stale)  # an approval of older words (an edit raced it)
    session.flush()
    quote.approvals.append(QuoteApproval(staff_id=staff.id, revision=quote.revision, at=utcnow()))
    approvers = {a.staff_id for a in current_approvals(quote)}
    if len(approvers) >= APPROVALS_NEEDED:
        quote.status = QuoteStatus.APPROVED
    quote.updated_at = utcnow()
    session.flush()
    record_action(
        session,
        staff,
        "quote-approved",
        _target(quote),
        f"revision {quote.revision}, approval {len(approvers)} of {APPROVALS_NEEDED}",
    )
    return quote


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise QuoteRefused(f"Shorten the reason to {MAX_REASON} characters or fewer")
    return reason


def reject(session: Session, quote: QuoteCandidate, staff: StaffUser, reason: str = "") -> None:
    """Decide not to quote this contribution (final)."""
    _require_reviewer(staff)
    reason = _reason(reason)
    quote = _locked(session, quote)
    if quote.status is not QuoteStatus.PROPOSED:
        raise QuoteRefused("Only a quote waiting for approval can be rejected")
    quote.status = QuoteStatus.REJECTED
    quote.updated_at = utcnow()
    record_action(session, staff, "quote-rejected", _target(quote), reason)


def withdraw(session: Session, quote: QuoteCandidate, staff: StaffUser, reason: str = "") -> None:
    """Take an approved quote out of future summaries (final; one person is enough)."""
    _require_reviewer(staff)
    reason = _reason(reason)
    quote = _locked(session, quote)
    if quote.status is not QuoteStatus.APPROVED:
        raise QuoteRefused("Only an approved quote can be withdrawn")
    quote.status = QuoteStatus.WITHDRAWN
    quote.updated_at = utcnow()
    record_action(session, staff, "quote-withdrawn", _target(quote), reason)


def approved_quotes(session: Session) -> list[Quote]:
    """Every quote that may leave: consented, approved twice over its current words, not withdrawn.

    Sorted by (theme, text), as the summary lists them. The words are scrubbed
    once more on the way out (built-in patterns), so a quote approved before
    the scrubber learned a new pattern cannot carry it out.
    """
    counted = (
        select(
            QuoteApproval.quote_id.label("quote_id"),
            func.count(distinct(QuoteApproval.staff_id)).label("approvers"),
        )
        .join(QuoteCandidate, QuoteCandidate.id == QuoteApproval.quote_id)
        .where(
            QuoteApproval.revision == QuoteCandidate.revision,
            or_(
                QuoteCandidate.edited_by_id.is_(None),
                QuoteApproval.staff_id != QuoteCandidate.edited_by_id,
            ),
        )
        .group_by(QuoteApproval.quote_id)
        .subquery()
    )
    rows = session.execute(
        select(LocalTheme.national_code, QuoteCandidate.text)
        .join(Contribution, Contribution.id == QuoteCandidate.contribution_id)
        .join(LocalTheme, LocalTheme.id == Contribution.theme_id)
        .join(counted, counted.c.quote_id == QuoteCandidate.id)
        .where(
            QuoteCandidate.status == QuoteStatus.APPROVED,
            Contribution.quote_consent.is_(True),
            counted.c.approvers >= APPROVALS_NEEDED,
        )
    ).all()
    quotes = [Quote(theme=theme, text=scrub(text).text) for theme, text in rows]
    return sorted(quotes, key=lambda quote: (quote.theme, quote.text))


def consented_not_proposed(session: Session, *, limit: int = 200) -> list[Contribution]:
    """Contributions whose authors agreed to be quoted and that have no quote yet, oldest first."""
    proposed = select(QuoteCandidate.contribution_id)
    query = (
        select(Contribution)
        .where(Contribution.quote_consent.is_(True), Contribution.id.not_in(proposed))
        .order_by(Contribution.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def list_quotes(session: Session) -> list[QuoteCandidate]:
    """Every quote candidate: waiting ones first, then the rest, newest first within each."""
    order = {QuoteStatus.PROPOSED: 0, QuoteStatus.APPROVED: 1}
    quotes = list(session.scalars(select(QuoteCandidate).order_by(QuoteCandidate.id.desc())))
    return sorted(quotes, key=lambda quote: order.get(quote.status, 2))


def get_quote(session: Session, quote_id: int) -> QuoteCandidate | None:
    return session.get(QuoteCandidate, quote_id)
