"""Local themes: list, add, rename, re-map, retire. Services take a session and never commit.

Every change is written to the staff audit log (`staff` is None for a command
run by whoever runs the hub). Re-mapping a theme moves every item in it, past
ones included, to the new national theme from the next summary on: the
summary counts by each theme's current national code. Retiring a theme stops
it being offered for new items; its items keep it and keep counting.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hub.db import utcnow
from hub.staff.audit import record_action
from hub.staff.models import StaffUser
from hub.themes.models import LocalTheme

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ThemeError(ValueError):
    """A theme change that cannot be made; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def list_themes(session: Session, *, include_retired: bool = False) -> list[LocalTheme]:
    """Local themes by name: those people may choose (and, if asked, the retired ones too)."""
    query = select(LocalTheme).order_by(LocalTheme.name)
    if not include_retired:
        query = query.where(LocalTheme.retired_at.is_(None))
    return list(session.scalars(query))


def find_theme(session: Session, slug: str) -> LocalTheme | None:
    """The local theme with this slug (retired or not), or None."""
    return session.scalar(select(LocalTheme).where(LocalTheme.slug == slug))


def usable_theme(session: Session, slug: str) -> LocalTheme | None:
    """The theme with this slug if people may choose it for something new (not retired)."""
    theme = find_theme(session, slug)
    return None if theme is None or theme.retired_at is not None else theme


def national_name(code: str) -> str:
    """The national theme's display name for a code of the current taxonomy."""
    return load_taxonomy(CURRENT_VERSION).name_of(code)


def national_themes() -> list[tuple[str, str]]:
    """(code, name) of every national theme of the current taxonomy, in its order."""
    taxonomy = load_taxonomy(CURRENT_VERSION)
    return [(code, taxonomy.name_of(code)) for code in taxonomy.codes]


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not 2 <= len(name) <= 80:
        raise ThemeError("name", f"name must be 2–80 characters (got {len(name)})")
    return name


def _check_national(national_code: str) -> str:
    taxonomy = load_taxonomy(CURRENT_VERSION)
    if national_code not in taxonomy.codes:
        raise ThemeError(
            "national_code",
            f"{national_code!r} is not a national theme code in {CURRENT_VERSION}; "
            f"use one of: {', '.join(taxonomy.codes)} (use 'other' when nothing fits)",
        )
    return national_code


def add_local_theme(
    session: Session,
    slug: str,
    name: str,
    national_code: str,
    *,
    staff: StaffUser | None = None,
) -> LocalTheme:
    """Add a local theme mapped onto a national code; ThemeError (a ValueError) says why not."""
    slug = slug.strip()
    if not SLUG.fullmatch(slug) or len(slug) > 60:
        raise ThemeError(
            "slug",
            f"slug {slug!r} must be 1–60 lower-case letters, digits and single hyphens, "
            "e.g. hospital-discharge",
        )
    name = _clean_name(name)
    _check_national(national_code)
    if find_theme(session, slug) is not None:
        raise ThemeError("slug", f"a local theme with slug {slug!r} already exists")
    theme = LocalTheme(slug=slug, name=name, national_code=national_code)
    session.add(theme)
    session.flush()
    record_action(
        session, staff, "theme-added", f"theme:{theme.slug}", f"{name} under {national_code}"
    )
    return theme


def update_theme(
    session: Session, theme: LocalTheme, *, name: str, national_code: str, staff: StaffUser | None
) -> list[str]:
    """Rename and/or re-map a theme; returns what changed ("renamed", "re-mapped")."""
    name = _clean_name(name)
    _check_national(national_code)
    changed = []
    if name != theme.name:
        record_action(
            session, staff, "theme-renamed", f"theme:{theme.slug}", f"{theme.name} to {name}"
        )
        theme.name = name
        changed.append("renamed")
    if national_code != theme.national_code:
        record_action(
            session,
            staff,
            "theme-remapped",
            f"theme:{theme.slug}",
            f"{theme.national_code} to {national_code}",
        )
        theme.national_code = national_code
        changed.append("re-mapped")
    session.flush()
    return changed


def retire_theme(session: Session, theme: LocalTheme, *, staff: StaffUser | None) -> bool:
    """Stop offering a theme for new items (False if it was already retired)."""
    if theme.retired_at is not None:
        return False
    if len(list_themes(session)) <= 1:
        raise ThemeError("theme", "This is the last theme people can choose: add another first")
    theme.retired_at = utcnow()
    record_action(session, staff, "theme-retired", f"theme:{theme.slug}", theme.name)
    return True


def restore_theme(session: Session, theme: LocalTheme, *, staff: StaffUser | None) -> bool:
    """Offer a retired theme for new items again (False if it was not retired)."""
    if theme.retired_at is None:
        return False
    theme.retired_at = None
    record_action(session, staff, "theme-restored", f"theme:{theme.slug}", theme.name)
    return True
