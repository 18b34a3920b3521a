"""Script injection: a payload in every text field of every form never comes back as markup.

The forms are found, not listed: every GET page of the hub (public ones as a
visitor, /staff ones as an admin) is fetched and its HTML forms are parsed. Each
form is sent with the payload in every text input and textarea (other fields
get their first real choice), following a step-by-step journey (question pages,
whose first steps may have no text) until it ends. The JSON API gets the payload in its text fields
too. Then every page is fetched again, as a visitor and as an admin, and none may
hold the payload unescaped; and the escaped payload must show somewhere, so the
test cannot pass by storing nothing.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from hub.gather.journey import STEP_SLUGS
from hub.gather.services import add_comment
from hub.quotes.services import propose
from hub.residents.links import issue_private_link
from hub.routing import services as routing
from hub.staff.auth import SESSION_KEY
from hub.staff.services import start_session
from hub.themes.services import add_local_theme
from tests.hub.conftest import person, raise_item
from tests.hub.cycle_samples import cycle_samples
from tests.hub.staff_helpers import make_staff

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", PAYLOAD]
ESCAPED = str(escape(PAYLOAD))
TEXT_TYPES = {"text", "search", "email", "url", "tel", "password", ""}
# GET rules that are not HTML pages, and why.
NOT_PAGES = {
    "/federation/alarms/<int:alarm_id>.json": "JSON for operators' tools",
    "/branding/logo": "an image",
    "/staff/discover/export.json": "a JSON download",
    "/staff/discover/export.zip": "a zip download",
    "/panels/draws/<int:draw_id>.json": "a JSON download",
}
# Forms not sent, and why (method, path prefix).
NOT_SENT = {
    ("post", "/staff/logout"): "signing out would end the admin's crawl",
}
# Rules whose parameters go together: the paths to visit, with {sample} names.
PATHS: dict[str, list[str]] = {
    "/report/<any(contribution, comment):what>/<int:target_id>": [
        "/report/contribution/{contribution_id}",
        "/report/comment/{comment_id}",
    ],
}
MAX_STEPS = 12  # a question-page journey is shorter than this


@dataclass
class Form:
    page: str  # where it was found
    action: str
    method: str
    fields: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return any(
            f["tag"] == "textarea" or (f["tag"] == "input" and f["type"] in TEXT_TYPES)
            for f in self.fields
        )

    def data(self) -> dict[str, Any]:
        """The payload in every text field; the first real choice of every other field."""
        data: dict[str, Any] = {}
        for f in self.fields:
            name, tag, kind = f["name"], f["tag"], f["type"]
            if not name:
                continue
            if tag == "textarea" or (tag == "input" and kind in TEXT_TYPES):
                data[name] = PAYLOAD
            elif (tag == "input" and kind == "hidden") or (tag == "input" and kind == "radio"):
                data.setdefault(name, f["value"])
            elif tag == "input" and kind == "checkbox":
                data.setdefault(name, f["value"] or "on")
            elif tag == "input" and kind == "number":
                data[name] = "1"
            elif tag == "input" and kind == "date":
                data[name] = "2026-10-15"
            elif tag == "select":
                choices = [value for value in f["options"] if value]
                if choices:
                    data[name] = choices[0]
        return data


class FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "button"):
            kind = (a.get("type") or ("text" if tag == "input" else "")).lower()
            if tag == "button" or kind == "submit":
                return
            self._form.fields.append(
                {"tag": tag, "type": kind, "name": a.get("name", ""), "value": a.get("value", "")}
            )
        elif tag == "select":
            self._select = {"tag": "select", "type": "", "name": a.get("name", ""), "options": []}
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(page: str, html: str) -> list[Form]:
    parser = FormParser(page)
    parser.feed(html)
    return parser.forms


@pytest.fixture
def samples(db: Session) -> dict[str, Any]:
    """A value for every URL parameter of a page (a list: each is visited)."""
    author = person(db)
    contribution = raise_item(db, author)
    contribution.quote_consent = True
    quote = propose(db, contribution)
    comment = add_comment(db, contribution=contribution, participant=person(db), body="Me too.")
    theme = add_local_theme(db, "hospital-discharge", "Hospital discharge", "other")
    staff = make_staff(db, "target@example.org", "responder")
    link = issue_private_link(db, author)
    router = make_staff(db, "router@example.org", "moderator")
    organisation = routing.add_organisation(db, router, "Adult Social Care", "council-department")
    routed = routing.route(db, raise_item(db, person(db), publish=True), organisation, None, router)
    cycle = cycle_samples(db, organisation)
    db.commit()
    return {
        **cycle,
        "routing_id": routed.id,
        "contribution_id": contribution.id,
        "quote_id": quote.id,
        "comment_id": comment.id,
        "theme_id": theme.id,
        "staff_id": staff.id,
        "step": list(STEP_SLUGS),
        # the author's private link; on the account and set-password pages it is a link
        # that is not valid there (those pages then say so)
        "token": link.rsplit("/", 1)[1],
    }


def admin(app: Flask, db: Session) -> FlaskClient:
    """A client signed in as a new admin (no password hashing: fast)."""
    staff = make_staff(db, f"admin-{secrets.token_hex(4)}@example.org", "admin")
    token = start_session(db, staff)
    db.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
    return client


def page_paths(app: Flask, samples: dict[str, Any]) -> list[str]:
    """Every GET page of the hub with its URL parameters filled (a list value: one each)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule in NOT_PAGES:
            continue
        if rule.rule.startswith(("/api/", "/static/")):
            continue
        if rule.rule in PATHS:
            paths.extend(path.format(**samples) for path in PATHS[rule.rule])
            continue
        missing = set(rule.arguments) - set(samples)
        assert not missing, f"{rule.rule}: add a sample for {sorted(missing)}"
        names = sorted(rule.arguments)
        choices = [s if isinstance(s := samples[n], list) else [s] for n in names]
        for combination in itertools.product(*choices):
            built = rule.build(dict(zip(names, combination, strict=True)), append_unknown=False)
            assert built is not None
            paths.append(built[1])
    return sorted(set(paths))


def html_of(response: Any) -> str:
    """The page's HTML ("" for JSON, files and empty redirects: no browser renders those)."""
    return str(response.get_data(as_text=True)) if response.mimetype == "text/html" else ""


def get_html(client: FlaskClient, path: str) -> tuple[str, str]:
    """(final path, HTML) of a GET, following redirects."""
    response = client.get(path, follow_redirects=True)
    return response.request.path, html_of(response)


def send(client: FlaskClient, form: Form, seen: list[tuple[str, str]]) -> None:
    """Send `form`, then each next form of the journey it leads to; collect every HTML seen."""
    for _step in range(MAX_STEPS):
        path = urlsplit(form.action).path
        if form.method == "get":
            response = client.get(path, query_string=form.data())
        else:
            response = client.post(path, data=form.data())
        seen.append((f"{form.method.upper()} {path}", html_of(response)))
        if response.status_code not in (301, 302, 303):
            return
        landed, html = get_html(client, response.headers["Location"])
        seen.append((f"GET {landed} after {path}", html))
        # a journey goes on while the next page asks more under the same first path segment
        section = path.strip("/").split("/")[0]
        onward = [
            f
            for f in forms_on(landed, html)
            if f.method == "post" and urlsplit(f.action).path.strip("/").split("/")[0] == section
        ]
        if not onward or landed.strip("/").split("/")[0] != section:
            return
        form = onward[0]


def test_no_page_shows_an_injected_payload_unescaped(
    app: Flask, db: Session, samples: dict[str, Any]
) -> None:
    app.extensions["hub.limits"].enabled = False  # many forms from one address
    seen: list[tuple[str, str]] = []  # (what was fetched, its HTML)
    sent: list[str] = []

    # the API's text fields
    api = app.test_client()
    for path, body in [
        ("/api/v1/contributions", {"kind": "idea", "theme": "gp-access", "title": PAYLOAD}),
        (f"/api/v1/contributions/{samples['contribution_id']}/comments", {}),
    ]:
        response = api.post(path, json={**body, "body": PAYLOAD})
        assert response.status_code == 201, response.get_data(as_text=True)

    for who in ("visitor", "admin"):
        for path in page_paths(app, samples):
            if who == "visitor" and path.startswith("/staff"):
                continue
            if who == "admin" and not path.startswith("/staff"):
                continue
            client = admin(app, db) if who == "admin" else app.test_client()
            landed, html = get_html(client, path)
            for form in forms_on(landed, html):
                target = (form.method, urlsplit(form.action).path)
                if target in NOT_SENT or (form.method == "get" and not form.has_text):
                    continue  # a GET form without text: a filter of fixed choices
                send(client, form, seen)
                sent.append(f"{who}: {form.method.upper()} {target[1]} (on {path})")

    visitor, staff = app.test_client(), admin(app, db)
    for path in page_paths(app, samples):
        for who, client in (("visitor", visitor), ("admin", staff)):
            if who == "visitor" and path.startswith("/staff"):
                continue
            landed, html = get_html(client, path)
            seen.append((f"{who}: GET {landed}", html))

    print("forms sent:\n  " + "\n  ".join(sent))
    assert len(sent) >= 3, sent
    leaks = sorted({where for where, html in seen for raw in RAW if raw in html})
    assert not leaks, "the payload unescaped in:\n" + "\n".join(leaks)
    shown = sorted({where for where, html in seen if ESCAPED in html})
    print("the payload shown escaped in:\n  " + "\n  ".join(shown))
    assert len(shown) >= 5, "the payload was hardly ever shown, even escaped"


def test_the_forms_parser_sees_text_fields_and_choices() -> None:
    html = (
        '<form method="post" action="/raise"><input type="hidden" name="csrf_token" value="t">'
        '<input name="title"><textarea name="body"></textarea>'
        '<select name="theme"><option value="">Choose</option><option value="gp">GP</option>'
        '</select><input type="radio" name="kind" value="idea"><input type="radio" name="kind" '
        'value="concern"><button>Send</button></form>'
    )

    [form] = forms_on("/raise", html)

    assert form.has_text
    assert form.data() == {
        "csrf_token": "t",
        "title": PAYLOAD,
        "body": PAYLOAD,
        "theme": "gp",
        "kind": "idea",
    }
