"""The public federation status page: what this hub sent, and whether the national log holds up.

Read-only and public: it shows outbox counts, log checkpoints and alarms,
none of which holds anything about a person (summaries are counts only).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from federation.keys import key_id, load_public_key
from hub.audit.models import Alarm
from hub.audit.services import age_text, alarm_evidence, federation_status
from hub.db import utcnow
from hubnet.config import instance_file
from hubnet.db import get_session

pages = Blueprint("audit", __name__)


def _keyid(setting: str) -> str | None:
    path: Path = instance_file(current_app, current_app.config[setting])
    try:
        return key_id(load_public_key(path))
    except (OSError, ValueError):
        return None


def evidence_summary(alarm: Alarm) -> list[tuple[str, str]]:
    """A few labelled facts from an alarm's evidence, for people rather than machines."""
    evidence = alarm_evidence(alarm)
    facts: list[tuple[str, str]] = []
    for label, name in (("Last verified", "last_verified"), ("Last cosigned", "last_cosigned")):
        if isinstance(evidence.get(name), dict):
            facts.append((f"{label} checkpoint", _checkpoint_text(evidence[name])))
    if isinstance(evidence.get("new"), dict):
        facts.append(("Conflicting checkpoint", _checkpoint_text(evidence["new"])))
    if evidence.get("log_index") is not None:
        facts.append(("Log index", str(evidence["log_index"])))
    if evidence.get("seq") is not None:
        facts.append(("Seq", str(evidence["seq"])))
    for label, name in (("Our envelope", "ours"), ("The log's envelope", "theirs")):
        value = evidence.get(name)
        if isinstance(value, dict):
            value = value.get("envelope")
        if isinstance(value, str):
            facts.append((label, f"{len(base64.b64decode(value))} bytes, kept"))
    if evidence.get("reason"):
        facts.append(("Reason", str(evidence["reason"])))
    return facts


def _checkpoint_text(checkpoint: dict[str, Any]) -> str:
    return f"size {checkpoint.get('size')}, root {checkpoint.get('root')}"


@pages.get("/federation")
def federation_page() -> str:
    """Where this hub's summaries went, and whether the national log is consistent."""
    now = utcnow()
    status = federation_status(get_session(), now=now)
    return render_template(
        "audit/federation.html",
        status=status,
        now=now,
        aggregator_url=current_app.config.get("AGGREGATOR_URL"),
        aggregator_keyid=_keyid("AGGREGATOR_PUBLIC_KEY"),
        hub_keyid=_hub_keyid(),
        age_text=age_text,
        evidence_summary=evidence_summary,
    )


def _hub_keyid() -> str | None:
    private: Path = instance_file(current_app, current_app.config["PRIVATE_KEY"])
    try:
        return key_id(load_public_key(private.with_suffix(".pub")))
    except (OSError, ValueError):
        return None


@pages.get("/federation/alarms/<int:alarm_id>.json")
def alarm_json(alarm_id: int) -> Response:
    """One alarm with its full evidence (signed checkpoints, envelopes), as JSON."""
    alarm = get_session().get(Alarm, alarm_id)
    if alarm is None:
        return Response(render_template("not_found.html"), status=404)
    return jsonify(
        id=alarm.id,
        kind=alarm.kind.value,
        detail=alarm.detail,
        created_at=alarm.created_at.isoformat(),
        resolved_at=None if alarm.resolved_at is None else alarm.resolved_at.isoformat(),
        resolution=alarm.resolution,
        evidence=alarm_evidence(alarm),
    )
