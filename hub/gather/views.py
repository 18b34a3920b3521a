"""Gather pages (raise, browse, "me too") and the same actions as a JSON API.

A person is a random participant id in the signed session cookie; it is only
written to the cookie once something they sent has been stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.gather.models import ABOUT_YOU, PREFER_NOT_TO_SAY, Kind, Participant
from hub.gather.schemas import (
    API_FIELDS,
    ERROR_ORDER,
    FIELD_ORDER,
    ListQuerySchema,
    contribution_json,
)
from hub.gather.services import (
    ALREADY_SUPPORTED,
    AlreadySupported,
    ContributionNotFound,
    OwnContribution,
    SupportRefused,
    count_contributions,
    get_contribution,
    get_or_create_participant,
    has_supported,
    list_contributions,
    raise_contribution,
    support_contribution,
)
from hub.themes.services import find_theme, list_themes
from hubnet.db import get_session
from hubnet.problems import problem, validation_problem

pages = Blueprint("gather", __name__)
api = Blueprint("gather_api", __name__, url_prefix="/api/v1")

PAGE_SIZE = 20
PARTICIPANT = "participant_id"


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


# -- pages -----------------------------------------------------------------------


@pages.get("/")
def home() -> str:
    """The hub's front page: what happens to what you say, and what people raised lately."""
    recent = list_contributions(get_session(), limit=5)
    return render_template("gather/home.html", recent=recent)


def _raise_form(
    values: Mapping[str, str], errors: Mapping[str, list[str]], status: int
) -> Response:
    page = render_template(
        "gather/raise.html",
        values=values,
        errors=_in_form_order(errors),
        kinds=list(Kind),
        themes=list_themes(get_session()),
        about_you=[CHARACTERISTICS[name] for name in ABOUT_YOU],
        prefer_not_to_say=PREFER_NOT_TO_SAY,
    )
    return Response(page, status=status)


@pages.get("/raise")
def raise_form() -> Response:
    """The form for raising an idea, concern, question or experience."""
    return _raise_form({}, {}, 200)


@pages.post("/raise")
def raise_submit() -> BaseResponse:
    """Store the contribution and show it, or show the form again with what to fix."""
    values = {field: request.form.get(field, "") for field in (*FIELD_ORDER, *ABOUT_YOU)}
    values["quote_consent"] = request.form.get("quote_consent", "")
    db = get_session()
    try:
        participant = _participant(db)
        contribution = raise_contribution(
            db,
            participant=participant,
            kind=values["kind"],
            title=values["title"],
            body=values["body"],
            theme_slug=values["theme"],
            about_you={name: values[name] for name in ABOUT_YOU},
            quote_consent=values["quote_consent"] == "yes",
        )
    except ValidationError as error:
        db.rollback()
        return _raise_form(values, error.messages_dict, 400)
    db.commit()
    _remember(participant)
    flash(f"Thank you. Your {contribution.kind.value} is now on the hub.")
    return redirect(url_for("gather.contribution_page", contribution_id=contribution.id))


@pages.get("/contributions")
def contributions_page() -> str:
    """Everything people raised, newest first, filtered by theme and kind."""
    db = get_session()
    theme = request.args.get("theme") or None
    if theme is not None and find_theme(db, theme) is None:
        theme = None
    kind = request.args.get("kind") or None
    if kind not in {k.value for k in Kind}:
        kind = None
    total = count_contributions(db, theme=theme, kind=kind)
    pages_total = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages_total)
    items = list_contributions(
        db, theme=theme, kind=kind, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "gather/contributions.html",
        items=items,
        total=total,
        page=page,
        pages_total=pages_total,
        theme=theme,
        kind=kind,
        themes=list_themes(db),
        kinds=list(Kind),
    )


@pages.get("/contributions/<int:contribution_id>")
def contribution_page(contribution_id: int) -> Response:
    """One item, with its "me too" count and button."""
    db = get_session()
    item = get_contribution(db, contribution_id)
    if item is None:
        return Response(render_template("not_found.html"), status=404)
    participant_id = session.get(PARTICIPANT)
    page = render_template(
        "gather/contribution.html",
        item=item,
        own=item.contribution.participant_id == participant_id,
        supported=has_supported(db, contribution_id, participant_id),
    )
    return Response(page)


@pages.post("/contributions/<int:contribution_id>/support")
def support_submit(contribution_id: int) -> BaseResponse:
    """Count this person's "me too" once, then show the item again."""
    db = get_session()
    try:
        participant = _participant(db)
        support_contribution(db, contribution_id=contribution_id, participant=participant)
        db.commit()
    except ContributionNotFound:
        db.rollback()
        return Response(render_template("not_found.html"), status=404)
    except SupportRefused as refusal:
        db.rollback()
        flash(str(refusal))
    except IntegrityError:  # the same person's two clicks raced; the first one counted
        db.rollback()
        flash(ALREADY_SUPPORTED)
    else:
        _remember(participant)
        flash("Thank you. Your “me too” has been counted.")
    return redirect(url_for("gather.contribution_page", contribution_id=contribution_id))


# -- JSON API ----------------------------------------------------------------------


@api.post("/contributions")
def api_raise() -> Response:
    """Raise a contribution: JSON {kind, title, body, theme} → 201 with the item.

    Optional: `about_you` {age_band, ethnic_group, disability, unpaid_carer,
    urban_rural}, each a category code or "prefer-not-to-say" (saved on the
    person; the latest answers win), and `quote_consent` (true or false,
    default false). A bad answer is a 400 naming `about_you.<question>`.
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
            "Unknown field; send only kind, title, body, theme, and optionally about_you "
            "and quote_consent"
        ]
        for field in payload
        if field not in API_FIELDS
    }
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
            about_you=payload.get("about_you"),
            quote_consent=payload.get("quote_consent", False),
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
    """List contributions: ?theme=<slug>&kind=<kind>&limit=1..100&offset=n."""
    try:
        query = ListQuerySchema().load(request.args)
    except ValidationError as error:
        return validation_problem(error.messages_dict)
    db = get_session()
    if query["theme"] is not None and find_theme(db, query["theme"]) is None:
        return validation_problem({"theme": ["No local theme has this slug; see /api/v1/themes"]})
    items = list_contributions(db, **query)
    return jsonify(
        items=[contribution_json(item) for item in items],
        total=count_contributions(db, theme=query["theme"], kind=query["kind"]),
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


@api.get("/contributions/<int:contribution_id>")
def api_contribution(contribution_id: int) -> Response:
    """One contribution with its support count."""
    item = get_contribution(get_session(), contribution_id)
    if item is None:
        return _no_such_contribution(contribution_id)
    return jsonify(contribution_json(item))


@api.post("/contributions/<int:contribution_id>/support")
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
