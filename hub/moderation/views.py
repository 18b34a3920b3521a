"""Staff pages for items: the moderation queue, escalations, status updates, assisted entry.

Who may use what (admins may use everything):

- moderators: the queue, an item's or a comment's moderation page and its
  decisions, criticality, escalating and closing escalations, the escalations list;
- moderators and responders: public status updates;
- moderators and facilitators: entering an item for someone (assisted digital).

Every form posts with the CSRF token; a decision comes back to a page
(post/redirect/get) with a message, and a form with a mistake is shown again
with the mistake named beside the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.gather import moderation as decide
from hub.gather.events import timeline
from hub.gather.models import (
    ABOUT_YOU,
    PREFER_NOT_TO_SAY,
    Comment,
    Contribution,
    Kind,
    Report,
    Stage,
    Status,
    Ward,
)
from hub.gather.schemas import ContributionInputSchema, check_about_you
from hub.gather.services import (
    count_contributions,
    get_or_create_participant,
    list_contributions,
    list_wards,
)
from hub.gather.values import VALUES, find_value
from hub.moderation.models import Criticality
from hub.moderation.services import (
    ASSISTED_CHANNELS,
    NOTE_LENGTH,
    UPDATE_STAGES,
    AssistedEntry,
    StaffToolError,
    close_escalation,
    enter_for_someone,
    escalate,
    escalations,
    set_criticality,
    triage_for,
    triage_of,
    update_stage,
)
from hub.residents.links import issue_private_link
from hub.staff.auth import not_found, signed_in_staff, staff_required
from hub.staff.models import Role, StaffUser
from hub.themes.services import list_themes
from hubnet.db import get_session

pages = Blueprint("moderation", __name__, url_prefix="/staff")

MODERATORS = (Role.MODERATOR.value,)
UPDATERS = (Role.MODERATOR.value, Role.RESPONDER.value)
ENTERERS = (Role.MODERATOR.value, Role.FACILITATOR.value)
PAGE_SIZE = 25
SAME_PERSON = "assisted_participant"  # session: whose items a facilitator is entering


@pages.app_template_global("ward_label")
def ward_label(code: str | None) -> str:
    """A ward as staff read it: "Ardwick (E05011235)"; the bare code if it is no longer listed."""
    if not code:
        return "Not given"
    ward = get_session().get(Ward, code)
    return f"{ward.name} ({code})" if ward is not None else code


STAGE_WORDS = {
    "raised": "Raised",
    "published": "Published",
    "routed": "Passed to the people who can act on it",
    "responded": "Responded to",
    "change-planned": "Change planned",
    "change-made": "Change made",
    "closed": "Closed",
}
STAGE_HINTS = {
    "routed": "It has been passed to the service or team that can act on it.",
    "responded": "The service has answered. Put their response in the note.",
    "change-planned": "Something will change because of it. Say what, and when if known.",
    "change-made": "Something has changed because of it. Say what.",
    "closed": "Nothing more will happen. The note must say why.",
}
KIND_WORDS = {
    "idea": "An idea",
    "concern": "A concern",
    "question": "A question",
    "experience": "An experience",
}
CHANNEL_WORDS = {
    "paper": "On paper (a form or a letter)",
    "phone": "By phone",
    "event": "At an event or meeting",
    "email": "By email",
}
STATUS_COLOURS = {"pending": "blue", "published": "green", "rejected": "red", "removed": "grey"}
CRITICALITY_COLOURS = {"low": "grey", "medium": "yellow", "high": "red"}
ABOUT_YOU_LABELS = {
    "age_band": "Age group",
    "ethnic_group": "Ethnic group",
    "disability": "Disabled",
    "unpaid_carer": "Unpaid carer",
    "urban_rural": "Town, city or countryside",
}


def _labels() -> dict[str, Any]:
    """Words every page here uses."""
    return {
        "stage_words": STAGE_WORDS,
        "kind_words": KIND_WORDS,
        "channel_words": {"online": "Online", **CHANNEL_WORDS},
        "status_colours": STATUS_COLOURS,
        "criticality_colours": CRITICALITY_COLOURS,
        "find_value": find_value,
    }


def _open_reports(db: Session, target: Contribution | Comment) -> list[Report]:
    column = Report.contribution_id if isinstance(target, Contribution) else Report.comment_id
    query = select(Report).where(column == target.id, Report.resolved_at.is_(None))
    return list(db.scalars(query.order_by(Report.created_at, Report.id)))


def _value_options() -> list[dict[str, str]]:
    return [{"value": v.code, "text": v.title, "hint": v.plain_english} for v in VALUES]


# -- the queue ------------------------------------------------------------------------------


@pages.get("/moderation")
@staff_required(*MODERATORS)
def queue() -> str:
    """Items and comments waiting for a decision; reported and hidden ones."""
    db = get_session()
    items = decide.pending_contributions(db)
    comments = decide.pending_comments(db)
    reported = decide.reported(db)
    item_ids = [c.id for c in items] + [
        r.target.id for r in reported if isinstance(r.target, Contribution)
    ]
    return render_template(
        "moderation/queue.html",
        items=items,
        comments=comments,
        reported=reported,
        triage=triage_for(db, item_ids),
        open_escalations=len(escalations(db)),
        is_item=lambda target: isinstance(target, Contribution),
        **_labels(),
    )


# -- one item ---------------------------------------------------------------------------------


def _item_page(
    contribution: Contribution,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    page = render_template(
        "moderation/item.html",
        c=contribution,
        triage=triage_of(db, contribution),
        reports=_open_reports(db, contribution),
        events=timeline(db, contribution, public_only=False),
        value_options=_value_options(),
        criticalities=[("", "Not set")] + [(c.value, c.value.capitalize()) for c in Criticality],
        errors=errors or {},
        values=values or {},
        note_length=NOTE_LENGTH,
        **_labels(),
    )
    return Response(page, status=status)


@pages.get("/moderation/items/<int:contribution_id>")
@staff_required(*MODERATORS)
def item(contribution_id: int) -> Response:
    """One item: what it says, its reports, its history, and the decisions to take."""
    contribution = get_session().get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    return _item_page(contribution)


def _item_action(contribution_id: int, action: str) -> BaseResponse:
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    me = signed_in_staff()
    form = {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}
    try:
        message = _do_item_action(db, contribution, action, form, me)
    except (StaffToolError, ValidationError, ValueError) as error:
        db.rollback()
        contribution = db.get(Contribution, contribution_id)
        assert contribution is not None
        return _item_page(contribution, _errors(error, action), form, 400)
    db.commit()
    flash(message)
    if action in ("publish", "reject") and request.form.get("next") == "queue":
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.item", contribution_id=contribution_id))


def _errors(error: Exception, action: str) -> dict[str, list[str]]:
    if isinstance(error, StaffToolError):
        return {error.field: [str(error)]}
    if isinstance(error, ValidationError) and isinstance(error.messages, dict):
        return {
            str(field): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in error.messages.items()
        }
    field = {"reject": "value", "remove": "remove_value"}.get(action, "value")
    return {field: ["Choose the value or rule it breaks"]}


def _do_item_action(
    db: Session, c: Contribution, action: str, form: dict[str, str], me: StaffUser
) -> str:
    """Carry out one decision on an item; returns the message for the moderator."""
    if action == "publish":
        if c.status is Status.PUBLISHED:
            raise StaffToolError("publish", "It is already published")
        decide.publish_contribution(db, c, me)
        return f"Published “{c.title}”."
    if action == "reject":
        value = form.get("value", "")
        if find_value(value) is None:
            raise StaffToolError("value", "Choose the value or rule it breaks")
        if c.status is not Status.PENDING:
            raise StaffToolError("value", "Only an item waiting for moderation can be rejected")
        decide.reject_contribution(db, c, me, value, _checked_note(form.get("note"), "note"))
        return f"Rejected “{c.title}”. The author is told which value it breaks."
    if action == "edit":
        decide.edit_contribution(db, c, me, form.get("title", ""), form.get("body", ""))
        return "Saved the edited words. The earlier words are not kept."
    if action == "restore":
        if c.status is not Status.PUBLISHED:
            raise StaffToolError("restore", "Only a published item can be restored")
        decide.restore(db, c, me)
        return "Restored: it is on show again and its reports are closed."
    if action == "remove":
        value = form.get("remove_value", "")
        if find_value(value) is None:
            raise StaffToolError("remove_value", "Choose the value or rule it breaks")
        if c.status is not Status.PUBLISHED:
            raise StaffToolError("remove_value", "Only a published item can be removed")
        decide.remove(db, c, me, value, _checked_note(form.get("remove_note"), "remove_note"))
        return "Removed. It is no longer on show, and the author is told why."
    if action == "criticality":
        changed = set_criticality(db, c, form.get("criticality", ""), me)
        return "Criticality saved." if changed else "Criticality unchanged."
    if action == "escalate":
        escalate(db, c, form.get("escalation_note", ""), me)
        return "Escalated as a safeguarding concern. It is on the escalations list."
    if action == "close-escalation":
        close_escalation(db, c, form.get("closing_note", ""), me)
        return "Escalation closed."
    raise AssertionError(action)


def _checked_note(note: str | None, field: str) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_LENGTH:
        raise StaffToolError(field, f"Use {NOTE_LENGTH:,} characters or fewer")
    return text or None


@pages.post("/moderation/items/<int:contribution_id>/publish")
@staff_required(*MODERATORS)
def item_publish(contribution_id: int) -> BaseResponse:
    """Publish an item."""
    return _item_action(contribution_id, "publish")


@pages.post("/moderation/items/<int:contribution_id>/reject")
@staff_required(*MODERATORS)
def item_reject(contribution_id: int) -> BaseResponse:
    """Reject an item, naming the value it breaks (the author is told)."""
    return _item_action(contribution_id, "reject")


@pages.post("/moderation/items/<int:contribution_id>/edit")
@staff_required(*MODERATORS)
def item_edit(contribution_id: int) -> BaseResponse:
    """Save the item's words with personal details taken out."""
    return _item_action(contribution_id, "edit")


@pages.post("/moderation/items/<int:contribution_id>/restore")
@staff_required(*MODERATORS)
def item_restore(contribution_id: int) -> BaseResponse:
    """Show a reported or hidden item again; its reports are closed."""
    return _item_action(contribution_id, "restore")


@pages.post("/moderation/items/<int:contribution_id>/remove")
@staff_required(*MODERATORS)
def item_remove(contribution_id: int) -> BaseResponse:
    """Take a published item down, naming the value it breaks."""
    return _item_action(contribution_id, "remove")


@pages.post("/moderation/items/<int:contribution_id>/criticality")
@staff_required(*MODERATORS)
def item_criticality(contribution_id: int) -> BaseResponse:
    """Set how critical an item is (staff only)."""
    return _item_action(contribution_id, "criticality")


@pages.post("/moderation/items/<int:contribution_id>/escalate")
@staff_required(*MODERATORS)
def item_escalate(contribution_id: int) -> BaseResponse:
    """Flag a safeguarding concern, with a note."""
    return _item_action(contribution_id, "escalate")


@pages.post("/moderation/items/<int:contribution_id>/close-escalation")
@staff_required(*MODERATORS)
def item_close_escalation(contribution_id: int) -> BaseResponse:
    """Close a safeguarding escalation with a note of what was done."""
    return _item_action(contribution_id, "close-escalation")


# -- one comment ------------------------------------------------------------------------------


def _comment_page(
    comment: Comment,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    page = render_template(
        "moderation/comment.html",
        comment=comment,
        reports=_open_reports(get_session(), comment),
        value_options=_value_options(),
        errors=errors or {},
        values=values or {},
        **_labels(),
    )
    return Response(page, status=status)


@pages.get("/moderation/comments/<int:comment_id>")
@staff_required(*MODERATORS)
def comment(comment_id: int) -> Response:
    """One comment: what it says, the item it is on, its reports, and the decisions."""
    found = get_session().get(Comment, comment_id)
    if found is None:
        return not_found()
    return _comment_page(found)


def _comment_action(comment_id: int, action: str) -> BaseResponse:
    db = get_session()
    found = db.get(Comment, comment_id)
    if found is None:
        return not_found()
    me = signed_in_staff()
    form = {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}
    try:
        message = _do_comment_action(db, found, action, form, me)
    except (StaffToolError, ValidationError, ValueError) as error:
        db.rollback()
        found = db.get(Comment, comment_id)
        assert found is not None
        return _comment_page(found, _errors(error, action), form, 400)
    db.commit()
    flash(message)
    if action in ("publish", "reject") and request.form.get("next") == "queue":
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.comment", comment_id=comment_id))


def _do_comment_action(
    db: Session, comment: Comment, action: str, form: dict[str, str], me: StaffUser
) -> str:
    if action == "publish":
        if comment.status is Status.PUBLISHED:
            raise StaffToolError("publish", "It is already published")
        decide.publish_comment(db, comment, me)
        return "Published the comment."
    if action == "reject":
        value = form.get("value", "")
        if find_value(value) is None:
            raise StaffToolError("value", "Choose the value or rule it breaks")
        if comment.status is not Status.PENDING:
            raise StaffToolError("value", "Only a comment waiting for moderation can be rejected")
        decide.reject_comment(db, comment, me, value)
        return "Rejected the comment."
    if action == "edit":
        decide.edit_comment(db, comment, me, form.get("body", ""))
        return "Saved the edited comment. The earlier words are not kept."
    if action == "restore":
        if comment.status is not Status.PUBLISHED:
            raise StaffToolError("restore", "Only a published comment can be restored")
        decide.restore(db, comment, me)
        return "Restored: the comment is on show again and its reports are closed."
    if action == "remove":
        value = form.get("remove_value", "")
        if find_value(value) is None:
            raise StaffToolError("remove_value", "Choose the value or rule it breaks")
        if comment.status is not Status.PUBLISHED:
            raise StaffToolError("remove_value", "Only a published comment can be removed")
        decide.remove(db, comment, me, value)
        return "Removed the comment."
    raise AssertionError(action)


@pages.post("/moderation/comments/<int:comment_id>/publish")
@staff_required(*MODERATORS)
def comment_publish(comment_id: int) -> BaseResponse:
    """Publish a comment."""
    return _comment_action(comment_id, "publish")


@pages.post("/moderation/comments/<int:comment_id>/reject")
@staff_required(*MODERATORS)
def comment_reject(comment_id: int) -> BaseResponse:
    """Reject a comment, naming the value it breaks."""
    return _comment_action(comment_id, "reject")


@pages.post("/moderation/comments/<int:comment_id>/edit")
@staff_required(*MODERATORS)
def comment_edit(comment_id: int) -> BaseResponse:
    """Save the comment with personal details taken out."""
    return _comment_action(comment_id, "edit")


@pages.post("/moderation/comments/<int:comment_id>/restore")
@staff_required(*MODERATORS)
def comment_restore(comment_id: int) -> BaseResponse:
    """Show a reported or hidden comment again."""
    return _comment_action(comment_id, "restore")


@pages.post("/moderation/comments/<int:comment_id>/remove")
@staff_required(*MODERATORS)
def comment_remove(comment_id: int) -> BaseResponse:
    """Take a published comment down."""
    return _comment_action(comment_id, "remove")


# -- escalations ------------------------------------------------------------------------------


@pages.get("/escalations")
@staff_required(*MODERATORS)
def escalations_page() -> str:
    """Open safeguarding escalations, oldest first, and the most recently closed."""
    db = get_session()
    return render_template(
        "moderation/escalations.html",
        open_rows=escalations(db),
        closed_rows=escalations(db, open_only=False, limit=50),
        **_labels(),
    )


# -- public status updates --------------------------------------------------------------------


@pages.get("/updates")
@staff_required(*UPDATERS)
def updates() -> str:
    """Published items to update, filtered by stage and words, newest first."""
    db = get_session()
    stage = request.args.get("stage") or None
    if stage not in STAGE_WORDS:
        stage = None
    q = (request.args.get("q") or "").strip()[:200] or None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = count_contributions(db, stage=stage, q=q)
    items = list_contributions(db, stage=stage, q=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "moderation/updates.html",
        items=items,
        triage=triage_for(db, [i.contribution.id for i in items]),
        stage=stage or "",
        q=q or "",
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        stage_options=[("", "Any stage")]
        + [(s.value, STAGE_WORDS[s.value]) for s in Stage if s is not Stage.RAISED],
        **_labels(),
    )


def _update_page(
    contribution: Contribution,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    page = render_template(
        "moderation/update.html",
        c=contribution,
        events=timeline(db, contribution),
        stage_options=[
            {"value": s.value, "text": STAGE_WORDS[s.value], "hint": STAGE_HINTS[s.value]}
            for s in UPDATE_STAGES
        ],
        errors=errors or {},
        values=values or {},
        note_length=NOTE_LENGTH,
        **_labels(),
    )
    return Response(page, status=status)


@pages.get("/updates/<int:contribution_id>")
@staff_required(*UPDATERS)
def update_page(contribution_id: int) -> Response:
    """One published item's public timeline and the form to add a status update."""
    contribution = get_session().get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    return _update_page(contribution)


@pages.post("/updates/<int:contribution_id>")
@staff_required(*UPDATERS)
def update_submit(contribution_id: int) -> BaseResponse:
    """Move the item to a new public stage with a public note (followers are emailed)."""
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    values = {"stage": request.form.get("stage", ""), "note": request.form.get("note", "")}
    try:
        update_stage(db, contribution, values["stage"], values["note"], signed_in_staff())
    except StaffToolError as error:
        db.rollback()
        contribution = db.get(Contribution, contribution_id)
        assert contribution is not None
        return _update_page(contribution, {error.field: [str(error)]}, values, 400)
    db.commit()
    flash(f"Updated: “{STAGE_WORDS[contribution.stage.value]}” is on the item's public timeline.")
    return redirect(url_for("moderation.update_page", contribution_id=contribution_id))


# -- assisted digital -------------------------------------------------------------------------

ASSISTED_FIELDS = ("channel", "kind", "theme", "ward_code", "title", "body")
ERROR_FIELDS = {"ward": "ward_code", **{f"about_you.{n}": f"about_{n}" for n in ABOUT_YOU}}
ERROR_ORDER = (
    *("channel", "consent", "kind", "theme", "ward_code", "title", "body"),
    *(f"about_{n}" for n in ABOUT_YOU),
    "quote_consent",
)


def _about_you_questions() -> list[dict[str, Any]]:
    questions = []
    for name in ABOUT_YOU:
        options = [("", "Not asked or not answered")]
        options += [
            (category.code, category.label)
            for category in CHARACTERISTICS[name].categories
            if category.code != "not-stated"
        ]
        options.append((PREFER_NOT_TO_SAY, "Prefer not to say"))
        questions.append(
            {"field": f"about_{name}", "label": ABOUT_YOU_LABELS[name], "options": options}
        )
    return questions


def _same_person() -> str | None:
    """The person a facilitator is entering more items for, if they asked to."""
    wanted = request.values.get("same_person") == "1"
    participant_id = session.get(SAME_PERSON)
    return participant_id if wanted and isinstance(participant_id, str) else None


def _assisted_page(values: dict[str, Any], errors: dict[str, list[str]], status: int) -> Response:
    db = get_session()
    me = signed_in_staff()
    ordered = {field: errors[field] for field in ERROR_ORDER if field in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    page = render_template(
        "moderation/assisted.html",
        values=values,
        errors=ordered,
        channels=[(c.value, CHANNEL_WORDS[c.value]) for c in ASSISTED_CHANNELS],
        kinds=[(k.value, KIND_WORDS[k.value]) for k in Kind],
        themes=[("", "Choose a theme")] + [(t.slug, t.name) for t in list_themes(db)],
        wards=[("", "Not given")] + [(w.code, w.name) for w in list_wards(db)],
        about_you=_about_you_questions(),
        same_person=_same_person() is not None,
        publishes=_publishes(me),
    )
    return Response(page, status=status)


def _publishes(me: StaffUser) -> bool:
    """Moderators' entries go on show at once; a facilitator's follow the hub's moderation."""
    return me.may(*MODERATORS) or decide.publishes_at_once()


@pages.get("/assisted")
@staff_required(*ENTERERS)
def assisted() -> Response:
    """The form to enter what someone said on paper, by phone, at an event or by email."""
    return _assisted_page({}, {}, 200)


@pages.post("/assisted")
@staff_required(*ENTERERS)
def assisted_submit() -> Response:
    """Store the item with its channel and the person's consent; show their private link."""
    db = get_session()
    me = signed_in_staff()
    form = request.form
    values: dict[str, Any] = {field: form.get(field, "") for field in ASSISTED_FIELDS}
    about = {name: form.get(f"about_{name}", "") for name in ABOUT_YOU}
    values.update({f"about_{name}": answer for name, answer in about.items()})
    values["consent"] = form.get("consent") == "yes"
    values["quote_consent"] = form.get("quote_consent") == "yes"
    entry = AssistedEntry(
        channel=values["channel"],
        kind=values["kind"],
        title=values["title"],
        body=values["body"],
        theme_slug=values["theme"],
        ward_code=values["ward_code"] or None,
        about_you={name: answer for name, answer in about.items() if answer},
        consent=values["consent"],
        quote_consent=values["quote_consent"],
    )
    errors: dict[str, list[str]] = {}
    if not entry.consent:
        errors["consent"] = [
            "Confirm the person agreed to what they said being put on the hub, or do not enter it"
        ]
    if entry.channel not in CHANNEL_WORDS:
        errors["channel"] = ["Choose how the person gave it: paper, phone, event or email"]
    if errors:  # name every other mistake too, so the form is corrected in one go
        raw = {
            "kind": entry.kind,
            "title": entry.title,
            "body": entry.body,
            "theme": entry.theme_slug,
        }
        found = ContributionInputSchema().validate(raw)
        found.update(check_about_you(dict(entry.about_you))[1])
        for field, messages in found.items():
            errors.setdefault(ERROR_FIELDS.get(field, field), [str(m) for m in messages])
        return _assisted_page(values, errors, 400)
    same = _same_person()
    participant = get_or_create_participant(db, same)
    try:
        contribution = enter_for_someone(
            db, entry, participant=participant, staff=me, publish=_publishes(me)
        )
    except (ValidationError, StaffToolError) as error:
        db.rollback()
        for field, messages in _errors(error, "assisted").items():
            errors.setdefault(ERROR_FIELDS.get(field, field), list(messages))
        return _assisted_page(values, errors, 400)
    # A private link for the person to see, change or delete what they said; for a second item
    # from the same person their first link already covers it (a new one would replace it).
    link = None if same == participant.id else issue_private_link(db, participant)
    db.commit()
    session[SAME_PERSON] = participant.id
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    page = render_template(
        "moderation/assisted_done.html",
        c=contribution,
        link=None if link is None else urljoin(str(base).rstrip("/") + "/", link.lstrip("/")),
        **_labels(),
    )
    return Response(page, status=200)
