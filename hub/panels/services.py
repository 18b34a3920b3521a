"""The volunteer pool and fair draws of Citizens' Juries and Assemblies. Never commits.

Residents opt in (`add_volunteer`): a name, an email address or phone number
(at least one), their ward, the "about you" answers (the same questions and
codes as Gather's, `hub.gather.models.ABOUT_YOU`), support needs and their
consent. Each volunteer gets a public pseudonymous number ("V-0042", random,
not the order they joined) that published reports use instead of a name, and
a private withdraw link whose token is stored only as its SHA-256 (like
`hub.residents.links`). Withdrawing (`withdraw`) deletes the volunteer, or,
if a draw chose them, erases their personal details and keeps the number.

Staff (facilitators and admins) draw a panel (`draw_panel`): quotas come from
the hub's population profile (`quotas_from_profile`, slack 1), with chosen
categories oversampled by a factor; the maximin lottery is found over the
current pool and one panel is drawn with the published seed
(`hub.assembly.selection`). Reserves, if asked for, are the volunteers not
drawn who can be on a quota-meeting panel, in the order of
SHA-256(seed + newline + number), so the seed fixes them too. The report
stores `SelectionReport.as_dict()` (volunteer ids *are* the numbers) plus the
lottery itself (`distribution`: each panel and its probability), so anyone
can repeat the draw from the seed.

Every function checks what it is asked (raising `PanelError`, whose `field`
names the form field, before anything is written; `VolunteerErrors` lists
every mistake on the volunteer form at once and `DrawInfeasible` carries the
selection method's reasons), writes the staff audit line
(`hub.staff.audit.record_action`) for staff actions and flushes. The view owns
the transaction.

API:

- `add_volunteer(db, *, name, email, phone, ward_code, about_you, support_needs, consent)
  -> (PanelVolunteer, withdraw token)`
- `volunteer_for_token(db, token)`; `withdraw(db, volunteer)`
- `active_volunteers(db)`; `features(volunteer)`; `pool_make_up(volunteers)`
- `answer_options(question)`; `run_selection(pool, quotas, panel_size, seed, reserves=0)`
- `selection_profile(profile)`; `oversample_options(profile)`; `suggest_seed()`
- `draw_panel(db, me, *, title, purpose, panel_size, seed, profile, oversample, factor,
  reserves=0) -> PanelDraw`
- `list_draws(db)`; `get_draw(db, id)`; `panel_members(db, draw_id)`
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED, PREFER_NOT_TO_SAY
from hub.assembly.selection import (
    Infeasible,
    QuotaOutcome,
    SelectionReport,
    Volunteer,
    draw,
    find_distribution,
    quotas_from_profile,
)
from hub.db import utcnow
from hub.gather.models import ABOUT_YOU, Ward
from hub.panels.models import DrawStatus, PanelDraw, PanelMember, PanelVolunteer, Purpose
from hub.routing.services import england_today
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser
from hub.voices.profile import PopulationProfile

NAME_LENGTH = 120
EMAIL_LENGTH = 254
SUPPORT_LENGTH = 1000
TITLE_LENGTH = 160
SEED_LENGTH = 200
PANEL_SIZES = (2, 500)
MAX_RESERVES = 100
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)
DEFAULT_OVERSAMPLE_FACTOR = 1.5
QUOTA_SLACK = 1
UNDER_16 = "under-16"  # volunteers are 16 or over; the panel mirrors the area's people 16+

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_CHARACTERS = re.compile(r"[0-9 ()+\-]+")
PHONE_DIGITS = (10, 15)

PURPOSE_WORDS = {Purpose.JURY: "Citizens' Jury", Purpose.ASSEMBLY: "Citizens' Assembly"}
RESERVE_METHOD = (
    "Reserves are the volunteers not drawn who could be on a panel that meets the quotas, "
    "in the order of the SHA-256 hash (hexadecimal) of the seed, a newline and their number; "
    "when a panel member cannot take part, staff ask the first reserve who shares the "
    "groups the quotas need."
)


class PanelError(ValueError):
    """A panel step that cannot be taken as asked; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class VolunteerErrors(PanelError):
    """Every mistake on the volunteer form: `errors` maps each field to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(first, errors[first])
        self.errors = dict(errors)


class DrawInfeasible(PanelError):
    """No panel of this size meets the quotas with this pool; `reasons` says why."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(
            "panel_size",
            "No panel of this size meets the quotas with the volunteers in the pool: "
            + "; ".join(self.reasons),
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# -- volunteers ------------------------------------------------------------------------------


def answer_options(name: str) -> list[str]:
    """The answers a volunteer may give to one "about you" question (codes)."""
    codes = [code for code in CHARACTERISTICS[name].stored_values]
    if name == "age_band":
        codes.remove(UNDER_16)
    return codes


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _check_volunteer(
    db: Session,
    name: str | None,
    email: str | None,
    phone: str | None,
    ward_code: str | None,
    about_you: Mapping[str, str | None],
    support_needs: str | None,
    consent: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    clean_name = " ".join(_clean(name).split())
    if not clean_name:
        errors["name"] = "Enter your name"
    elif len(clean_name) > NAME_LENGTH:
        errors["name"] = f"Your name must be {NAME_LENGTH} characters or fewer"
    values["name"] = clean_name
    address = _clean(email).lower() or None
    number = " ".join(_clean(phone).split()) or None
    if address is None and number is None:
        errors["email"] = "Enter an email address or a phone number, so we can contact you"
    if address is not None and (len(address) > EMAIL_LENGTH or not EMAIL.fullmatch(address)):
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if number is not None:
        digits = sum(ch.isdigit() for ch in number)
        low, high = PHONE_DIGITS
        if not PHONE_CHARACTERS.fullmatch(number) or not low <= digits <= high:
            errors["phone"] = "Enter a phone number, like 01632 960 001 or 07700 900 982"
    values["email"], values["phone"] = address, number
    ward = _clean(ward_code) or None
    if ward is not None and db.get(Ward, ward) is None:
        errors["ward"] = "Choose your ward from the list, or leave it as not given"
    values["ward_code"] = ward
    for question in ABOUT_YOU:
        answer = _clean(about_you.get(question)) or None
        if answer == UNDER_16 and question == "age_band":
            errors[question] = "You need to be 16 or over to join the pool"
        elif answer is not None and answer not in answer_options(question):
            errors[question] = "Choose one of the answers, or “Prefer not to say”"
        values[question] = answer
    needs = _clean(support_needs) or None
    if needs is not None and len(needs) > SUPPORT_LENGTH:
        errors["support_needs"] = (
            f"Use {SUPPORT_LENGTH:,} characters or fewer (yours has {len(needs):,})"
        )
    values["support_needs"] = needs
    if not consent:
        errors["consent"] = "Confirm that you agree, so we can keep your details in the pool"
    return values, errors


def _new_number(db: Session) -> str:
    """A random unused "V-" number: 4 digits while there is room, then 6."""
    for digits, tries in ((4, 20), (6, 50)):
        for _ in range(tries):
            candidate = f"V-{secrets.randbelow(10**digits - 1) + 1:0{digits}d}"
            taken = db.scalar(select(exists().where(PanelVolunteer.number == candidate)))
            if not taken:
                return candidate
    raise RuntimeError("no free volunteer number")  # pragma: no cover - a pool of millions


def add_volunteer(
    db: Session,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
    ward_code: str | None,
    about_you: Mapping[str, str | None],
    support_needs: str | None,
    consent: bool,
    number: str | None = None,
) -> tuple[PanelVolunteer, str]:
    """Add a resident to the pool; the private withdraw token is returned once.

    Raises `VolunteerErrors` (every mistake, nothing stored). `number` is for
    the demo and tests; a resident is given a random one.
    """
    values, errors = _check_volunteer(
        db, name, email, phone, ward_code, about_you, support_needs, consent
    )
    if errors:
        raise VolunteerErrors(errors)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    volunteer = PanelVolunteer(
        number=number or _new_number(db),
        withdraw_token_hash=token_hash(token),
        consent_at=now,
        created_at=now,
        **values,
    )
    db.add(volunteer)
    db.flush()
    return volunteer, token


def volunteer_for_token(db: Session, token: str) -> PanelVolunteer | None:
    """The volunteer whose withdraw link this is, or None (also once they have withdrawn)."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    return db.scalar(
        select(PanelVolunteer).where(
            PanelVolunteer.withdraw_token_hash == token_hash(token),
            PanelVolunteer.withdrawn_at.is_(None),
        )
    )


def withdraw(db: Session, volunteer: PanelVolunteer) -> None:
    """Take a volunteer out of the pool and erase what they told us.

    A volunteer no draw chose is deleted. One a draw chose keeps their row
    (the panel's list and the published report refer to their number) with
    every personal detail erased and `withdrawn_at` set; the link stops working.
    """
    drawn = db.scalar(select(exists().where(PanelMember.volunteer_id == volunteer.id)))
    if not drawn:
        db.execute(delete(PanelVolunteer).where(PanelVolunteer.id == volunteer.id))
        db.expunge(volunteer)
        return
    volunteer.name = ""
    volunteer.email = volunteer.phone = volunteer.ward_code = volunteer.support_needs = None
    for question in ABOUT_YOU:
        setattr(volunteer, question, None)
    volunteer.withdraw_token_hash = None
    volunteer.withdrawn_at = utcnow()
    db.flush()


def active_volunteers(db: Session) -> list[PanelVolunteer]:
    """Everyone in the pool now, by number."""
    query = select(PanelVolunteer).where(PanelVolunteer.withdrawn_at.is_(None))
    return list(db.scalars(query.order_by(PanelVolunteer.number)))


def features(volunteer: PanelVolunteer) -> dict[str, str]:
    """The volunteer's categories for the quotas: unanswered and prefer-not-to-say left out."""
    answers = {question: getattr(volunteer, question) for question in ABOUT_YOU}
    return {
        question: answer
        for question, answer in answers.items()
        if answer is not None and answer != PREFER_NOT_TO_SAY
    }


def pool_make_up(volunteers: Iterable[PanelVolunteer]) -> dict[str, dict[str, int]]:
    """Volunteers per category of each question (not answered and prefer not to say: not-stated)."""
    counts = {question: dict.fromkeys(CHARACTERISTICS[question].codes, 0) for question in ABOUT_YOU}
    for volunteer in volunteers:
        for question in ABOUT_YOU:
            answer = getattr(volunteer, question)
            category = NOT_STATED if answer in (None, PREFER_NOT_TO_SAY) else answer
            counts[question][category] = counts[question].get(category, 0) + 1
    return counts


# -- draws -----------------------------------------------------------------------------------


def selection_profile(profile: PopulationProfile) -> dict[str, dict[str, int]]:
    """The profile's people per category for the quotas: the "about you" questions, 16 and over."""
    shares: dict[str, dict[str, int]] = {}
    for characteristic in profile.characteristics:
        if characteristic not in ABOUT_YOU:
            continue
        counts = dict(profile.counts(characteristic))
        if characteristic == "age_band":
            counts.pop(UNDER_16, None)
        shares[characteristic] = counts
    return shares


def oversample_options(profile: PopulationProfile | None) -> list[tuple[str, str]]:
    """(characteristic, category) pairs a draw may oversample, in the profile's order."""
    if profile is None:
        return []
    return [
        (characteristic, category)
        for characteristic, counts in selection_profile(profile).items()
        for category in counts
    ]


def suggest_seed() -> str:
    """A seed to offer on the draw form: today's date in England and 8 random hex digits."""
    return f"{england_today().isoformat()}-{secrets.token_hex(4)}"


def _require(me: StaffUser, doing: str) -> None:
    if not me.may(Role.FACILITATOR):
        raise PanelError("", f"Your role ({me.role.value}) cannot {doing}")


def _check_draw(title: str, purpose: str, panel_size: int, seed: str, reserves: int) -> None:
    if not title:
        raise PanelError("title", "Enter a title, like Citizens' Jury, spring 2027")
    if len(title) > TITLE_LENGTH:
        raise PanelError("title", f"Use {TITLE_LENGTH} characters or fewer")
    if purpose not in {p.value for p in Purpose}:
        raise PanelError("purpose", "Choose whether this is a jury or an assembly")
    low, high = PANEL_SIZES
    if not low <= panel_size <= high:
        raise PanelError("panel_size", f"Enter a panel size from {low} to {high}")
    if not seed:
        raise PanelError("seed", "Enter the seed you published before the draw")
    if len(seed) > SEED_LENGTH or not seed.isprintable():
        raise PanelError("seed", f"Use up to {SEED_LENGTH} letters, digits, spaces or symbols")
    if not 0 <= reserves <= MAX_RESERVES:
        raise PanelError("reserves", f"Enter a number of reserves from 0 to {MAX_RESERVES}")


def _reserve_order(seed: str, numbers: Iterable[str]) -> list[str]:
    return sorted(numbers, key=lambda n: hashlib.sha256(f"{seed}\n{n}".encode()).hexdigest())


def run_selection(
    pool: Iterable[PanelVolunteer],
    quotas: Iterable[Any],
    panel_size: int,
    seed: str,
    reserves: int = 0,
) -> dict[str, Any]:
    """The report of one draw: `select_panel`'s, plus the lottery and the reserves.

    Computed as `hub.assembly.selection.select_panel` does (the same
    distribution, draw and make-up), keeping the distribution it does not return.
    Raises `Infeasible`.
    """
    volunteers = [Volunteer(v.number, features(v)) for v in pool]
    rules = sorted(quotas)
    distribution = find_distribution(volunteers, rules, panel_size)
    panel = draw(distribution, seed)
    chosen = [v for v in volunteers if v.id in panel]
    report = SelectionReport(
        seed=seed,
        panel_size=panel_size,
        quotas=tuple(rules),
        panel=tuple(sorted(panel)),
        make_up=tuple(
            QuotaOutcome(
                quota,
                in_panel=sum(quota.admits(v) for v in chosen),
                in_pool=sum(quota.admits(v) for v in volunteers),
            )
            for quota in rules
        ),
        probabilities=distribution.probabilities,
        minimum_probability=distribution.minimum,
        support_size=len(distribution.panels),
        unreachable=distribution.unreachable,
    )
    data = report.as_dict()
    data["pool_size"] = len(volunteers)
    data["distribution"] = [
        {"panel": list(ids), "probability": probability}
        for ids, probability in zip(
            distribution.panels, distribution.panel_probabilities, strict=True
        )
    ]
    unreachable = set(distribution.unreachable)
    others = [v.id for v in volunteers if v.id not in panel and v.id not in unreachable]
    data["reserves"] = _reserve_order(seed, others)[:reserves]
    data["reserve_method"] = RESERVE_METHOD
    return data


def draw_panel(
    db: Session,
    me: StaffUser,
    *,
    title: str,
    purpose: str,
    panel_size: int,
    seed: str,
    profile: PopulationProfile | None,
    oversample: Iterable[tuple[str, str]] = (),
    factor: float = DEFAULT_OVERSAMPLE_FACTOR,
    reserves: int = 0,
) -> PanelDraw:
    """Draw a jury or assembly from the pool now, and store it with its report (facilitators).

    Raises `PanelError` for a mistake in the form, `DrawInfeasible` (nothing
    stored) when no panel of this size meets the quotas with this pool.
    """
    _require(me, "draw panels")
    title, seed = " ".join(title.split()), seed.strip()
    _check_draw(title, purpose, panel_size, seed, reserves)
    if profile is None:
        raise PanelError(
            "",
            "The hub has no population profile, so there is nothing to take the quotas from: "
            "an admin imports one first (hubnet hub profile import)",
        )
    people = selection_profile(profile)
    chosen = sorted(set(oversample))
    allowed = set(oversample_options(profile))
    if any(pair not in allowed for pair in chosen):
        raise PanelError("oversample", "Choose groups to oversample from the list")
    try:
        quotas = quotas_from_profile(
            people,
            panel_size,
            oversample={pair: factor for pair in chosen},
            slack=QUOTA_SLACK,
        )
    except ValueError as error:
        raise PanelError("oversample", f"These groups cannot all be oversampled: {error}") from None
    pool = active_volunteers(db)
    try:
        report = run_selection(pool, quotas, panel_size, seed, reserves)
    except Infeasible as error:
        raise DrawInfeasible(error.reasons) from None
    drawn = PanelDraw(
        title=title,
        purpose=Purpose(purpose),
        panel_size=panel_size,
        seed=seed,
        quotas=json.dumps(
            [
                {
                    "characteristic": q.characteristic,
                    "category": q.category,
                    "minimum": q.minimum,
                    "maximum": q.maximum,
                }
                for q in sorted(quotas)
            ]
        ),
        oversample=json.dumps(
            [{"characteristic": c, "category": k, "factor": factor} for c, k in chosen]
        ),
        report=json.dumps(report, ensure_ascii=False),
        status=DrawStatus.DRAWN,
        drawn_at=utcnow(),
        drawn_by_id=me.id,
    )
    db.add(drawn)
    db.flush()
    by_number = {v.number: v for v in pool}
    for number in report["panel"]:
        db.add(PanelMember(draw_id=drawn.id, volunteer_id=by_number[number].id, reserve=False))
    for number in report["reserves"]:
        db.add(PanelMember(draw_id=drawn.id, volunteer_id=by_number[number].id, reserve=True))
    db.flush()
    record_action(
        db,
        me,
        "panel-drawn",
        f"panel-draw:{drawn.id}",
        f"{title}: {panel_size} of {len(pool)} volunteers, seed {seed!r}, "
        f"{len(report['reserves'])} reserves",
    )
    return drawn


def list_draws(db: Session) -> list[PanelDraw]:
    """Every draw, newest first."""
    return list(
        db.scalars(select(PanelDraw).order_by(PanelDraw.drawn_at.desc(), PanelDraw.id.desc()))
    )


def get_draw(db: Session, draw_id: int) -> PanelDraw | None:
    return db.get(PanelDraw, draw_id)


def panel_members(db: Session, draw_id: int) -> list[PanelMember]:
    """A draw's members by number, then its reserves in the order they are asked."""
    members = list(db.scalars(select(PanelMember).where(PanelMember.draw_id == draw_id)))
    panel = sorted((m for m in members if not m.reserve), key=lambda m: m.volunteer.number)
    reserves = sorted((m for m in members if m.reserve), key=lambda m: m.id)
    return panel + reserves
