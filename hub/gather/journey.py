"""The raise journey: one question per page, the answers kept as a draft until sent.

The draft is a `RaiseDraft` row whose random id is in the session cookie (the
answers themselves would not fit in a cookie). Each step checks only its own
answers and saves them in the draft;
"check your answers" shows them all with a change link per step, and sending
stores the item with `raise_contribution` (which checks everything again). A
step reached before the ones it depends on sends the person back to the first
unanswered one. The ward step is left out when the hub has no wards.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import session
from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import ABOUT_YOU, Kind, RaiseDraft, Ward
from hub.gather.schemas import KIND_CHOICE, WARD_CHOICE, ContributionInputSchema, check_about_you
from hub.themes.services import usable_theme

DRAFT = "raise_draft"  # session key: the draft's id
DRAFT_LIFETIME = timedelta(days=1)  # unsent drafts are deleted after this
AGREE_VALUES = "Confirm that what you send keeps to the values"
CONSENT_CHOICE = "Choose yes or no"


@dataclass(frozen=True)
class Step:
    slug: str
    title: str  # the question, as the page's h1 and the check page's key
    fields: tuple[str, ...]  # draft keys this step sets


STEPS = (
    Step("kind", "What would you like to raise?", ("kind",)),
    Step("theme", "What is it about?", ("theme",)),
    Step("details", "Tell us about it", ("title", "body")),
    Step("ward", "Where is it about?", ("ward",)),
    Step("values", "Our values", ("values",)),
    Step("about-you", "About you", ABOUT_YOU),
    Step("consent", "May we share a quote from it?", ("quote_consent",)),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)
OPTIONAL = {"ward", "about-you"}  # answered by going past them, even with nothing chosen


def _row(db: Session) -> RaiseDraft | None:
    draft_id = session.get(DRAFT)
    if not isinstance(draft_id, str):
        return None
    row = db.get(RaiseDraft, draft_id)
    if row is None or row.updated_at < utcnow() - DRAFT_LIFETIME:
        return None
    return row


def draft(db: Session) -> dict[str, Any]:
    """The person's answers so far (empty if they have none, or left them for a day)."""
    row = _row(db)
    if row is None:
        return {}
    answers: dict[str, Any] = json.loads(row.answers)
    return answers


def save(db: Session, answers: Mapping[str, Any], step: str) -> None:
    """Add this step's answers to the draft (making one if need be); the caller commits.

    Also deletes drafts nobody has touched for a day: they hold what people typed.
    """
    now = utcnow()
    db.execute(delete(RaiseDraft).where(RaiseDraft.updated_at < now - DRAFT_LIFETIME))
    current = draft(db)
    current.update(answers)
    current["_done"] = sorted({*current.get("_done", []), step})
    row = _row(db)
    if row is None:
        row = RaiseDraft(id=secrets.token_hex(16))
        db.add(row)
        session[DRAFT] = row.id
    row.answers = json.dumps(current)
    row.updated_at = now
    db.flush()


def forget(db: Session) -> None:
    """Delete the draft (once it is sent); the caller commits."""
    row = _row(db)
    if row is not None:
        db.delete(row)
    session.pop(DRAFT, None)


def steps_for(has_wards: bool) -> list[Step]:
    return [step for step in STEPS if has_wards or step.slug != "ward"]


def first_missing(answers: Mapping[str, Any], steps: list[Step]) -> Step | None:
    """The first step not yet answered, or None when the draft is complete."""
    done = set(answers.get("_done", []))
    return next((step for step in steps if step.slug not in done), None)


def check_step(
    db: Session, step: str, form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The answers this step's form gives, and the errors keyed by form field."""
    if step == "kind":
        kind = form.get("kind", "")
        if kind not in {k.value for k in Kind}:
            return {}, {"kind": [KIND_CHOICE]}
        return {"kind": kind}, {}
    if step == "theme":
        theme = form.get("theme", "").strip()
        if not theme:
            return {}, {"theme": ["Choose a theme"]}
        if usable_theme(db, theme) is None:
            return {}, {"theme": ["Choose a theme from the list"]}
        return {"theme": theme}, {}
    if step == "details":
        raw = {"title": form.get("title", ""), "body": form.get("body", "")}
        schema = ContributionInputSchema(only=("title", "body"))
        errors = schema.validate(raw)
        answers = {"title": raw["title"].strip(), "body": raw["body"].strip()}
        return answers, errors
    if step == "ward":
        code = form.get("ward", "").strip()
        if code and db.get(Ward, code) is None:
            return {"ward": ""}, {"ward": [WARD_CHOICE]}
        return {"ward": code}, {}
    if step == "values":
        if form.get("values") != "agree":
            return {}, {"values": [AGREE_VALUES]}
        return {"values": "agree"}, {}
    if step == "about-you":
        given = {name: form.get(name, "") for name in ABOUT_YOU}
        _chosen, errors = check_about_you(given)
        # form fields are named by the question; the service's keys are about_you.<question>
        return given, {key.removeprefix("about_you."): value for key, value in errors.items()}
    if step == "consent":
        answer = form.get("quote_consent", "")
        if answer not in {"yes", "no"}:
            return {}, {"quote_consent": [CONSENT_CHOICE]}
        return {"quote_consent": answer}, {}
    raise KeyError(step)
