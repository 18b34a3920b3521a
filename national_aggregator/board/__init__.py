"""Board responses (issue 7): the board's answers to national priorities, signed, logged, pushed.

`models.py` stores each signed version and the outbox of pushes to hubs;
`services.py` records responses and updates (signed by the log key, appended
to the log in the same transaction) and reads them back; `views.py` has the
board secretary's pages, the public pages (/board, /board/responses/<id>,
/stocktake, /board/feed.atom) and the JSON API (/api/v1/board/…); `cli.py`
has `hubnet aggregator board list|notify`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from national_aggregator.board import views
    from national_aggregator.home import add_nav_link
    from national_aggregator.staff import Role, add_staff_task

    app.register_blueprint(views.pages)
    app.register_blueprint(views.staff_pages)
    app.register_blueprint(views.api)
    add_nav_link(app, "What the board said", "board.board_page")
    add_nav_link(app, "Stocktake", "board.stocktake_page")
    add_staff_task(
        app,
        "Record the board's response to a priority",
        "board_staff.new_response",
        Role.BOARD_SECRETARY,
    )
    add_staff_task(
        app,
        "Update a board response (progress, due date, owner)",
        "board_staff.responses",
        Role.BOARD_SECRETARY,
    )
