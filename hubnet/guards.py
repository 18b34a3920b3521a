"""Requests that no database could answer get a 404 or a 400, never a database error.

PostgreSQL's `integer` columns stop at 2³¹−1 and its text cannot hold a NUL
character; SQLite takes both. So `/contributions/99999999999` or `?q=%00`
would be a 500 on the production database and a normal answer on the
embedded one. Both apps call `init_app`: an id in the URL past the range is
a 404 (no such thing can exist), and a NUL in a page's query string or form
is a 400. The JSON APIs name the offending field themselves (their own
checks run in their views), so the NUL check leaves `/api/` alone.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

MAX_DATABASE_INT = 2**31 - 1


def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for value in (values or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_DATABASE_INT:
            abort(404)


def _no_nul_characters() -> None:
    if request.path.startswith("/api/"):
        return
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, "Remove the NUL character (\\u0000) from what you sent.")


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_ids_in_range)
    app.before_request(_no_nul_characters)
