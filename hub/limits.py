"""Rate limits on raising, supporting, commenting, reporting and signing in (issue 5: being built).

Usage: `@limit("raise")` on a view. The names and their settings are in the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])


def limit(name: str) -> Callable[[F], F]:
    """Placeholder: no limit yet."""

    def decorate(view: F) -> F:
        return view

    return decorate


def init_app(app: Flask) -> None:
    """Placeholder until the rate limits land."""
