"""Comments and reports on the item page: moderated like items, CSRF on every form."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Comment, Contribution, Report, Status
from hub.gather.services import add_comment
from tests.hub.conftest import person, raise_item
from tests.hub.gather_helpers import csrf_token


def count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model)) or 0


def published_item(db: Session) -> Contribution:
    item = raise_item(db, person(db))
    db.commit()
    return item


def comment(client: FlaskClient, item: Contribution, body: str) -> object:
    path = f"/contributions/{item.id}"
    return client.post(
        f"{path}/comments", data={"body": body, "csrf_token": csrf_token(client, path)}
    )


def test_under_pre_moderation_a_comment_waits_and_its_author_is_told(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    item = published_item(db)

    response = comment(client, item, "The same happens at my surgery.")

    assert response.status_code == 302
    mine = client.get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "will be shown once a moderator has read it" in mine
    assert "Your comment is waiting for a moderator" in mine
    theirs = app.test_client().get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "The same happens at my surgery." not in theirs
    assert "No comments yet." in theirs
    db.rollback()
    assert db.scalars(select(Comment)).one().status is Status.PENDING


def test_under_post_moderation_a_comment_is_shown_at_once(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    app.config["MODERATION"] = "post"
    item = published_item(db)

    comment(client, item, "The same happens at my surgery.")

    page = app.test_client().get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "The same happens at my surgery." in page.split('id="comments"')[1]


def test_an_empty_comment_shows_the_page_again_with_a_linked_error(
    client: FlaskClient, db: Session
) -> None:
    item = published_item(db)

    response = comment(client, item, "   ")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a href="#comment-body">Enter your comment</a>' in page
    assert 'id="comment-body-error"' in page
    assert count(db, Comment) == 0


def test_a_comment_form_without_the_token_is_refused(app: Flask, db: Session) -> None:
    item = published_item(db)

    response = app.test_client().post(f"/contributions/{item.id}/comments", data={"body": "Hi!"})

    assert response.status_code == 400
    assert count(db, Comment) == 0


def test_nobody_can_comment_on_an_item_that_is_not_on_show(
    client: FlaskClient, db: Session
) -> None:
    item = raise_item(db, person(db), publish=False)
    db.commit()
    token = csrf_token(client)

    response = client.post(
        f"/contributions/{item.id}/comments", data={"body": "Hello there", "csrf_token": token}
    )

    assert response.status_code == 404
    assert count(db, Comment) == 0


def test_reporting_an_item_records_it_once_per_person(client: FlaskClient, db: Session) -> None:
    item = published_item(db)
    path = f"/report/contribution/{item.id}"

    form = client.get(path).get_data(as_text=True)
    token = csrf_token(client, path)
    first = client.post(path, data={"reason": "It names a nurse", "csrf_token": token})
    again = client.post(path, data={"reason": "", "csrf_token": token})

    assert "<h1>Report a concern</h1>" in form
    assert first.status_code == again.status_code == 302
    assert "You have already reported this" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )
    db.rollback()
    (only,) = db.scalars(select(Report)).all()
    assert (only.contribution_id, only.reason) == (item.id, "It names a nurse")


def test_three_peoples_reports_hide_an_item(app: Flask, db: Session) -> None:
    item = published_item(db)
    path = f"/report/contribution/{item.id}"

    for _ in range(3):
        someone = app.test_client()
        someone.post(path, data={"csrf_token": csrf_token(someone, path)})

    assert app.test_client().get(f"/contributions/{item.id}").status_code == 404
    db.rollback()
    assert db.get(Contribution, item.id).hidden_at is not None  # type: ignore[union-attr]


def test_a_comment_can_be_reported_from_the_item_page(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    item = raise_item(db, person(db))
    shown = add_comment(
        db, contribution=item, participant=person(db), body="Call me on 07700 900123", publish=True
    )
    db.commit()

    page = client.get(f"/contributions/{item.id}").get_data(as_text=True)
    path = f"/report/comment/{shown.id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})

    assert f'href="{path}"' in page
    assert response.status_code == 302
    db.rollback()
    assert db.scalars(select(Report)).one().comment_id == shown.id


def test_a_long_report_reason_is_refused_and_nothing_stored(
    client: FlaskClient, db: Session
) -> None:
    item = published_item(db)
    path = f"/report/contribution/{item.id}"

    response = client.post(
        path, data={"reason": "x" * 1001, "csrf_token": csrf_token(client, path)}
    )

    assert response.status_code == 400
    assert "Use 1,000 characters or fewer (yours has 1,001)" in response.get_data(as_text=True)
    assert count(db, Report) == 0


def test_text_people_typed_is_escaped(app: Flask, client: FlaskClient, db: Session) -> None:
    app.config["MODERATION"] = "post"
    item = published_item(db)
    payload = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"

    comment(client, item, payload)

    page = client.get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
