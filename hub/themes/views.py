"""The themes a person can choose from, as JSON; and the admins' pages to manage them.

`/staff/themes` (admins): every local theme with the national theme it counts
under; add one, rename it, re-map it to another national theme, retire it (no
longer offered for new items) or bring it back. Each change is in the staff
activity log.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from hub.staff.auth import not_found, signed_in_staff, staff_required
from hub.staff.models import Role
from hub.themes.models import LocalTheme
from hub.themes.schemas import theme_json
from hub.themes.services import (
    ThemeError,
    add_local_theme,
    list_themes,
    national_name,
    national_themes,
    restore_theme,
    retire_theme,
    update_theme,
)
from hubnet.db import get_session

api = Blueprint("themes_api", __name__, url_prefix="/api/v1")
pages = Blueprint("themes", __name__, url_prefix="/staff/themes")


@api.get("/themes")
def api_themes() -> Response:
    """Every local theme people may choose, with the national theme it counts under."""
    return jsonify(items=[theme_json(theme) for theme in list_themes(get_session())])


def _index_page(values: dict[str, str], errors: dict[str, list[str]], status: int) -> Response:
    page = render_template(
        "themes/index.html",
        themes=list_themes(get_session(), include_retired=True),
        national=national_themes(),
        national_name=national_name,
        values=values,
        errors=errors,
    )
    return Response(page, status=status)


def _theme_page(
    theme: LocalTheme, values: dict[str, str], errors: dict[str, list[str]], status: int
) -> Response:
    page = render_template(
        "themes/theme.html",
        theme=theme,
        national=national_themes(),
        national_name=national_name,
        values=values,
        errors=errors,
    )
    return Response(page, status=status)


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


@pages.get("")
@staff_required(Role.ADMIN)
def staff_index() -> Response:
    """Every local theme and its national theme, and the form to add one."""
    return _index_page({}, {}, 200)


@pages.post("")
@staff_required(Role.ADMIN)
def add() -> BaseResponse:
    """Add a local theme mapped to a national theme."""
    values = _form("name", "slug", "national_code")
    db = get_session()
    try:
        theme = add_local_theme(
            db, values["slug"], values["name"], values["national_code"], staff=signed_in_staff()
        )
    except ThemeError as error:
        db.rollback()
        return _index_page(values, {error.field: [str(error)]}, 400)
    db.commit()
    flash(f"Added the theme “{theme.name}”, counted under {national_name(theme.national_code)}.")
    return redirect(url_for("themes.staff_index"))


@pages.get("/<int:theme_id>")
@staff_required(Role.ADMIN)
def edit(theme_id: int) -> Response:
    """One theme: rename, re-map, retire or bring back."""
    theme = get_session().get(LocalTheme, theme_id)
    if theme is None:
        return not_found()
    return _theme_page(theme, {"name": theme.name, "national_code": theme.national_code}, {}, 200)


@pages.post("/<int:theme_id>")
@staff_required(Role.ADMIN)
def update(theme_id: int) -> BaseResponse:
    """Save a new name and/or national theme."""
    db = get_session()
    theme = db.get(LocalTheme, theme_id)
    if theme is None:
        return not_found()
    values = _form("name", "national_code")
    try:
        changed = update_theme(
            db,
            theme,
            name=values["name"],
            national_code=values["national_code"],
            staff=signed_in_staff(),
        )
    except ThemeError as error:
        db.rollback()
        theme = db.get(LocalTheme, theme_id)
        assert theme is not None
        return _theme_page(theme, values, {error.field: [str(error)]}, 400)
    db.commit()
    flash(
        f"Saved: the theme is {' and '.join(changed)}." if changed else "Nothing needed changing."
    )
    return redirect(url_for("themes.staff_index"))


def _retire_or_restore(theme_id: int, retire: bool) -> BaseResponse:
    db = get_session()
    theme = db.get(LocalTheme, theme_id)
    if theme is None:
        return not_found()
    try:
        done = (retire_theme if retire else restore_theme)(db, theme, staff=signed_in_staff())
    except ThemeError as error:
        db.rollback()
        flash(f"Not done: {error}.")
        return redirect(url_for("themes.edit", theme_id=theme_id))
    db.commit()
    if not done:
        flash("Nothing needed changing.")
    elif retire:
        flash(f"Retired “{theme.name}”: it is no longer offered for new items.")
    else:
        flash(f"“{theme.name}” is offered for new items again.")
    return redirect(url_for("themes.staff_index"))


@pages.post("/<int:theme_id>/retire")
@staff_required(Role.ADMIN)
def retire(theme_id: int) -> BaseResponse:
    """Stop offering a theme for new items (its items keep it)."""
    return _retire_or_restore(theme_id, True)


@pages.post("/<int:theme_id>/restore")
@staff_required(Role.ADMIN)
def restore(theme_id: int) -> BaseResponse:
    """Offer a retired theme again."""
    return _retire_or_restore(theme_id, False)
