"""Staff pages for consented quotes: propose, read beside the original, edit, approve, reject.

Moderators and admins only. Every form posts with the CSRF token, and every
outcome comes back to a page (post/redirect/get) with a message saying what
happened or why it could not.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from hub.gather.models import Contribution
from hub.quotes.models import QuoteCandidate
from hub.quotes.services import (
    APPROVALS_NEEDED,
    MAX_LENGTH,
    REVIEWERS,
    QuoteRefused,
    ScrubListError,
    approval_refusal,
    approve,
    consented_not_proposed,
    current_approvals,
    edit,
    get_quote,
    list_quotes,
    propose,
    reject,
    scrub_lists,
    withdraw,
)
from hub.staff.auth import not_found, signed_in_staff, staff_required
from hubnet.db import get_session

pages = Blueprint("quotes", __name__, url_prefix="/staff/quotes")


def _review_page(
    quote: QuoteCandidate, errors: dict[str, list[str]], text: str | None, status: int
) -> Response:
    me = signed_in_staff()
    page = render_template(
        "quotes/review.html",
        quote=quote,
        errors=errors,
        text=quote.text if text is None else text,
        approvals=current_approvals(quote),
        approvals_needed=APPROVALS_NEEDED,
        refusal=approval_refusal(quote, me),
        max_length=MAX_LENGTH,
    )
    return Response(page, status=status)


@pages.get("")
@staff_required(*REVIEWERS)
def index() -> str:
    """Consented contributions waiting to be proposed, and every quote with its status."""
    db = get_session()
    return render_template(
        "quotes/index.html",
        waiting=consented_not_proposed(db),
        quotes=list_quotes(db),
        approvals_needed=APPROVALS_NEEDED,
        current_approvals=current_approvals,
    )


@pages.post("/propose")
@staff_required(*REVIEWERS)
def propose_submit() -> BaseResponse:
    """Scrub a consented contribution's words into a quote waiting for two approvals."""
    db = get_session()
    contribution = db.get(Contribution, request.form.get("contribution_id", type=int) or 0)
    if contribution is None:
        return not_found()
    try:
        lists = scrub_lists(current_app.config)
        quote = propose(db, contribution, lists.names, lists.places, staff=signed_in_staff())
    except (QuoteRefused, ScrubListError) as refusal:
        db.rollback()
        flash(f"Not proposed: {refusal}")
        return redirect(url_for("quotes.index"))
    db.commit()
    flash("Proposed. Check the scrubbed words against the original before approving.")
    return redirect(url_for("quotes.review", quote_id=quote.id))


@pages.get("/<int:quote_id>")
@staff_required(*REVIEWERS)
def review(quote_id: int) -> Response:
    """One quote: the original beside the scrubbed words, its approvals, and the actions."""
    quote = get_quote(get_session(), quote_id)
    if quote is None:
        return not_found()
    return _review_page(quote, {}, None, 200)


@pages.post("/<int:quote_id>/edit")
@staff_required(*REVIEWERS)
def edit_submit(quote_id: int) -> BaseResponse:
    """Save edited words (scrubbed again); every approval so far is cleared."""
    db = get_session()
    quote = get_quote(db, quote_id)
    if quote is None:
        return not_found()
    text = request.form.get("text", "")
    try:
        lists = scrub_lists(current_app.config)
        changed = edit(db, quote, text, signed_in_staff(), lists.names, lists.places)
    except (QuoteRefused, ScrubListError) as refusal:
        db.rollback()
        quote = get_quote(db, quote_id)
        assert quote is not None
        return _review_page(quote, {"text": [str(refusal)]}, text, 400)
    db.commit()
    if changed:
        flash(
            "Saved and scrubbed again. "
            "Two other members of staff now need to approve the new words."
        )
    else:
        flash("The words are unchanged.")
    return redirect(url_for("quotes.review", quote_id=quote_id))


def _act(quote_id: int, action: str) -> BaseResponse:
    db = get_session()
    quote = get_quote(db, quote_id)
    if quote is None:
        return not_found()
    me = signed_in_staff()
    try:
        if action == "approve":
            quote = approve(db, quote, me, revision=request.form.get("revision", type=int))
            message = (
                "Approved. The quote can now be included in summaries."
                if len(current_approvals(quote)) >= APPROVALS_NEEDED
                else "Approved. It needs one more approval from a different member of staff."
            )
        elif action == "reject":
            reject(db, quote, me, request.form.get("reason", ""))
            message = "Rejected. This contribution will not be quoted."
        else:
            withdraw(db, quote, me, request.form.get("reason", ""))
            message = "Withdrawn. The quote will not be included in future summaries."
    except QuoteRefused as refusal:
        db.rollback()
        flash(f"Not done: {refusal}")
        return redirect(url_for("quotes.review", quote_id=quote_id))
    db.commit()
    flash(message)
    return redirect(url_for("quotes.review", quote_id=quote_id))


@pages.post("/<int:quote_id>/approve")
@staff_required(*REVIEWERS)
def approve_submit(quote_id: int) -> BaseResponse:
    """Approve the words as shown (the form carries the revision the approver read)."""
    return _act(quote_id, "approve")


@pages.post("/<int:quote_id>/reject")
@staff_required(*REVIEWERS)
def reject_submit(quote_id: int) -> BaseResponse:
    """Decide not to quote this contribution."""
    return _act(quote_id, "reject")


@pages.post("/<int:quote_id>/withdraw")
@staff_required(*REVIEWERS)
def withdraw_submit(quote_id: int) -> BaseResponse:
    """Take an approved quote out of future summaries."""
    return _act(quote_id, "withdraw")
