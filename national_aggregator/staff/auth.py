"""Who is signed in, and the decorator every page that writes is behind.

`staff_required(*roles)` lets through signed-in staff holding one of `roles`
(any member of staff when none is given; admin always); someone not signed in
is sent to /staff/login (and back after, for a page they asked for), signed-in
staff without the role get a 403 page. Other features use it like this:

    from national_aggregator.staff import Role, signed_in_staff, staff_required

    @blueprint.post("/board/responses")
    @staff_required(Role.BOARD_SECRETARY)
    def record_response() -> ...:
        record_action(db, signed_in_staff(), "board-response-recorded", "priority:gp-access")

The browser's signed session cookie holds only a random token; the sign-in
itself is a `staff_session` row, so signing out ends it for good, and it ends
by itself `NATIONAL_STAFF_SESSION_HOURS` (8) after signing in. Every staff
page is sent with `Cache-Control: no-store`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from hubnet.db import get_session
from national_aggregator.staff.models import Role, StaffUser
from national_aggregator.staff.services import session_staff

F = TypeVar("F", bound=Callable[..., Any])

pages = Blueprint("staff", __name__, url_prefix="/staff")

SESSION_KEY = "staff_token"
HOURS_SETTING = "NATIONAL_STAFF_SESSION_HOURS"
_UNSET = object()
_CACHE = "national_aggregator.current_staff"


def session_hours() -> float:
    return float(current_app.config[HOURS_SETTING])


def current_staff() -> StaffUser | None:
    """The active member of staff signed in on this request's browser session, or None."""
    cached = request.environ.get(_CACHE, _UNSET)  # per request (tests may share one app context)
    if cached is not _UNSET:
        return cast(StaffUser | None, cached)
    token = session.get(SESSION_KEY)
    staff = None
    if isinstance(token, str):
        staff = session_staff(get_session(), token, max_age=timedelta(hours=session_hours()))
        if staff is None:
            session.pop(SESSION_KEY, None)
    request.environ[_CACHE] = staff
    return staff


def remember_staff(staff: StaffUser | None) -> None:
    """Set who `current_staff()` answers for the rest of this request (after signing in/out)."""
    request.environ[_CACHE] = staff


def signed_in_staff() -> StaffUser:
    """The member of staff on a page behind `staff_required` (which has already let them in)."""
    staff = current_staff()
    assert staff is not None  # staff_required let the request in
    return staff


def private(response: BaseResponse) -> BaseResponse:
    """Staff pages are for one person: no shared or browser caching."""
    response.headers["Cache-Control"] = "no-store"
    return response


def forbidden() -> Response:
    page = render_template("staff/forbidden.html", roles=_needed_roles())
    return cast(Response, private(make_response(page, 403)))


def _needed_roles() -> list[str]:
    return list(request.environ.get("national_aggregator.staff_roles", []))


def staff_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in staff holding one of `roles` (any staff if none; admin always) may pass.

    Raises ValueError at import for a role that does not exist, so a typo never
    quietly locks everyone but admins out.
    """
    known = {role.value for role in Role}
    unknown = set(roles) - known
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}; roles are {sorted(known)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> BaseResponse:
            staff = current_staff()
            if staff is None:
                target = None
                if request.method in {"GET", "HEAD"}:
                    target = request.full_path.rstrip("?")
                return private(redirect(url_for("staff.login", next=target)))
            if not staff.may(*roles):
                request.environ["national_aggregator.staff_roles"] = [
                    Role(role).value for role in roles
                ]
                return forbidden()
            return private(make_response(view(*args, **kwargs)))

        wrapper.staff_roles = roles  # type: ignore[attr-defined]  # for tests and checks
        return cast(F, wrapper)

    return decorate


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: the sign-in form is no open redirect.

    Refuses anything with a scheme or host, protocol-relative `//host`, and
    backslashes or control characters that browsers may read as `//`.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@pages.app_context_processor
def _staff_globals() -> dict[str, Any]:
    return {"current_staff": current_staff}
