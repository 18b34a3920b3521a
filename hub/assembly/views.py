"""Pages for the Citizens' Jury and Assembly: shortlists, choices, meetings, the public record.

Who may use what (admins may use everything): facilitators change everything
here; moderators may read every staff page (and print the issue pack) but not
change anything.

- `/staff/assembly`: juries and meetings; `/staff/assembly/juries/new`,
  `/staff/assembly/juries/<id>` (the ranked candidates, the shortlist, the
  jury's choice); `/staff/assembly/meetings/new`;
  `/staff/assembly/meetings/<id>` (details, agenda, publishing),
  `/staff/assembly/meetings/<id>/attendance`, `/staff/assembly/meetings/<id>/items/<item>`
  (replies, their confirmation, outcomes) and `/staff/assembly/meetings/<id>/pack`.
- Public: `/assembly` (published meetings), `/assembly/meetings/<id>` and its
  pack. Panel members are never named in public: only how many attended.

Every form posts with the CSRF token; success redirects with a message, a
mistake shows the page again (400) with the mistake named beside the field and
nothing stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from hub.assembly import services
from hub.assembly.models import AgendaItem, Attendee, AttendeeKind, Jury, Meeting, Reply
from hub.assembly.services import AssemblyError
from hub.panels.models import PanelDraw
from hub.routing.services import england_today
from hub.staff.auth import current_staff, form_values, not_found, signed_in_staff, staff_required
from hub.staff.models import Role
from hubnet.db import get_session

staff_pages = Blueprint("assembly", __name__, url_prefix="/staff/assembly")
public_pages = Blueprint("assembly_public", __name__, url_prefix="/assembly")

VIEWERS = (Role.MODERATOR.value, Role.FACILITATOR.value)
CHANGERS = (Role.FACILITATOR.value,)
STATUS_WORDS = {
    "planned": "Planned",
    "in-progress": "In progress",
    "done": "Done",
    "stalled": "Stalled",
}
KIND_WORDS = {
    "idea": "Idea",
    "concern": "Concern",
    "question": "Question",
    "experience": "Experience",
}
OUTCOME_WORDS = {
    "responded": "Responded",
    "change-planned": "Change planned",
    "change-made": "Change made",
    "closed": "Closed with a reason",
}

Errors = dict[str, list[str]]


def _errors(error: AssemblyError) -> Errors:
    return {error.field or "form": [str(error)]}


def _labels() -> dict[str, Any]:
    return {
        "status_words": STATUS_WORDS,
        "kind_words": KIND_WORDS,
        "outcome_words": OUTCOME_WORDS,
        "today": england_today(),
    }


def _may_change() -> bool:
    me = current_staff()
    return me is not None and me.may(*CHANGERS)


def form_date(form: dict[str, str], field: str, what: str) -> date | None:
    """The date typed in `<field>-day`, `-month`, `-year` (None when all three are empty)."""
    parts = [form.get(f"{field}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    if not all(part.isdigit() for part in parts):
        raise AssemblyError(field, f"Enter {what} as a day, month and year, like 27 3 2027")
    day, month, year = (int(part) for part in parts)
    if not 2000 <= year <= 2100:
        raise AssemblyError(field, f"Enter {what} with a 4-digit year, like 2027")
    try:
        return date(year, month, day)
    except ValueError:
        raise AssemblyError(field, f"{what.capitalize()} must be a real date") from None


def _id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _ids(name: str) -> list[int]:
    return [int(value) for value in request.form.getlist(name) if value.strip().isdigit()]


def _date_anchors(*fields: str) -> dict[str, str]:
    return {field: f"{field}-day" for field in fields}


# -- the index ------------------------------------------------------------------------------


@staff_pages.get("")
@staff_required(*VIEWERS)
def index() -> str:
    """Juries and Assembly meetings, newest first."""
    db = get_session()
    return render_template(
        "assembly/index.html",
        juries=services.list_juries(db),
        meetings=services.list_meetings(db),
        may_change=_may_change(),
        **_labels(),
    )


# -- juries ---------------------------------------------------------------------------------


def _draw_options(db: Session) -> list[tuple[str, str]]:
    options = [("", "No draw linked")]
    for draw in services.jury_draws(db):
        options.append((str(draw.id), draw.title))
    return options


def _new_jury_page(
    errors: Errors | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    db = get_session()
    page = render_template(
        "assembly/jury_new.html",
        draw_options=_draw_options(db),
        default_size=services.DEFAULT_SHORTLIST_SIZE,
        errors=errors or {},
        values=values or {},
        anchors={**_date_anchors("period_start", "period_end"), "form": "title"},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/juries/new")
@staff_required(*CHANGERS)
def jury_new() -> Response:
    """The form to start a jury's shortlist."""
    return _new_jury_page()


@staff_pages.post("/juries")
@staff_required(*CHANGERS)
def jury_create() -> BaseResponse:
    """Start a jury: title, linked draw, support period and shortlist size."""
    db = get_session()
    form = form_values()
    try:
        size_text = form.get("shortlist_size", "").strip() or str(services.DEFAULT_SHORTLIST_SIZE)
        if not size_text.isdigit():
            raise AssemblyError("shortlist_size", "Enter the shortlist size as a whole number")
        draw_id = _id(form.get("draw"))
        if form.get("draw", "").strip() and draw_id is None:
            raise AssemblyError("draw", "Choose a panel drawn for a jury, or none")
        jury = services.create_jury(
            db,
            signed_in_staff(),
            title=form.get("title", ""),
            period_start=form_date(form, "period_start", "the first day"),
            period_end=form_date(form, "period_end", "the last day"),
            draw_id=draw_id,
            shortlist_size=int(size_text),
        )
    except AssemblyError as error:
        db.rollback()
        return _new_jury_page(_errors(error), form, 400)
    db.commit()
    flash("Jury started: now choose its shortlist.")
    return redirect(url_for("assembly.jury_page", jury_id=jury.id))


def _jury_page(
    jury: Jury,
    errors: Errors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    candidates = (
        services.ranked_candidates(db, jury.period_start, jury.period_end)
        if jury.chosen_on is None
        else []
    )
    draw = None if jury.draw_id is None else db.get(PanelDraw, jury.draw_id)
    page = render_template(
        "assembly/jury.html",
        jury=jury,
        draw=draw,
        candidates=candidates,
        shortlisted={entry.contribution_id for entry in jury.shortlist},
        may_change=_may_change(),
        errors=errors or {},
        values=values or {},
        anchors={"chosen_on": "chosen_on-day", "form": "shortlist"},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/juries/<int:jury_id>")
@staff_required(*VIEWERS)
def jury_page(jury_id: int) -> Response:
    """A jury: the ranked candidates, its shortlist and its choice."""
    jury = get_session().get(Jury, jury_id)
    if jury is None:
        return not_found()
    return _jury_page(jury)


@staff_pages.post("/juries/<int:jury_id>/shortlist")
@staff_required(*CHANGERS)
def shortlist_submit(jury_id: int) -> BaseResponse:
    """Save the shortlist: the items ticked, ranked by support in the period."""
    db = get_session()
    jury = db.get(Jury, jury_id)
    if jury is None:
        return not_found()
    picked = _ids("contributions")
    try:
        services.set_shortlist(db, jury, signed_in_staff(), picked)
    except AssemblyError as error:
        db.rollback()
        jury = db.get(Jury, jury_id)
        assert jury is not None
        return _jury_page(jury, _errors(error), {"contributions": picked}, 400)
    db.commit()
    flash(f"Shortlist saved: {len(picked)} items.")
    return redirect(url_for("assembly.jury_page", jury_id=jury_id))


@staff_pages.post("/juries/<int:jury_id>/choice")
@staff_required(*CHANGERS)
def choice_submit(jury_id: int) -> BaseResponse:
    """Record which shortlisted items the jury chose, each with its reason, and the day."""
    db = get_session()
    jury = db.get(Jury, jury_id)
    if jury is None:
        return not_found()
    form = form_values()
    chosen = _ids("chosen")
    try:
        reasons = {entry_id: form.get(f"reason-{entry_id}") for entry_id in chosen}
        day = form_date(form, "chosen_on", "the day the jury chose")
        services.record_choice(db, jury, signed_in_staff(), reasons, day)
    except AssemblyError as error:
        db.rollback()
        jury = db.get(Jury, jury_id)
        assert jury is not None
        return _jury_page(jury, _errors(error), {**form, "chosen": chosen}, 400)
    db.commit()
    flash("The jury's choice is recorded: a meeting can now take its agenda from it.")
    return redirect(url_for("assembly.jury_page", jury_id=jury_id))


# -- meetings -------------------------------------------------------------------------------


def _jury_options(db: Session) -> list[tuple[str, str]]:
    options = [("", "No jury: I will add the agenda myself")]
    for jury in services.list_juries(db):
        if jury.chosen:
            options.append((str(jury.id), f"{jury.title} ({len(jury.chosen)} chosen)"))
    return options


def _new_meeting_page(
    errors: Errors | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    page = render_template(
        "assembly/meeting_new.html",
        jury_options=_jury_options(get_session()),
        errors=errors or {},
        values=values or {},
        anchors={**_date_anchors("held_on"), "form": "title"},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/meetings/new")
@staff_required(*CHANGERS)
def meeting_new() -> Response:
    """The form to set up a meeting."""
    return _new_meeting_page()


@staff_pages.post("/meetings")
@staff_required(*CHANGERS)
def meeting_create() -> BaseResponse:
    """Set up a meeting; with a jury, its agenda is the jury's choice."""
    db = get_session()
    form = form_values()
    try:
        jury_id = _id(form.get("jury"))
        if form.get("jury", "").strip() and jury_id is None:
            raise AssemblyError("jury", "Choose a jury from the list, or none")
        meeting = services.create_meeting(
            db,
            signed_in_staff(),
            title=form.get("title", ""),
            held_on=form_date(form, "held_on", "the day of the meeting"),
            place=form.get("place", ""),
            jury_id=jury_id,
        )
    except AssemblyError as error:
        db.rollback()
        return _new_meeting_page(_errors(error), form, 400)
    db.commit()
    flash("Meeting set up.")
    return redirect(url_for("assembly.meeting_page", meeting_id=meeting.id))


def _meeting(db: Session, meeting_id: int) -> Meeting | None:
    return db.get(Meeting, meeting_id)


def _meeting_page(
    meeting: Meeting,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    outcomes = services.outcomes_of(db, meeting)
    page = render_template(
        "assembly/meeting.html",
        meeting=meeting,
        counts=services.attendance_counts(db, meeting),
        outcome_counts={
            item.id: sum(1 for o in outcomes if o.agenda_item_id == item.id)
            for item in meeting.agenda
        },
        may_change=_may_change(),
        errors=errors or {},
        values=values or {},
        anchors={"form": "agenda"},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/meetings/<int:meeting_id>")
@staff_required(*VIEWERS)
def meeting_page(meeting_id: int) -> Response:
    """A meeting: its details, agenda, attendance in figures, and publishing."""
    meeting = _meeting(get_session(), meeting_id)
    if meeting is None:
        return not_found()
    return _meeting_page(meeting)


def _meeting_action(meeting_id: int, action: str, item_id: int | None = None) -> BaseResponse:
    db = get_session()
    meeting = _meeting(db, meeting_id)
    if meeting is None:
        return not_found()
    item = None
    if item_id is not None:
        item = db.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            return not_found()
    form = form_values()
    me = signed_in_staff()
    try:
        if action == "add":
            added = services.add_agenda_item(
                db, meeting, me, form.get("title", ""), form.get("description")
            )
            message = f"Added “{added.title}” to the agenda."
        elif action == "move":
            assert item is not None
            services.move_agenda_item(db, item, me, form.get("direction", ""))
            message = f"Moved “{item.title}” {form.get('direction')}."
        elif action == "remove":
            assert item is not None
            title = item.title
            services.remove_agenda_item(db, item, me)
            message = f"Removed “{title}” from the agenda."
        else:
            services.publish_meeting(db, meeting, me)
            message = "Published: the meeting is on the public Assembly pages."
    except AssemblyError as error:
        db.rollback()
        meeting = _meeting(db, meeting_id)
        assert meeting is not None
        return _meeting_page(meeting, _errors(error), form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("assembly.meeting_page", meeting_id=meeting_id))


@staff_pages.post("/meetings/<int:meeting_id>/agenda")
@staff_required(*CHANGERS)
def agenda_add(meeting_id: int) -> BaseResponse:
    """Add a free item to the agenda."""
    return _meeting_action(meeting_id, "add")


@staff_pages.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
@staff_required(*CHANGERS)
def agenda_move(meeting_id: int, item_id: int) -> BaseResponse:
    """Move an agenda item up or down."""
    return _meeting_action(meeting_id, "move", item_id)


@staff_pages.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/remove")
@staff_required(*CHANGERS)
def agenda_remove(meeting_id: int, item_id: int) -> BaseResponse:
    """Take an item off the agenda."""
    return _meeting_action(meeting_id, "remove", item_id)


@staff_pages.post("/meetings/<int:meeting_id>/publish")
@staff_required(*CHANGERS)
def meeting_publish(meeting_id: int) -> BaseResponse:
    """Publish the meeting's agenda, replies and outcomes."""
    return _meeting_action(meeting_id, "publish")


# -- attendance -----------------------------------------------------------------------------


def _attendance_page(
    meeting: Meeting,
    errors: Errors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    members = services.panel_of(db, meeting)
    present = {a.panel_member_id for a in services.attendees(meeting, AttendeeKind.PANEL_MEMBER)}
    facilitating = {a.staff_id for a in services.attendees(meeting, AttendeeKind.FACILITATOR)}
    values = values or {}
    page = render_template(
        "assembly/attendance.html",
        meeting=meeting,
        member_options=[
            (str(m.id), m.display_name + (" (reserve)" if m.reserve else "")) for m in members
        ],
        members_ticked=values.get("panel_members", sorted(i for i in present if i is not None)),
        facilitator_options=[
            (str(s.id), f"{s.name} ({s.role.value})") for s in services.facilitator_choices(db)
        ],
        facilitators_ticked=values.get(
            "facilitators", sorted(i for i in facilitating if i is not None)
        ),
        managers=services.attendees(meeting, AttendeeKind.SENIOR_MANAGER),
        counts=services.attendance_counts(db, meeting),
        may_change=_may_change(),
        errors=errors or {},
        values=values,
        anchors={"form": "attendance"},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/meetings/<int:meeting_id>/attendance")
@staff_required(*VIEWERS)
def attendance_page(meeting_id: int) -> Response:
    """Who attended: panel members and facilitators (ticked), senior managers (added)."""
    meeting = _meeting(get_session(), meeting_id)
    if meeting is None:
        return not_found()
    return _attendance_page(meeting)


def _attendance_action(
    meeting_id: int, action: str, attendee_id: int | None = None
) -> BaseResponse:
    db = get_session()
    meeting = _meeting(db, meeting_id)
    if meeting is None:
        return not_found()
    form: dict[str, Any] = form_values()
    me = signed_in_staff()
    try:
        if action == "tick":
            form = {"panel_members": _ids("panel_members"), "facilitators": _ids("facilitators")}
            services.set_attendance(db, meeting, me, form["panel_members"], form["facilitators"])
            message = "Attendance saved."
        elif action == "add":
            added = services.add_senior_manager(
                db, meeting, me, form.get("name", ""), form.get("role", ""),
                form.get("organisation", ""),
            )  # fmt: skip
            message = f"Added {added.name}."
        else:
            attendee = db.get(Attendee, attendee_id) if attendee_id is not None else None
            if attendee is None or attendee.meeting_id != meeting.id:
                return not_found()
            name = attendee.name
            services.remove_attendee(db, attendee, me)
            message = f"Removed {name}."
    except AssemblyError as error:
        db.rollback()
        meeting = _meeting(db, meeting_id)
        assert meeting is not None
        return _attendance_page(meeting, _errors(error), form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("assembly.attendance_page", meeting_id=meeting_id))


@staff_pages.post("/meetings/<int:meeting_id>/attendance")
@staff_required(*CHANGERS)
def attendance_submit(meeting_id: int) -> BaseResponse:
    """Save which panel members and facilitators attended."""
    return _attendance_action(meeting_id, "tick")


@staff_pages.post("/meetings/<int:meeting_id>/managers")
@staff_required(*CHANGERS)
def manager_add(meeting_id: int) -> BaseResponse:
    """Add a senior manager who attended."""
    return _attendance_action(meeting_id, "add")


@staff_pages.post("/meetings/<int:meeting_id>/managers/<int:attendee_id>/remove")
@staff_required(*CHANGERS)
def manager_remove(meeting_id: int, attendee_id: int) -> BaseResponse:
    """Remove a senior manager added by mistake."""
    return _attendance_action(meeting_id, "remove", attendee_id)


# -- one agenda item: replies, confirmations, outcomes --------------------------------------


def _item(db: Session, meeting_id: int, item_id: int) -> AgendaItem | None:
    item = db.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        return None
    return item


def _item_page(
    item: AgendaItem,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    error_form: str = "",
    status: int = 200,
) -> Response:
    db = get_session()
    meeting = item.meeting
    anchors: dict[str, str] = {"form": error_form or "replies", "due_on": "due_on-day"}
    if error_form.startswith("confirm-"):
        reply_id = error_form.removeprefix("confirm-")
        anchors.update({f: f"{f}-{reply_id}" for f in ("agreed", "disagreed", "notes")})
    page = render_template(
        "assembly/item.html",
        meeting=meeting,
        item=item,
        outcomes=[o for o in services.outcomes_of(db, meeting) if o.agenda_item_id == item.id],
        manager_options=[("", "Choose who replied")]
        + [
            (str(a.id), f"{a.name}, {a.role}, {a.organisation}")
            for a in services.attendees(meeting, AttendeeKind.SENIOR_MANAGER)
        ],
        present=services.attendance_counts(db, meeting).panel_attended,
        may_change=_may_change(),
        errors=errors or {},
        values=values or {},
        error_form=error_form,
        anchors=anchors,
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/meetings/<int:meeting_id>/items/<int:item_id>")
@staff_required(*VIEWERS)
def item_page(meeting_id: int, item_id: int) -> Response:
    """One agenda item: the replies given, their confirmation, and the agreed actions."""
    item = _item(get_session(), meeting_id, item_id)
    if item is None:
        return not_found()
    return _item_page(item)


def _item_action(
    meeting_id: int, item_id: int, action: str, reply_id: int | None = None
) -> BaseResponse:
    db = get_session()
    item = _item(db, meeting_id, item_id)
    if item is None:
        return not_found()
    form = form_values()
    me = signed_in_staff()
    error_form = action
    try:
        if action == "reply":
            services.record_reply(db, item, me, _id(form.get("attendee")), form.get("text", ""))
            message = "Reply recorded."
        elif action == "confirm":
            reply = db.get(Reply, reply_id) if reply_id is not None else None
            if reply is None or reply.agenda_item_id != item.id:
                return not_found()
            error_form = f"confirm-{reply.id}"
            services.record_confirmation(
                db, reply, me, form.get("agreed"), form.get("disagreed"), form.get("notes")
            )
            message = "Confirmation recorded."
        else:
            outcome = services.add_outcome(
                db,
                item,
                me,
                title=form.get("title", ""),
                owner=form.get("owner", ""),
                due_on=form_date(form, "due_on", "the day it is due"),
                description=form.get("description"),
            )
            message = f"Outcome agreed: “{outcome.action.title}” is on the Stocktake."
    except AssemblyError as error:
        db.rollback()
        item = _item(db, meeting_id, item_id)
        assert item is not None
        return _item_page(item, _errors(error), form, error_form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("assembly.item_page", meeting_id=meeting_id, item_id=item_id))


@staff_pages.post("/meetings/<int:meeting_id>/items/<int:item_id>/replies")
@staff_required(*CHANGERS)
def reply_submit(meeting_id: int, item_id: int) -> BaseResponse:
    """Record a senior manager's reply as given in the room."""
    return _item_action(meeting_id, item_id, "reply")


@staff_pages.post(
    "/meetings/<int:meeting_id>/items/<int:item_id>/replies/<int:reply_id>/confirmation"
)
@staff_required(*CHANGERS)
def confirmation_submit(meeting_id: int, item_id: int, reply_id: int) -> BaseResponse:
    """Record the panel members' confirmation of a reply."""
    return _item_action(meeting_id, item_id, "confirm", reply_id)


@staff_pages.post("/meetings/<int:meeting_id>/items/<int:item_id>/outcomes")
@staff_required(*CHANGERS)
def outcome_submit(meeting_id: int, item_id: int) -> BaseResponse:
    """Agree an action: it goes on the Stocktake with its owner and due date."""
    return _item_action(meeting_id, item_id, "outcome")


# -- issue packs and the public record ------------------------------------------------------


def _pack(meeting: Meeting, public: bool) -> str:
    db = get_session()
    return render_template(
        "assembly/pack.html",
        meeting=meeting,
        issues=services.issue_pack(db, meeting),
        public=public,
        **_labels(),
    )


@staff_pages.get("/meetings/<int:meeting_id>/pack")
@staff_required(*VIEWERS)
def pack(meeting_id: int) -> Response:
    """The printable issue pack: one page per agenda item."""
    meeting = _meeting(get_session(), meeting_id)
    if meeting is None:
        return not_found()
    return Response(_pack(meeting, public=False))


def _published(meeting_id: int) -> Meeting | None:
    meeting = _meeting(get_session(), meeting_id)
    return meeting if meeting is not None and meeting.published else None


@public_pages.get("")
def meetings() -> str:
    """Published Assembly meetings, latest first."""
    return render_template(
        "assembly/public_meetings.html",
        meetings=services.list_meetings(get_session(), published_only=True),
        **_labels(),
    )


@public_pages.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> Response:
    """A published meeting: its agenda, the replies and their confirmation, the outcomes."""
    found = _published(meeting_id)
    if found is None:
        return not_found()
    db = get_session()
    outcomes = services.outcomes_of(db, found)
    page = render_template(
        "assembly/public_meeting.html",
        meeting=found,
        counts=services.attendance_counts(db, found),
        managers=services.attendees(found, AttendeeKind.SENIOR_MANAGER),
        reasons={
            entry.contribution_id: entry.reason
            for entry in (found.jury.chosen if found.jury is not None else [])
        },
        outcomes_by_item={
            item.id: [o for o in outcomes if o.agenda_item_id == item.id] for item in found.agenda
        },
        **_labels(),
    )
    return Response(page)


@public_pages.get("/meetings/<int:meeting_id>/pack")
def public_pack(meeting_id: int) -> Response:
    """A published meeting's issue pack, printable."""
    found = _published(meeting_id)
    if found is None:
        return not_found()
    return Response(_pack(found, public=True))
