"""Pages for the volunteer pool and fair draws of Citizens' Juries and Assemblies.

Public:

- `/take-part/volunteer`: a resident joins the pool (name, email or phone,
  ward, the "about you" questions as Gather asks them, support needs, consent).
  A mistake shows the form again (400) with every mistake named and nothing
  stored. Success goes to `/take-part/volunteer/done`, which shows the
  volunteer's number and private withdraw link once.
- `/take-part/volunteer/withdraw/<token>`: leave the pool (a button, so a link
  preview cannot withdraw anyone), then `/take-part/volunteer/withdrawn`.
- `/panels`: the draws made; `/panels/draws/<id>`: one draw's public report
  (seed, method, quotas against the panel, every volunteer's chance by number);
  `/panels/draws/<id>.json`: the report to download and check. No names, no
  contacts, anywhere public.

Staff (facilitators and admins):

- `/staff/panels`: the pool's size and make-up against the area, and the draws;
- `/staff/panels/draw`: draw a panel (title, jury or assembly, size, reserves,
  the published seed, groups to oversample). No panel meeting the quotas: 400
  with the reasons, nothing stored;
- `/staff/panels/draws/<id>`: who was drawn, with names and contacts, and the
  reserves in order.

Joining and withdrawing are rate-limited as raising is (`@limit`).
"""

from __future__ import annotations

import json
from typing import Any

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
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED, PREFER_NOT_TO_SAY
from hub.gather.models import ABOUT_YOU
from hub.gather.services import list_wards
from hub.gather.views import ABOUT_YOU_QUESTIONS
from hub.limits import limit
from hub.panels import services
from hub.panels.models import PanelDraw, Purpose
from hub.panels.services import (
    DEFAULT_OVERSAMPLE_FACTOR,
    PURPOSE_WORDS,
    DrawInfeasible,
    PanelError,
    VolunteerErrors,
)
from hub.staff.auth import form_values, not_found, signed_in_staff, staff_required
from hub.staff.models import Role
from hub.voices.store import load_stored_profile
from hubnet.db import get_session

staff_pages = Blueprint("panels", __name__, url_prefix="/staff/panels")
public_pages = Blueprint("panels_public", __name__)

FACILITATORS = (Role.FACILITATOR.value,)
VOLUNTEERED = "panel_volunteered"  # session key: the number and withdraw link, shown once
METHOD_URL = "https://doi.org/10.1038/s41586-021-03788-6"
VOLUNTEER_FIELDS = ("name", "email", "phone", "ward", *ABOUT_YOU, "support_needs", "consent")
DEFAULT_SIZES = {Purpose.JURY.value: 12, Purpose.ASSEMBLY.value: 40}
PURPOSE_OPTIONS = [
    {
        "value": Purpose.JURY.value,
        "text": "Citizens' Jury",
        "hint": "A small panel, usually 12 to 24 people, that chooses the issues to take forward.",
    },
    {
        "value": Purpose.ASSEMBLY.value,
        "text": "Citizens' Assembly",
        "hint": "A larger panel that meets senior managers about the jury's issues.",
    },
]


def _answer_label(question: str, code: str | None) -> str:
    if code in (None, "", NOT_STATED):
        return "Not stated"
    if code == PREFER_NOT_TO_SAY:
        return "Prefer not to say"
    return CHARACTERISTICS[question].label_of(code)


def _group_label(characteristic: str, category: str) -> str:
    """A quota's group in words, like "Disability (Equality Act 2010): Disabled"."""
    known = CHARACTERISTICS.get(characteristic)
    if known is None:
        return f"{characteristic}: {category}"
    try:
        return f"{known.label}: {known.label_of(category)}"
    except KeyError:
        return f"{known.label}: {category}"


def _reason_text(reason: str) -> str:
    """The selection method's reason with each `characteristic=category` put in words."""
    for characteristic in ABOUT_YOU:
        for category in CHARACTERISTICS[characteristic].codes:
            reason = reason.replace(
                f"{characteristic}={category} ", f"{_group_label(characteristic, category)} "
            )
        reason = reason.replace(f"{characteristic}: ", f"{CHARACTERISTICS[characteristic].label}: ")
    return reason


def _labels() -> dict[str, Any]:
    return {
        "purpose_words": {p.value: PURPOSE_WORDS[p] for p in Purpose},
        "answer_label": _answer_label,
        "group_label": _group_label,
        "characteristics": CHARACTERISTICS,
        "about_you": ABOUT_YOU,
        "questions": ABOUT_YOU_QUESTIONS,
        "method_url": METHOD_URL,
    }


# -- residents: join and leave the pool ------------------------------------------------------


def _volunteer_page(
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    options = {
        question: [
            (code, _answer_label(question, code))
            for code in services.answer_options(question)
            if code != PREFER_NOT_TO_SAY
        ]
        + [{"divider": "or"}, {"value": PREFER_NOT_TO_SAY, "text": "Prefer not to say"}]
        for question in ABOUT_YOU
    }
    ordered = {field: errors[field] for field in VOLUNTEER_FIELDS if errors and field in errors}
    page = render_template(
        "panels/volunteer.html",
        errors=ordered,
        values=values or {},
        wards=[("", "Not given")] + [(w.code, w.name) for w in list_wards(db)],
        options=options,
        **_labels(),
    )
    return Response(page, status=status)


@public_pages.get("/take-part/volunteer")
def volunteer() -> Response:
    """The form to join the pool juries and assemblies are drawn from."""
    return _volunteer_page()


@public_pages.post("/take-part/volunteer")
@limit("raise")
def volunteer_submit() -> BaseResponse:
    """Join the pool; a mistake shows the form again (400) and stores nothing."""
    db = get_session()
    form = form_values()
    try:
        added, token = services.add_volunteer(
            db,
            name=form.get("name"),
            email=form.get("email"),
            phone=form.get("phone"),
            ward_code=form.get("ward"),
            about_you={question: form.get(question) for question in ABOUT_YOU},
            support_needs=form.get("support_needs"),
            consent=form.get("consent") == "yes",
        )
    except VolunteerErrors as error:
        db.rollback()
        return _volunteer_page({k: [v] for k, v in error.errors.items()}, form, 400)
    db.commit()
    session[VOLUNTEERED] = {
        "number": added.number,
        "link": url_for("panels_public.withdraw_page", token=token),
    }
    return redirect(url_for("panels_public.volunteered"))


@public_pages.get("/take-part/volunteer/done")
def volunteered() -> BaseResponse | str:
    """Confirmation: what happens next, the volunteer's number and withdraw link (shown once)."""
    done = session.pop(VOLUNTEERED, None)
    if not done:
        return redirect(url_for("panels_public.volunteer"))
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return render_template(
        "panels/volunteered.html", number=done["number"], withdraw_link=base + done["link"]
    )


@public_pages.get("/take-part/volunteer/withdraw/<string(length=43):token>")
def withdraw_page(token: str) -> Response:
    """Ask the volunteer to confirm they want to leave the pool."""
    found = services.volunteer_for_token(get_session(), token)
    if found is None:
        return not_found()
    return Response(render_template("panels/withdraw.html", token=token, number=found.number))


@public_pages.post("/take-part/volunteer/withdraw/<string(length=43):token>")
@limit("account")
def withdraw_submit(token: str) -> BaseResponse:
    """Leave the pool: the details are deleted (or erased, if a draw chose the volunteer)."""
    db = get_session()
    found = services.volunteer_for_token(db, token)
    if found is None:
        return not_found()
    services.withdraw(db, found)
    db.commit()
    return redirect(url_for("panels_public.withdrawn"))


@public_pages.get("/take-part/volunteer/withdrawn")
def withdrawn() -> str:
    return render_template("panels/withdrawn.html")


# -- public reports --------------------------------------------------------------------------


@public_pages.get("/panels")
def draws() -> str:
    """Every draw made, each with its public report."""
    return render_template(
        "panels/draws.html", draws=services.list_draws(get_session()), **_labels()
    )


def _public_report(drawn: PanelDraw) -> dict[str, Any]:
    """What is published about a draw: its report, title, purpose and when (numbers only)."""
    return {
        "title": drawn.title,
        "purpose": drawn.purpose.value,
        "drawn_at": drawn.drawn_at.isoformat(),
        **drawn.report_data,
    }


@public_pages.get("/panels/draws/<int:draw_id>")
def report(draw_id: int) -> Response:
    """A draw's public report: seed, method, quotas against the panel, each volunteer's chance."""
    drawn = services.get_draw(get_session(), draw_id)
    if drawn is None:
        return not_found()
    data = drawn.report_data
    probabilities = sorted(data["probabilities"].items())
    page = render_template(
        "panels/report.html",
        draw=drawn,
        report=data,
        probabilities=probabilities,
        oversampled=drawn.oversample_data,
        **_labels(),
    )
    return Response(page)


@public_pages.get("/panels/draws/<int:draw_id>.json")
def report_json(draw_id: int) -> Response:
    """The report as JSON, to download and check: the lottery, the seed, the quotas."""
    drawn = services.get_draw(get_session(), draw_id)
    if drawn is None:
        return not_found()
    body = json.dumps(_public_report(drawn), ensure_ascii=False, indent=2) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="panel-draw-{drawn.id}.json"'},
    )


# -- staff -----------------------------------------------------------------------------------


def _profile() -> Any:
    stored = load_stored_profile(current_app.config["INSTANCE_PATH"])
    return None if stored is None else stored.profile


@staff_pages.get("")
@staff_required(*FACILITATORS)
def index() -> str:
    """The pool's size and make-up (against the area's people aged 16 and over), and the draws."""
    db = get_session()
    pool = services.active_volunteers(db)
    profile = _profile()
    people = services.selection_profile(profile) if profile is not None else {}
    shares = {
        characteristic: {
            category: count / sum(counts.values()) for category, count in counts.items()
        }
        for characteristic, counts in people.items()
        if sum(counts.values()) > 0
    }
    return render_template(
        "panels/index.html",
        pool_size=len(pool),
        make_up=services.pool_make_up(pool),
        shares=shares,
        profile=profile,
        draws=services.list_draws(db),
        **_labels(),
    )


def _draw_page(
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    reasons: tuple[str, ...] = (),
    status: int = 200,
) -> Response:
    db = get_session()
    profile = _profile()
    factor = _factor()
    page = render_template(
        "panels/draw.html",
        errors=errors or {},
        values=values or {},
        reasons=[_reason_text(reason) for reason in reasons],
        profile=profile,
        pool_size=len(services.active_volunteers(db)),
        purpose_options=PURPOSE_OPTIONS,
        oversample_options=[
            (f"{c}:{k}", _group_label(c, k)) for c, k in services.oversample_options(profile)
        ],
        factor=factor,
        **_labels(),
    )
    return Response(page, status=status)


def _factor() -> float:
    return float(current_app.config.get("PANEL_OVERSAMPLE_FACTOR", DEFAULT_OVERSAMPLE_FACTOR))


@staff_pages.get("/draw")
@staff_required(*FACILITATORS)
def draw_form() -> Response:
    """The form to draw a panel, with a seed suggested."""
    return _draw_page(
        values={
            "purpose": Purpose.JURY.value,
            "panel_size": str(DEFAULT_SIZES[Purpose.JURY.value]),
            "reserves": "4",
            "seed": services.suggest_seed(),
        }
    )


def _whole_number(text: str, field: str, message: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PanelError(field, message) from None


@staff_pages.post("/draw")
@staff_required(*FACILITATORS)
def draw_submit() -> BaseResponse:
    """Draw the panel now and publish its report; a mistake or no possible panel stores nothing."""
    db = get_session()
    form = form_values()
    chosen = request.form.getlist("oversample")
    values: dict[str, Any] = {**form, "oversample": chosen}
    try:
        size = _whole_number(
            form.get("panel_size", ""), "panel_size", "Enter the panel size as a whole number"
        )
        reserves = _whole_number(
            form.get("reserves", "") or "0", "reserves", "Enter the reserves as a whole number"
        )
        pairs = [tuple(value.split(":", 1)) for value in chosen]
        if any(len(pair) != 2 for pair in pairs):
            raise PanelError("oversample", "Choose groups to oversample from the list")
        drawn = services.draw_panel(
            db,
            signed_in_staff(),
            title=form.get("title", ""),
            purpose=form.get("purpose", ""),
            panel_size=size,
            seed=form.get("seed", ""),
            profile=_profile(),
            oversample=[(pair[0], pair[1]) for pair in pairs],
            factor=_factor(),
            reserves=reserves,
        )
    except DrawInfeasible as error:
        db.rollback()
        message = "No panel of this size meets the quotas with the volunteers in the pool"
        return _draw_page({"panel_size": [message]}, values, error.reasons, 400)
    except PanelError as error:
        db.rollback()
        return _draw_page({error.field or "form": [str(error)]}, values, (), 400)
    db.commit()
    flash(f"Drawn: {drawn.title}. Its report is public.", "success")
    return redirect(url_for("panels.draw_page", draw_id=drawn.id))


@staff_pages.get("/draws/<int:draw_id>")
@staff_required(*FACILITATORS)
def draw_page(draw_id: int) -> Response:
    """Who a draw chose, with their names and contacts (staff only), and the reserves."""
    db = get_session()
    drawn = services.get_draw(db, draw_id)
    if drawn is None:
        return not_found()
    members = services.panel_members(db, draw_id)
    wards = {w.code: w.name for w in list_wards(db)}
    page = render_template(
        "panels/draw_members.html",
        draw=drawn,
        panel=[m for m in members if not m.reserve],
        reserves=[m for m in members if m.reserve],
        wards=wards,
        **_labels(),
    )
    return Response(page)
