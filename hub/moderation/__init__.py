"""Moderation and the other staff tools on items: the queue, triage, escalations, status updates.

- `/staff/moderation` (moderators): items and comments waiting for a decision,
  and reported or hidden ones; publish, edit out personal details, reject with
  the value broken (the author is told), restore or remove. The decisions
  themselves are `hub.gather.moderation`'s; this package is the staff pages.
- Criticality and safeguarding escalation, staff only (`contribution_triage`),
  and `/staff/escalations` for moderators and admins.
- `/staff/updates` (moderators, responders): move a published item along its
  public stages with a public note, which its followers are emailed.
- `/staff/assisted` (facilitators, moderators): enter what someone said on
  paper, by phone, at an event or by email, with the channel and their consent.
"""

from __future__ import annotations

from flask import Flask

from hub.moderation.views import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
