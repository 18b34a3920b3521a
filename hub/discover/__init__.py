"""Discover: the directory of existing participation, its Open Referral UK exchange, the gaps.

- `directory`: one entry and its checks; `openreferral`: ORUK 3.0 JSON and CSV;
  `coverage`: groups of people and wards no entry reaches (pure Python);
- `models`, `services`: the entries in the database, import and export;
- `views`: `/staff/discover…` (admins and facilitators change it, moderators read it)
  and the public `/take-part`;
- `cli`: `hubnet hub discover import|export`; `demo`: the demo hubs' entries.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff and public pages."""
    # Imported here, so the pure modules load without Flask views.
    from hub.discover.views import public_pages, staff_pages

    app.register_blueprint(staff_pages)
    app.register_blueprint(public_pages)
