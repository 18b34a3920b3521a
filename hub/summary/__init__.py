"""Summary: the anonymised, disclosure-controlled `summary/1` release for a period.

`services` counts in SQL and prepares (once) the stored release; `preview`
and `views` show it cell by cell to the hub's admins before it is sent.
"""

from __future__ import annotations

from flask import Flask

from hub.summary.views import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
