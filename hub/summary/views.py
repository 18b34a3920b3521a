"""The staff release preview: `/staff/releases?period=…` (admins only).

Shows, table by table, every cell of a period's stored release: what is
published, what is suppressed and why, and the privacy budget when
differential privacy is on. It reads the same stored release `push` sends, so
the admin sees exactly what will leave. Looking never changes anything: a
period with no release yet offers a button that prepares one (a POST, which
fixes the period's numbers and, with differential privacy on, spends ε).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.ledger import LedgerError
from federation.periods import Period
from hub.db import utcnow
from hub.staff.audit import record_action
from hub.staff.auth import current_staff, staff_required
from hub.summary.models import StoredRelease
from hub.summary.preview import (
    preview_tables,
    privacy_line,
    representation_rows,
    suppressed_by_reason,
)
from hub.summary.services import ReleaseRefused, find_release, prepare_release
from hubnet.db import get_session

pages = Blueprint("releases", __name__, url_prefix="/staff/releases")


def _page(status: int = 200, **context: object) -> Response:
    db = get_session()
    stored = db.scalars(
        select(StoredRelease).order_by(StoredRelease.period_start.desc(), StoredRelease.id.desc())
    ).all()
    context.setdefault("default_period", Period.last_full_month(utcnow().date()).label)
    page = render_template("summary/releases.html", stored=stored, **context)
    return Response(page, status=status)


def _parse(text: str) -> Period | str:
    """The period, or the message for the person who typed it."""
    try:
        return Period.parse(text.strip())
    except ValueError as exc:
        return f"Enter a period such as 2026-10, 2026-Q4 or 2026-10-01/2026-10-31 ({exc})"


@pages.get("")
@staff_required("admin")
def index() -> Response:
    """The stored releases, and one period's release cell by cell (?period=2026-10)."""
    text = request.args.get("period", "").strip()
    if not text:
        return _page()
    period = _parse(text)
    if isinstance(period, str):
        return _page(400, error=period, period_text=text)
    release = find_release(get_session(), period)
    if release is None:
        return _page(period=period, period_text=text)
    return _page(
        period=period,
        period_text=text,
        release=release,
        tables=preview_tables(release),
        representation=representation_rows(release),
        held=suppressed_by_reason(release),
        method=privacy_line(release),
    )


@pages.post("")
@staff_required("admin")
def prepare() -> BaseResponse:
    """Prepare and store a period's release, then show it."""
    text = request.form.get("period", "").strip()
    period = _parse(text)
    if isinstance(period, str):
        return _page(400, error=period, period_text=text)
    db = get_session()
    now = utcnow()
    try:
        release = prepare_release(db, period, current_app.config, today=now.date(), now=now)
        record_action(
            db,
            current_staff(),
            "release-prepared",
            f"release:{period.label}",
            f"{release.mechanism}; ε {release.epsilon or 'none'}",
        )
        db.commit()
    except (ReleaseRefused, LedgerError) as exc:
        db.rollback()
        return _page(409, error=f"No release was prepared: {exc}", period=period, period_text=text)
    flash(f"The release for {period.label} is prepared. `hubnet hub push` sends exactly this.")
    return redirect(url_for("releases.index", period=period.label))
