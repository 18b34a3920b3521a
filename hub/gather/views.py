"""Gather pages (home, raise journey, browse, item, values, about) and the JSON API.

A person is a random participant id in the signed session cookie; it is only
written to the cookie once something they sent has been stored. What is on
show is what moderation allows: published and not hidden (`Contribution.public`);
the author may still open their own item while it waits for a moderator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.gather import journey
from hub.gather.events import timeline
from hub.gather.models import (
    ABOUT_YOU,
    PREFER_NOT_TO_SAY,
    Comment,
    Contribution,
    ContributionEvent,
    Kind,
    Participant,
    Stage,
    Status,
    Ward,
)
from hub.gather.moderation import AlreadyReported, publishes_at_once, report
from hub.gather.schemas import (
    API_FIELDS,
    ERROR_ORDER,
    ListQuerySchema,
    comment_json,
    contribution_json,
)
from hub.gather.services import (
    ALREADY_SUPPORTED,
    AlreadySupported,
    ContributionNotFound,
    OwnContribution,
    SupportRefused,
    add_comment,
    count_contributions,
    get_contribution,
    get_or_create_participant,
    has_supported,
    list_contributions,
    list_wards,
    pending_comments_of,
    public_comments,
    raise_contribution,
    support_contribution,
)
from hub.gather.values import VALUES, find_value
from hub.limits import limit
from hub.staff.auth import not_found
from hub.themes.services import find_theme, list_themes
from hubnet.db import get_session
from hubnet.problems import problem, validation_problem

pages = Blueprint("gather", __name__)
api = Blueprint("gather_api", __name__, url_prefix="/api/v1")

PAGE_SIZE = 20
MAX_ID = 2**31 - 1  # ids are 32-bit in the database (PostgreSQL refuses a larger number)
NUL_TEXT = "Remove the NUL character (\\u0000) from the text"
PARTICIPANT = "participant_id"
RAISED = "raised_item"  # session: the item just sent and its private link, shown once

KIND_LABELS = {
    "idea": "An idea",
    "concern": "A concern",
    "question": "A question",
    "experience": "An experience",
}
KIND_HINTS = {
    "idea": "Something that would make a service better.",
    "concern": "Something that worries you about a service.",
    "question": "Something you would like a service to answer.",
    "experience": "Something that happened to you or someone you care for, good or bad.",
}
STAGE_LABELS = {
    "raised": "Raised",
    "published": "Published",
    "routed": "Passed to the people who can act on it",
    "responded": "Responded to",
    "change-planned": "Change planned",
    "change-made": "Change made",
    "closed": "Closed",
}
STAGE_COLOURS = {
    "raised": "grey",
    "published": "blue",
    "routed": "purple",
    "responded": "aqua-green",
    "change-planned": "yellow",
    "change-made": "green",
    "closed": "grey",
}
ABOUT_YOU_QUESTIONS = {
    "age_band": ("How old are you?", "Choose the group your age is in."),
    "ethnic_group": ("What is your ethnic group?", "The groups used by the 2021 Census."),
    "disability": (
        "Are you disabled?",
        "Disabled means you have a physical or mental health condition or illness that has "
        "lasted, or is expected to last, 12 months or more and reduces your ability to carry "
        "out day-to-day activities.",
    ),
    "unpaid_carer": (
        "Do you look after someone without being paid?",
        "For example a family member, friend or neighbour with a long-term illness or "
        "disability, or problems related to old age.",
    ),
    "urban_rural": (
        "Do you live in a town or city, or in the countryside?",
        "Choose the one closest to where you live.",
    ),
}


def _participant(db: Session) -> Participant:
    return get_or_create_participant(db, session.get(PARTICIPANT))


def _remember(participant: Participant) -> None:
    session[PARTICIPANT] = participant.id
    session.permanent = True


def _in_form_order(errors: Mapping[str, Any]) -> dict[str, Any]:
    ranked = sorted(
        errors, key=lambda f: ERROR_ORDER.index(f) if f in ERROR_ORDER else len(ERROR_ORDER)
    )
    return {field: errors[field] for field in ranked}


@pages.app_context_processor
def _gather_labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "stage_labels": STAGE_LABELS,
        "stage_colours": STAGE_COLOURS,
        "find_value": find_value,
    }


# -- home, values, about -----------------------------------------------------------------


@pages.get("/")
def home() -> str:
    """The hub's front page: what happens to what you say, top issues, recent responses."""
    db = get_session()
    top = list_contributions(db, limit=5, order="supporters")
    responses = db.execute(
        select(ContributionEvent, Contribution)
        .join(Contribution, ContributionEvent.contribution_id == Contribution.id)
        .where(
            ContributionEvent.public.is_(True),
            ContributionEvent.note.is_not(None),
            Contribution.status == Status.PUBLISHED,
            Contribution.hidden_at.is_(None),
        )
        .order_by(ContributionEvent.created_at.desc(), ContributionEvent.id.desc())
        .limit(5)
    ).all()
    return render_template(
        "gather/home.html", top=top, responses=responses, post_moderation=publishes_at_once()
    )


@pages.get("/values")
def values_page() -> str:
    """The hub's values and behaviours, and the rules moderators apply."""
    return render_template(
        "pages/values.html",
        values=[v for v in VALUES if not v.rule],
        rules=[v for v in VALUES if v.rule],
        post_moderation=publishes_at_once(),
    )


@pages.get("/about")
def about_page() -> str:
    """What happens to what you say, in plain English."""
    return render_template("pages/about.html", post_moderation=publishes_at_once())


# -- the raise journey -------------------------------------------------------------------


def _steps(db: Session) -> list[journey.Step]:
    has_wards = db.scalar(select(Ward.code).limit(1)) is not None
    return journey.steps_for(has_wards)


@pages.get("/raise")
def raise_start() -> str:
    """The start page: what you will be asked, and what happens next."""
    return render_template(
        "gather/raise_start.html",
        steps=_steps(get_session()),
        post_moderation=publishes_at_once(),
    )


def _step_page(
    db: Session,
    step: journey.Step,
    steps: list[journey.Step],
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    status: int,
) -> Response:
    index = [s.slug for s in steps].index(step.slug)
    back = (
        url_for("gather.raise_start")
        if index == 0
        else url_for("gather.raise_step", step=steps[index - 1].slug)
    )
    if request.args.get("change"):
        back = url_for("gather.raise_check")
    page = render_template(
        f"gather/raise_{step.slug.replace('-', '_')}.html",
        step=step,
        number=index + 1,
        total=len(steps),
        back=back,
        change=bool(request.args.get("change")),
        values=values,
        errors=_in_form_order(errors),
        kinds=[
            {"value": k.value, "text": KIND_LABELS[k.value], "hint": KIND_HINTS[k.value]}
            for k in Kind
        ],
        themes=list_themes(db),
        wards=list_wards(db),
        hub_values=[v for v in VALUES if not v.rule],
        about_you=[CHARACTERISTICS[name] for name in ABOUT_YOU],
        questions=ABOUT_YOU_QUESTIONS,
        prefer_not_to_say=PREFER_NOT_TO_SAY,
    )
    return Response(page, status=status)


def _find_step(slug: str) -> tuple[journey.Step, list[journey.Step]]:
    db = get_session()
    steps = _steps(db)
    step = next((s for s in steps if s.slug == slug), None)
    if step is None:
        abort(404)
    return step, steps


def _earlier_missing(step: journey.Step, steps: list[journey.Step]) -> BaseResponse | None:
    """A redirect to the first unanswered step before this one, if there is one."""
    missing = journey.first_missing(journey.draft(get_session()), steps)
    if missing is None:
        return None
    slugs = [s.slug for s in steps]
    if slugs.index(missing.slug) < slugs.index(step.slug):
        return redirect(url_for("gather.raise_step", step=missing.slug))
    return None


@pages.get("/raise/<step>")
def raise_step(step: str) -> BaseResponse:
    """One question of the raise journey."""
    found, steps = _find_step(step)
    earlier = _earlier_missing(found, steps)
    if earlier is not None:
        return earlier
    return _step_page(get_session(), found, steps, journey.draft(get_session()), {}, 200)


@pages.post("/raise/<step>")
def raise_step_submit(step: str) -> BaseResponse:
    """Keep this question's answer in the draft and go on, or show what to fix."""
    found, steps = _find_step(step)
    earlier = _earlier_missing(found, steps)
    if earlier is not None:
        return earlier
    db = get_session()
    answers, errors = journey.check_step(db, found.slug, request.form)
    if errors:
        return _step_page(
            db, found, steps, {**journey.draft(get_session()), **answers}, errors, 400
        )
    journey.save(db, answers, found.slug)
    db.commit()
    missing = journey.first_missing(journey.draft(db), steps)
    if missing is None:
        return redirect(url_for("gather.raise_check"))
    return redirect(url_for("gather.raise_step", step=missing.slug))


def _check_rows(db: Session, draft: Mapping[str, Any], steps: list[journey.Step]) -> list[Any]:
    """(question, answer lines, step slug, hidden label) for the check-your-answers list."""
    theme = find_theme(db, draft.get("theme", "")) if draft.get("theme") else None
    rows: list[tuple[str, list[str], str, str]] = [
        ("What you are raising", [KIND_LABELS.get(draft.get("kind", ""), "")], "kind", "kind"),
        ("Theme", [theme.name if theme else ""], "theme", "theme"),
        ("Title", [draft.get("title", "")], "details", "title"),
        ("Details", [draft.get("body", "")], "details", "details"),
    ]
    if any(s.slug == "ward" for s in steps):
        ward = db.get(Ward, draft["ward"]) if draft.get("ward") else None
        rows.append(("Ward", [ward.name if ward else "Not given"], "ward", "ward"))
    rows.append(("Our values", ["You agreed to keep to them"], "values", "your agreement"))
    answers = []
    for name in ABOUT_YOU:
        code = draft.get(name) or ""
        if not code:
            continue
        if code == PREFER_NOT_TO_SAY:
            label = "Prefer not to say"
        else:
            label = next(
                (c.label for c in CHARACTERISTICS[name].categories if c.code == code), code
            )
        answers.append(f"{ABOUT_YOU_QUESTIONS[name][0]} {label}")
    rows.append(("About you", answers or ["Not answered"], "about-you", "about you"))
    consent = "Yes" if draft.get("quote_consent") == "yes" else "No"
    rows.append(("Share a quote nationally", [consent], "consent", "quote sharing"))
    return rows


@pages.get("/raise/check")
def raise_check() -> BaseResponse | str:
    """Check your answers before sending, with a change link for each."""
    db = get_session()
    steps = _steps(db)
    draft = journey.draft(get_session())
    missing = journey.first_missing(draft, steps)
    if missing is not None:
        return redirect(url_for("gather.raise_step", step=missing.slug))
    return render_template(
        "gather/raise_check.html",
        rows=_check_rows(db, draft, steps),
        back=url_for("gather.raise_step", step=steps[-1].slug),
        errors={},
        post_moderation=publishes_at_once(),
    )


@pages.post("/raise/check")
@limit("raise")
def raise_send() -> BaseResponse:
    """Store the item from the draft, then show what happens next."""
    db = get_session()
    steps = _steps(db)
    draft = journey.draft(get_session())
    missing = journey.first_missing(draft, steps)
    if missing is not None:
        return redirect(url_for("gather.raise_step", step=missing.slug))
    publish = publishes_at_once()
    try:
        participant = _participant(db)
        contribution = raise_contribution(
            db,
            participant=participant,
            kind=draft.get("kind", ""),
            title=draft.get("title", ""),
            body=draft.get("body", ""),
            theme_slug=draft.get("theme", ""),
            ward_code=draft.get("ward") or None,
            about_you={name: draft.get(name, "") for name in ABOUT_YOU},
            quote_consent=draft.get("quote_consent") == "yes",
            publish=publish,
        )
    except ValidationError as error:
        db.rollback()
        # Something changed since the step was answered (a theme or ward was retired).
        errors = _in_form_order(error.messages_dict)
        page = render_template(
            "gather/raise_check.html",
            rows=_check_rows(db, draft, steps),
            back=url_for("gather.raise_step", step=steps[-1].slug),
            errors=errors,
            post_moderation=publish,
        )
        return Response(page, status=400)
    from hub.residents.links import issue_private_link  # residents builds on gather

    link = issue_private_link(db, participant)
    journey.forget(db)
    db.commit()
    _remember(participant)
    session[RAISED] = {"id": contribution.id, "link": link, "published": publish}
    return redirect(url_for("gather.raised"))


@pages.get("/raise/done")
def raised() -> BaseResponse | str:
    """Confirmation: what happens next, and the private link (shown this once)."""
    sent = session.pop(RAISED, None)
    if not sent:
        return redirect(url_for("gather.raise_start"))
    item = get_contribution(get_session(), int(sent["id"]))
    if item is None:
        return redirect(url_for("gather.raise_start"))
    return render_template(
        "gather/raised.html",
        item=item,
        private_link=(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
        + sent["link"],
        published=sent["published"],
    )


# -- browse and items --------------------------------------------------------------------


@pages.get("/contributions")
def contributions_page() -> str:
    """Everything on show, newest first: search, filters and pages."""
    db = get_session()
    q = (request.args.get("q") or "").strip()[:200] or None
    theme = request.args.get("theme") or None
    if theme is not None and find_theme(db, theme) is None:
        theme = None
    kind = request.args.get("kind") or None
    if kind not in {k.value for k in Kind}:
        kind = None
    stage = request.args.get("stage") or None
    if stage not in {s.value for s in Stage}:
        stage = None
    filters = {"q": q, "theme": theme, "kind": kind, "stage": stage}
    total = count_contributions(db, q=q, theme=theme, kind=kind, stage=stage)
    pages_total = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages_total)
    items = list_contributions(
        db,
        q=q,
        theme=theme,
        kind=kind,
        stage=stage,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render_template(
        "gather/contributions.html",
        items=items,
        total=total,
        page=page,
        pages_total=pages_total,
        filters=filters,
        query_args={name: value for name, value in filters.items() if value},
        themes=list_themes(db),
        kinds=list(Kind),
        stages=list(Stage),
    )


def _item_page(
    db: Session,
    contribution_id: int,
    *,
    comment_errors: Mapping[str, list[str]] | None = None,
    comment_body: str = "",
    status: int = 200,
) -> Response:
    item = get_contribution(db, contribution_id)
    if item is None:
        return not_found()
    participant_id = session.get(PARTICIPANT)
    own = item.contribution.participant_id == participant_id
    if not item.contribution.public and not (own and item.contribution.status is Status.PENDING):
        return not_found()
    ward = db.get(Ward, item.contribution.ward_code) if item.contribution.ward_code else None
    page = render_template(
        "gather/contribution.html",
        item=item,
        own=own,
        ward=ward,
        supported=has_supported(db, contribution_id, participant_id),
        comments=public_comments(db, contribution_id),
        my_pending_comments=pending_comments_of(db, contribution_id, participant_id),
        events=timeline(db, item.contribution),
        errors=dict(comment_errors or {}),
        comment_body=comment_body,
        post_moderation=publishes_at_once(),
    )
    return Response(page, status=status)


@pages.get("/contributions/<int:contribution_id>")
def contribution_page(contribution_id: int) -> Response:
    """One item: "me too", comments, its timeline, and a way to report it."""
    return _item_page(get_session(), contribution_id)


@pages.post("/contributions/<int:contribution_id>/support")
@limit("support")
def support_submit(contribution_id: int) -> BaseResponse:
    """Count this person's "me too" once, then show the item again."""
    db = get_session()
    try:
        participant = _participant(db)
        support_contribution(db, contribution_id=contribution_id, participant=participant)
        db.commit()
    except ContributionNotFound:
        db.rollback()
        return not_found()
    except SupportRefused as refusal:
        db.rollback()
        flash(str(refusal))
    except IntegrityError:  # the same person's two clicks raced; the first one counted
        db.rollback()
        flash(ALREADY_SUPPORTED)
    else:
        _remember(participant)
        flash("Thank you. Your “me too” has been counted.", "success")
    return redirect(url_for("gather.contribution_page", contribution_id=contribution_id))


@pages.post("/contributions/<int:contribution_id>/comments")
@limit("comment")
def comment_submit(contribution_id: int) -> BaseResponse:
    """Add a comment (on show at once, or after a moderator has read it)."""
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None or not contribution.public:
        return not_found()
    body = request.form.get("body", "")
    publish = publishes_at_once()
    try:
        participant = _participant(db)
        add_comment(
            db, contribution=contribution, participant=participant, body=body, publish=publish
        )
    except ValidationError as error:
        db.rollback()
        return _item_page(
            db,
            contribution_id,
            comment_errors=error.messages_dict,
            comment_body=body,
            status=400,
        )
    db.commit()
    _remember(participant)
    if publish:
        flash("Thank you. Your comment is on the hub.", "success")
    else:
        flash("Thank you. Your comment will be shown once a moderator has read it.", "success")
    anchor = "comments"
    return redirect(
        url_for("gather.contribution_page", contribution_id=contribution_id, _anchor=anchor)
    )


def _report_target(db: Session, what: str, target_id: int) -> Contribution | Comment | None:
    target: Contribution | Comment | None = (
        db.get(Contribution, target_id) if what == "contribution" else db.get(Comment, target_id)
    )
    if target is None or not target.public:
        return None
    if isinstance(target, Comment) and not target.contribution.public:
        return None
    return target


def _report_page(
    target: Contribution | Comment,
    what: str,
    errors: Mapping[str, list[str]],
    reason: str,
    code: int,
) -> Response:
    contribution = target if isinstance(target, Contribution) else target.contribution
    page = render_template(
        "gather/report.html",
        target=target,
        what=what,
        contribution=contribution,
        errors=dict(errors),
        reason=reason,
        values=VALUES,
    )
    return Response(page, status=code)


@pages.get("/report/<any(contribution, comment):what>/<int:target_id>")
def report_form(what: str, target_id: int) -> Response:
    """Tell the moderators an item or comment breaks the values."""
    target = _report_target(get_session(), what, target_id)
    if target is None:
        return not_found()
    return _report_page(target, what, {}, "", 200)


@pages.post("/report/<any(contribution, comment):what>/<int:target_id>")
@limit("report")
def report_submit(what: str, target_id: int) -> BaseResponse:
    """Record the report; enough of them hide the thing until a moderator looks."""
    db = get_session()
    target = _report_target(db, what, target_id)
    if target is None:
        return not_found()
    reason = request.form.get("reason", "")
    if len(reason.strip()) > 1000:
        message = f"Use 1,000 characters or fewer (yours has {len(reason.strip()):,})"
        return _report_page(target, what, {"reason": [message]}, reason, 400)
    contribution = target if isinstance(target, Contribution) else target.contribution
    try:
        participant = _participant(db)
        report(db, participant=participant, target=target, reason=reason)
    except AlreadyReported as already:
        db.rollback()
        flash(str(already))
    else:
        db.commit()
        _remember(participant)
        flash("Thank you. A moderator will look at what you reported.", "success")
    if contribution.public:
        return redirect(url_for("gather.contribution_page", contribution_id=contribution.id))
    return redirect(url_for("gather.contributions_page"))


# -- JSON API ----------------------------------------------------------------------


def _nul_errors(values: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """A 400 message for each text holding a NUL character, which PostgreSQL cannot take."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            errors.update(_nul_errors(value, f"{prefix}{name}."))
        elif isinstance(value, str) and "\x00" in value:
            errors[f"{prefix}{name}"] = [NUL_TEXT]
    return errors


@api.post("/contributions")
@limit("raise")
def api_raise() -> Response:
    """Raise a contribution: JSON {kind, title, body, theme} → 201 with the item.

    Optional: `ward` (a ward code from /api/v1/wards), `about_you` {age_band,
    ethnic_group, disability, unpaid_carer, urban_rural}, each a category code
    or "prefer-not-to-say" (saved on the person; the latest answers win), and
    `quote_consent` (true or false, default false). A bad answer is a 400
    naming the field. The item's `status` says whether it waits for a
    moderator ("pending") or is on show ("published").
    """
    payload = request.get_json()  # a non-JSON body is refused with 415/400 by Flask
    if not isinstance(payload, dict):
        return problem(
            400,
            "validation-error",
            "The request is not valid",
            "Send a JSON object with kind, title, body and theme.",
        )
    errors: dict[str, Any] = {
        field: [
            "Unknown field; send only kind, title, body, theme, and optionally ward, about_you "
            "and quote_consent"
        ]
        for field in payload
        if field not in API_FIELDS
    }
    nul = _nul_errors(payload)
    if nul:
        return validation_problem(_in_form_order({**errors, **nul}))
    db = get_session()
    participant = _participant(db)
    try:
        contribution = raise_contribution(
            db,
            participant=participant,
            kind=payload.get("kind", ""),
            title=payload.get("title", ""),
            body=payload.get("body", ""),
            theme_slug=payload.get("theme", ""),
            ward_code=payload.get("ward"),
            about_you=payload.get("about_you"),
            quote_consent=payload.get("quote_consent", False),
            publish=publishes_at_once(),
        )
    except ValidationError as error:
        errors.update(error.messages_dict)
    if errors:
        db.rollback()
        return validation_problem(_in_form_order(errors))
    db.commit()
    _remember(participant)
    item = get_contribution(db, contribution.id)
    assert item is not None
    response = jsonify(contribution_json(item))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "gather.contribution_page", contribution_id=contribution.id
    )
    return response


@api.get("/contributions")
def api_list() -> Response:
    """List what is on show: ?q=&theme=<slug>&kind=&stage=&limit=1..100&offset=n."""
    nul = _nul_errors(request.args)
    if nul:
        return validation_problem(nul)
    try:
        query = ListQuerySchema().load(request.args)
    except ValidationError as error:
        return validation_problem(error.messages_dict)
    db = get_session()
    if query["theme"] is not None and find_theme(db, query["theme"]) is None:
        return validation_problem({"theme": ["No local theme has this slug; see /api/v1/themes"]})
    items = list_contributions(db, **query)
    filters = {name: query[name] for name in ("q", "theme", "kind", "stage")}
    return jsonify(
        items=[contribution_json(item) for item in items],
        total=count_contributions(db, **filters),
        limit=query["limit"],
        offset=query["offset"],
    )


def _no_such_contribution(contribution_id: int) -> Response:
    return problem(
        404,
        "not-found",
        "No such contribution",
        f"There is no contribution {contribution_id}.",
        errors=[{"field": "id", "reason": "no contribution has this id"}],
    )


def _visible(db: Session, contribution_id: int) -> Any:
    """The item with its count if this person may see it (on show, or their own), else None."""
    item = get_contribution(db, contribution_id)
    if item is None:
        return None
    own = item.contribution.participant_id == session.get(PARTICIPANT)
    if item.contribution.public or (own and item.contribution.status is Status.PENDING):
        return item
    return None


@api.before_request
def _no_such_id() -> Response | None:
    """An item id no item can have is a 404, as any missing item, not a database error."""
    contribution_id = (request.view_args or {}).get("contribution_id")
    if isinstance(contribution_id, int) and contribution_id > MAX_ID:
        return _no_such_contribution(contribution_id)
    return None


@api.get("/contributions/<int:contribution_id>")
def api_contribution(contribution_id: int) -> Response:
    """One contribution with its support count, status and stage."""
    item = _visible(get_session(), contribution_id)
    if item is None:
        return _no_such_contribution(contribution_id)
    return jsonify(contribution_json(item))


@api.post("/contributions/<int:contribution_id>/support")
@limit("support")
def api_support(contribution_id: int) -> Response:
    """Say "me too": 201 the first time; 409 if already counted or the item is your own."""
    db = get_session()
    participant = _participant(db)
    try:
        support_contribution(db, contribution_id=contribution_id, participant=participant)
        db.commit()
    except ContributionNotFound:
        db.rollback()
        return _no_such_contribution(contribution_id)
    except OwnContribution as refusal:
        db.rollback()
        return problem(409, "own-contribution", "You raised this contribution", str(refusal))
    except (AlreadySupported, IntegrityError):  # IntegrityError: two requests raced
        db.rollback()
        return problem(409, "already-supported", "Already counted", ALREADY_SUPPORTED)
    _remember(participant)
    item = get_contribution(db, contribution_id)
    assert item is not None
    response = jsonify(contribution_id=contribution_id, supporters=item.supporters)
    response.status_code = 201
    return response


@api.get("/contributions/<int:contribution_id>/comments")
def api_comments(contribution_id: int) -> Response:
    """The comments on show on an item, oldest first."""
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None or not contribution.public:
        return _no_such_contribution(contribution_id)
    return jsonify(items=[comment_json(c) for c in public_comments(db, contribution_id)])


@api.post("/contributions/<int:contribution_id>/comments")
@limit("comment")
def api_comment(contribution_id: int) -> Response:
    """Comment on an item: JSON {body} → 201 with the comment (its status says if it waits)."""
    payload = request.get_json()
    if not isinstance(payload, dict):
        return problem(
            400, "validation-error", "The request is not valid", "Send a JSON object with body."
        )
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None or not contribution.public:
        return _no_such_contribution(contribution_id)
    errors: dict[str, Any] = {
        field: ["Unknown field; send only body"] for field in payload if field != "body"
    }
    nul = _nul_errors(payload)
    if nul:
        return validation_problem({**errors, **nul})
    participant = _participant(db)
    try:
        comment = add_comment(
            db,
            contribution=contribution,
            participant=participant,
            body=payload.get("body", ""),
            publish=publishes_at_once(),
        )
    except ValidationError as error:
        errors.update(error.messages_dict)
    if errors:
        db.rollback()
        return validation_problem(errors)
    db.commit()
    _remember(participant)
    response = jsonify(comment_json(comment))
    response.status_code = 201
    return response


@api.get("/wards")
def api_wards() -> Response:
    """The hub's wards (code and name), for the optional `ward` of a contribution."""
    return jsonify(items=[{"code": w.code, "name": w.name} for w in list_wards(get_session())])
