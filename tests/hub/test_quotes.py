"""Consented quotes (adversarial test 9, hub part): consent, scrub, two different approvers.

Each test would fail if its protection broke: a quote without consent, with
an identifier left in, or with fewer than two different approvers of its
current words must never come out of `approved_quotes`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.disclosure.scrub import find_identifiers
from federation.disclosure.tables import Quote
from hub.gather.models import Contribution
from hub.quotes.models import QuoteApproval, QuoteCandidate, QuoteStatus
from hub.quotes.services import (
    QuoteRefused,
    ScrubListError,
    approve,
    approved_quotes,
    consented_not_proposed,
    edit,
    propose,
    reject,
    scrub_lists,
    withdraw,
)
from hub.staff.models import StaffAction, StaffUser
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

ADVERSARIAL = "NHS 943 476 5919, SW1A 1AA, 07700 900123, Dr Patel"
IDENTIFIERS = ("943", "476", "5919", "SW1A", "1AA", "07700", "900123", "Patel")


def said(db: Session, body: str, *, consent: bool = True, theme: str = "gp-access") -> Contribution:
    contribution = raise_item(db, person(db), theme=theme)
    contribution.body = body
    contribution.quote_consent = consent
    db.flush()
    return contribution


@pytest.fixture
def staff(db: Session) -> tuple[StaffUser, StaffUser, StaffUser]:
    return (
        make_staff(db, "ann@example.org", "moderator"),
        make_staff(db, "bob@example.org", "moderator"),
        make_staff(db, "cat@example.org", "admin"),
    )


def test_adversarial_9_a_consented_quote_leaves_with_every_identifier_replaced(
    app: Flask, db: Session, tmp_path: Path, staff: tuple[StaffUser, ...]
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# people named in this area's contributions\n\nPatel\n", encoding="utf-8")
    app.config["SCRUB_NAMES_FILE"] = str(names)
    ann, bob, _cat = staff
    contribution = said(db, ADVERSARIAL)

    lists = scrub_lists(app.config)
    quote = propose(db, contribution, lists.names, lists.places, staff=ann)
    approve(db, quote, ann)
    approve(db, quote, bob)
    db.commit()

    [leaving] = approved_quotes(db)
    assert leaving.theme == "gp-access"
    for identifier in IDENTIFIERS:
        assert identifier not in leaving.text
    assert find_identifiers(leaving.text) == []
    assert find_identifiers(leaving.text, names=["Patel"]) == []
    assert leaving.text == "NHS [NHS number], [postcode], [phone number], Dr [name]"


def test_the_name_is_caught_by_the_local_list_without_a_title(
    app: Flask, db: Session, tmp_path: Path, staff: tuple[StaffUser, ...]
) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    (tmp_path / "instance" / "names.txt").write_text("Patel\n", encoding="utf-8")
    (tmp_path / "instance" / "places.txt").write_text("Moss Side\n", encoding="utf-8")
    app.config |= {"SCRUB_NAMES_FILE": "names.txt", "SCRUB_PLACES_FILE": "places.txt"}
    contribution = said(db, "Patel at the Moss Side surgery was kind.")

    lists = scrub_lists(app.config)
    quote = propose(db, contribution, lists.names, lists.places, staff=staff[0])

    assert quote.text == "[name] at the [place] surgery was kind."


def test_a_configured_list_that_cannot_be_read_stops_proposals(app: Flask) -> None:
    app.config["SCRUB_NAMES_FILE"] = "missing-names.txt"

    with pytest.raises(ScrubListError, match=r"missing-names\.txt"):
        scrub_lists(app.config)


def test_an_unconsented_contribution_can_never_be_proposed(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    contribution = said(db, "Please do not quote me.", consent=False)

    with pytest.raises(QuoteRefused, match="did not agree"):
        propose(db, contribution, staff=staff[0])

    assert db.scalar(select(func.count()).select_from(QuoteCandidate)) == 0
    assert contribution not in consented_not_proposed(db)


def test_an_unconsented_contribution_never_reaches_approved_quotes(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    """Even a row forced into the database past the service, fully approved."""
    ann, bob, _cat = staff
    contribution = said(db, "Please do not quote me.", consent=False)
    quote = QuoteCandidate(
        contribution_id=contribution.id, text="Please do not quote me.",
        status=QuoteStatus.APPROVED, revision=1,
    )  # fmt: skip
    db.add(quote)
    db.flush()
    db.add_all(QuoteApproval(quote_id=quote.id, staff_id=s.id, revision=1) for s in (ann, bob))
    db.commit()

    assert approved_quotes(db) == []


def test_consent_withdrawn_after_approval_stops_the_quote(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, _cat = staff
    contribution = said(db, "The reception staff were wonderful.")
    quote = propose(db, contribution, staff=ann)
    approve(db, quote, ann)
    approve(db, quote, bob)
    assert len(approved_quotes(db)) == 1

    contribution.quote_consent = False
    db.flush()

    assert approved_quotes(db) == []


def test_one_approval_is_not_enough(db: Session, staff: tuple[StaffUser, ...]) -> None:
    ann, _bob, _cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful."), staff=ann)

    approve(db, quote, ann)

    assert quote.status is QuoteStatus.PROPOSED
    assert approved_quotes(db) == []


def test_the_same_person_cannot_approve_twice(db: Session, staff: tuple[StaffUser, ...]) -> None:
    ann, _bob, _cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful."), staff=ann)
    approve(db, quote, ann)

    with pytest.raises(QuoteRefused, match="different member of staff"):
        approve(db, quote, ann)

    assert quote.status is QuoteStatus.PROPOSED
    assert approved_quotes(db) == []


def test_a_status_forced_to_approved_with_one_approver_does_not_leave(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    """approved_quotes counts different approvers in SQL; the status column alone is not trusted."""
    ann, _bob, _cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful."), staff=ann)
    approve(db, quote, ann)
    quote.status = QuoteStatus.APPROVED
    db.commit()

    assert approved_quotes(db) == []


def test_whoever_edits_the_words_cannot_approve_them(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful, every one."), staff=ann)
    approve(db, quote, bob)

    assert edit(db, quote, "The reception staff were wonderful.", ann)

    assert quote.approvals == [] and quote.revision == 2 and quote.edited_by_id == ann.id
    with pytest.raises(QuoteRefused, match="You wrote these words"):
        approve(db, quote, ann)
    approve(db, quote, bob)
    assert approved_quotes(db) == []
    approve(db, quote, cat)
    assert approved_quotes(db) == [Quote("gp-access", "The reception staff were wonderful.")]


def test_an_approval_by_the_editor_forced_into_the_database_does_not_count(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, _cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful, every one."), staff=ann)
    edit(db, quote, "The reception staff were wonderful.", ann)
    approve(db, quote, bob)
    db.add(QuoteApproval(quote_id=quote.id, staff_id=ann.id, revision=quote.revision))
    quote.status = QuoteStatus.APPROVED
    db.commit()

    assert approved_quotes(db) == []


def test_an_edit_is_scrubbed_again(db: Session, staff: tuple[StaffUser, ...]) -> None:
    ann, _bob, _cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful."), staff=ann)

    edit(db, quote, "Ring Dr Patel on 07700 900123 or write to ann@example.org", ann, ["Patel"])

    assert quote.text == "Ring Dr [name] on [phone number] or write to [email address]"


def test_an_approval_of_words_since_changed_is_refused(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful, every one."), staff=ann)
    seen = quote.revision
    edit(db, quote, "The staff were wonderful.", cat)

    with pytest.raises(QuoteRefused, match="words changed"):
        approve(db, quote, bob, revision=seen)


def test_an_approval_of_an_old_revision_never_counts(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    """If an edit races an approval, the approval stays attached to the words it saw."""
    ann, bob, cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful, every one."), staff=ann)
    approve(db, quote, ann)
    edit(db, quote, "The staff were wonderful.", cat)
    db.add(QuoteApproval(quote_id=quote.id, staff_id=ann.id, revision=1))  # the raced approval
    approve(db, quote, bob)
    quote.status = QuoteStatus.APPROVED  # as if the racing approval had set it
    db.commit()

    assert approved_quotes(db) == []


def test_a_contribution_is_proposed_once(db: Session, staff: tuple[StaffUser, ...]) -> None:
    contribution = said(db, "The reception staff were wonderful.")
    propose(db, contribution, staff=staff[0])

    with pytest.raises(QuoteRefused, match="already been proposed"):
        propose(db, contribution, staff=staff[1])


def test_rejected_and_withdrawn_quotes_do_not_leave(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, _cat = staff
    rejected = propose(db, said(db, "The reception staff were wonderful."), staff=ann)
    reject(db, rejected, bob, "It names a small team")
    withdrawn = propose(db, said(db, "The nurses were kind."), staff=ann)
    approve(db, withdrawn, ann)
    approve(db, withdrawn, bob)
    assert len(approved_quotes(db)) == 1

    withdraw(db, withdrawn, ann, "The author asked us to")

    assert approved_quotes(db) == []
    with pytest.raises(QuoteRefused):
        approve(db, rejected, ann)
    with pytest.raises(QuoteRefused):
        edit(db, withdrawn, "New words", bob)


def test_only_moderators_and_admins_review(db: Session, staff: tuple[StaffUser, ...]) -> None:
    facilitator = make_staff(db, "fay@example.org", "facilitator")
    quote = propose(db, said(db, "The reception staff were wonderful."), staff=staff[0])

    with pytest.raises(QuoteRefused, match="Only moderators and admins"):
        approve(db, quote, facilitator)
    with pytest.raises(QuoteRefused, match="Only moderators and admins"):
        propose(db, said(db, "The nurses were kind."), staff=facilitator)


def test_quotes_carry_only_the_national_theme_and_the_words_sorted(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, _cat = staff
    for body, theme in (("Zebra crossings help.", "gp-access"), ("All good here.", "gp-access")):
        quote = propose(db, said(db, body, theme=theme), staff=ann)
        approve(db, quote, ann)
        approve(db, quote, bob)

    quotes = approved_quotes(db)

    assert quotes == [
        Quote("gp-access", "All good here."),
        Quote("gp-access", "Zebra crossings help."),
    ]
    assert all(set(vars(q)) == {"theme", "text"} for q in quotes)


def test_every_quote_action_is_in_the_staff_audit_log(
    db: Session, staff: tuple[StaffUser, ...]
) -> None:
    ann, bob, cat = staff
    quote = propose(db, said(db, "The reception staff were wonderful, all of them."), staff=ann)
    edit(db, quote, "The reception staff were wonderful.", ann)
    approve(db, quote, bob)
    approve(db, quote, cat)
    withdraw(db, quote, bob, "Asked to")
    other = propose(db, said(db, "The nurses were kind."), staff=ann)
    reject(db, other, cat)
    db.commit()

    logged = [
        (entry.action, entry.staff_id, entry.target)
        for entry in db.scalars(
            select(StaffAction).where(StaffAction.action.like("quote-%")).order_by(StaffAction.id)
        )
    ]
    target, other_target = f"quote:{quote.id}", f"quote:{other.id}"
    assert logged == [
        ("quote-proposed", ann.id, target),
        ("quote-edited", ann.id, target),
        ("quote-approved", bob.id, target),
        ("quote-approved", cat.id, target),
        ("quote-withdrawn", bob.id, target),
        ("quote-proposed", ann.id, other_target),
        ("quote-rejected", cat.id, other_target),
    ]
