"""Ids past the database's range and NUL characters are refused alike on SQLite and
PostgreSQL (`hubnet/guards.py`): a 404 or a 400, never a database error."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Comment
from tests.hub.conftest import person, raise_item
from tests.hub.gather_helpers import csrf_token


@pytest.mark.parametrize(
    "path", ["/contributions/99999999999", "/api/v1/contributions/99999999999"]
)
def test_an_id_no_row_can_have_is_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_nul_character_in_a_page_query_is_a_400(client: FlaskClient) -> None:
    response = client.get("/contributions?q=%00")

    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_a_nul_character_in_a_form_is_a_400_and_stores_nothing(
    client: FlaskClient, db: Session
) -> None:
    item = raise_item(db, person(db))
    db.commit()

    path = f"/contributions/{item.id}"
    token = csrf_token(client, path)

    response = client.post(f"{path}/comments", data={"body": "hi\x00there", "csrf_token": token})

    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Comment)) == 0
