"""Listing and adding local themes. Services take a session and never commit."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hub.themes.models import LocalTheme

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def list_themes(session: Session) -> list[LocalTheme]:
    """Every local theme, by name."""
    return list(session.scalars(select(LocalTheme).order_by(LocalTheme.name)))


def find_theme(session: Session, slug: str) -> LocalTheme | None:
    """The local theme with this slug, or None."""
    return session.scalar(select(LocalTheme).where(LocalTheme.slug == slug))


def national_name(code: str) -> str:
    """The national theme's display name for a code of the current taxonomy."""
    return load_taxonomy(CURRENT_VERSION).name_of(code)


def add_local_theme(session: Session, slug: str, name: str, national_code: str) -> LocalTheme:
    """Add a local theme mapped onto a national code; ValueError says what is wrong."""
    slug, name = slug.strip(), " ".join(name.split())
    if not SLUG.fullmatch(slug) or len(slug) > 60:
        raise ValueError(
            f"slug {slug!r} must be 1–60 lower-case letters, digits and single hyphens, "
            "e.g. hospital-discharge"
        )
    if not 2 <= len(name) <= 80:
        raise ValueError(f"name must be 2–80 characters (got {len(name)})")
    taxonomy = load_taxonomy(CURRENT_VERSION)
    if national_code not in taxonomy.codes:
        raise ValueError(
            f"{national_code!r} is not a national theme code in {CURRENT_VERSION}; "
            f"use one of: {', '.join(taxonomy.codes)} (use 'other' when nothing fits)"
        )
    if find_theme(session, slug) is not None:
        raise ValueError(f"a local theme with slug {slug!r} already exists")
    theme = LocalTheme(slug=slug, name=name, national_code=national_code)
    session.add(theme)
    session.flush()
    return theme
