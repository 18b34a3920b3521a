"""Walking the raise journey's question pages with a Flask test client, as a person would."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

ANSWERS: dict[str, dict[str, str]] = {
    "kind": {"kind": "concern"},
    "theme": {"theme": "gp-access"},
    "details": {
        "title": "Cannot get a GP appointment",
        "body": "I ring at 8am every day and the appointments are gone by 8.15.",
    },
    "ward": {"ward": ""},
    "values": {"values": "agree"},
    "about-you": {},
    "consent": {"quote_consent": "no"},
}


def csrf_token(client: FlaskClient, path: str = "/raise/kind") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"{path} carries a CSRF token"
    return match[1]


def answer(
    client: FlaskClient, step: str, data: Mapping[str, str], *, token: str | None = None
) -> TestResponse:
    """POST one question page with these answers (and the session's CSRF token)."""
    token = token or csrf_token(client, f"/raise/{step}")
    return client.post(f"/raise/{step}", data={**data, "csrf_token": token})


def fill_draft(
    client: FlaskClient, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> None:
    """Answer every question page (the ward page only if the hub offers it)."""
    answers = {**ANSWERS, **(overrides or {})}
    token = csrf_token(client)
    step = "kind"
    for _ in range(len(answers) + 1):
        response = answer(client, step, answers[step], token=token)
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        if location.endswith("/raise/check"):
            return
        step = location.rsplit("/", 1)[1]
    raise AssertionError("the journey never reached check your answers")


def raise_through_pages(
    client: FlaskClient, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> TestResponse:
    """Answer every question, then send from the check page; returns the send response."""
    fill_draft(client, overrides)
    return client.post("/raise/check", data={"csrf_token": csrf_token(client, "/raise/check")})
