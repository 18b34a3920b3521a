"""Local themes as the API shows them."""

from __future__ import annotations

from typing import Any

from hub.themes.models import LocalTheme
from hub.themes.services import national_name


def theme_json(theme: LocalTheme) -> dict[str, Any]:
    return {
        "slug": theme.slug,
        "name": theme.name,
        "national_code": theme.national_code,
        "national_name": national_name(theme.national_code),
    }
