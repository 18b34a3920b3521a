"""The board pack: content from seeded summaries and board statements, as of one checkpoint.

Seeded log (leaf indexes in order): three hubs registered (key events 0-2); Manchester's
September summary (gp-access 20); Manchester's October release (gp-access 40, mental-health 60,
a consented gp-access quote, 10 of its 100 people disabled against 20% of its population);
Cornwall's October summary (dentistry 30, gp-access suppressed); four board responses
(accepted on track due 2026-11-01, under consideration, accepted and done, not accepted).
Leeds sends nothing, so it is missing. The pack is built at that size N for the meeting of
2026-11-19; then Leeds sends October, a response is marked done and a hub is registered, and the
pack at N must be byte-for-byte the same.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import sys
import zlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.canonical import parse_json
from federation.disclosure.engine import Population, protect
from federation.disclosure.tables import Quote
from federation.periods import Period
from hubnet.db import get_session
from national_aggregator.board.services import add_update, record_response
from national_aggregator.log import log_signer
from tests.aggregator.bodies import raw_counts
from tests.aggregator.conftest import RegisterHub, SigningHub, assert_problem, post

SEPTEMBER = Period.month(2026, 9)
OCTOBER = Period.month(2026, 10)
MEETING = "2026-11-19"
QUOTE = "I rang the surgery at 8am every day for a week and never got an appointment."
QUERY = f"period_start=2026-10-01&period_end=2026-10-31&meeting={MEETING}"


def manchester_october() -> dict[str, Any]:
    raw = raw_counts({"gp-access": 40, "mental-health": 60})
    every = {**raw.breakdowns["all"], "disability": {"disabled": 10, "not-disabled": 90}}
    raw = dataclasses.replace(raw, breakdowns={**raw.breakdowns, "all": every})
    population = Population({"disability": {"disabled": 20, "not-disabled": 80}}, "Census (test)")
    release = protect(raw, quotes=[Quote("gp-access", QUOTE)], population=population)
    return dict(release.body)


def respond(app: Flask, **values: Any) -> str:
    with app.app_context():
        session = get_session()
        logged = record_response(
            session,
            log_signer(),
            theme=values.pop("theme"),
            period=OCTOBER,
            meeting=date(2026, 10, 15),
            staff=None,
            now=datetime(2026, 10, 15, 15, tzinfo=UTC),
            **values,
        )
        session.commit()
        return logged.statement.response_id


@pytest.fixture
def seeded(app: Flask, client: FlaskClient, register: RegisterHub) -> dict[str, Any]:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    leeds = register("E08000035", "Leeds", "Yorkshire and The Humber", 811953)
    sent = [
        manchester.summary({"gp-access": 20}, period=SEPTEMBER),
        manchester.summary(body=manchester_october()),
        cornwall.summary({"dentistry": 30, "gp-access": None}),
    ]
    for envelope in sent:
        assert post(client, envelope).status_code == 201
    on_track = respond(
        app,
        theme="gp-access",
        decision="accepted",
        response="We will fund more appointments.",
        commitment="Extended hours in every ICB.",
        owner="Director of Primary Care",
        due=date(2026, 11, 1),
        progress="on-track",
    )
    considering = respond(
        app,
        theme="dentistry",
        decision="under-consideration",
        response="We will decide after the dental contract review.",
        owner="Chief Dental Officer",
        due=date(2027, 1, 31),
    )
    respond(
        app,
        theme="mental-health",
        decision="accepted",
        response="Done already.",
        commitment="Crisis line in every area.",
        owner="Mental Health Director",
        due=date(2026, 10, 31),
        progress="done",
    )
    respond(
        app,
        theme="funding",
        decision="not-accepted",
        response="Outside the board's remit.",
        reason="Funding is set by the Treasury.",
    )
    size = client.get("/api/v1/log/checkpoint").get_json()["size"]
    return {
        "size": size,
        "leeds": leeds,
        "on_track": on_track,
        "considering": considering,
    }


def pdf_streams(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated where it is compressed, run together."""
    inflated = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            inflated.append(zlib.decompress(match.group(1)))
        except zlib.error:
            inflated.append(match.group(1))
    return b"".join(inflated)


def pack(client: FlaskClient, size: int, query: str = QUERY) -> dict[str, Any]:
    response = client.get(f"/api/v1/board/pack/{size}?{query}")
    assert response.status_code == 200, response.data
    document: dict[str, Any] = parse_json(response.data)
    return document


def test_the_pack_ranks_the_priorities_with_bounds_trend_and_hubs(
    client: FlaskClient, seeded: dict[str, Any]
) -> None:
    document = pack(client, seeded["size"])
    assert document["period"] == {"start": "2026-10-01", "end": "2026-10-31", "label": "2026-10"}
    assert document["meeting"] == MEETING
    assert [hub["name"] for hub in document["hubs_reporting"]] == ["Cornwall", "Manchester"]
    assert [hub["name"] for hub in document["hubs_missing"]] == ["Leeds"]
    top = {row["code"]: row for row in document["priorities"][:3]}
    assert [row["code"] for row in document["priorities"][:3]] == [
        "mental-health",
        "gp-access",
        "dentistry",
    ]
    gp = top["gp-access"]
    # Manchester 40 published, Cornwall suppressed (1 to 7): total 40, range 41 to 47.
    assert (gp["total"], gp["lower"], gp["upper"]) == (40, 41, 47)
    assert gp["hubs_reporting"] == 2 and gp["hubs_suppressed"] == 1
    # 40 per (551,938 + 570,305) residents.
    assert gp["rate_per_100k"] == "3.6"
    # September: gp-access first (20); October: second behind mental health.
    assert (gp["previous_total"], gp["previous_rank"], gp["movement"]) == (20, 1, "down")
    assert top["mental-health"]["movement"] == "new"
    assert {"borda_rank", "borda_points", "top5_hubs"} <= set(gp)


def test_the_pack_has_evidence_voices_commitments_method_and_citation(
    client: FlaskClient, seeded: dict[str, Any]
) -> None:
    document = pack(client, seeded["size"])
    evidence = {theme["code"]: theme for theme in document["evidence"]}
    gp = evidence["gp-access"]
    assert gp["quotes"] == [
        {"hub": {"gss": "E08000003", "name": "Manchester", "region": "North West"}, "text": QUOTE}
    ]
    cells = {hub["name"]: hub for hub in gp["hubs"]}
    assert cells["Manchester"]["people"] == 40
    assert cells["Cornwall"]["status"] == "suppressed"
    assert cells["Leeds"]["status"] == "missing"

    voices = document["hidden_voices"]
    assert [hub["name"] for hub in voices["hubs_with_profile"]] == ["Manchester"]
    assert [hub["name"] for hub in voices["hubs_without_profile"]] == ["Cornwall"]
    disabled = voices["most_under"][0]
    assert (disabled["characteristic"], disabled["category"]) == ("disability", "disabled")
    assert disabled["hubs_under"] == 1

    commitments = document["commitments"]
    assert [row["response_id"] for row in commitments] == [
        seeded["on_track"],
        seeded["considering"],
    ]
    late, pending = commitments
    assert late["late"] is True and late["progress"] == "on-track" and late["due"] == "2026-11-01"
    assert pending["decision"] == "under-consideration" and pending["late"] is False
    assert len(document["board_statements"]) == 4

    method = document["method"]
    assert "rounded to the nearest 5" in method["disclosure"]
    assert method["ranking"] and method["borda"] and method["trend"]
    assert method["dp_hubs"] == []

    checkpoint = client.get(f"/api/v1/log/checkpoints/{seeded['size']}").get_json()
    assert document["checkpoint"] == {
        key: checkpoint[key] for key in ("origin", "size", "root", "keyid", "signature")
    }
    used = [(row["hub_id"], row["seq"]) for row in document["submissions"]]
    assert used == [("E08000003", 1), ("E08000003", 2), ("E06000052", 1)]
    assert all(row["log_index"] < seeded["size"] for row in document["submissions"])


def test_regenerating_gives_the_same_bytes_after_the_log_grows(
    app: Flask, client: FlaskClient, seeded: dict[str, Any], register: RegisterHub
) -> None:
    size = seeded["size"]
    urls = [
        f"/api/v1/board/pack/{size}?{QUERY}",
        f"/board/pack/{size}.json?{QUERY}",
        f"/board/pack/{size}/priorities.csv?{QUERY}",
        f"/board/pack/{size}/commitments.csv?{QUERY}",
        f"/board/pack/{size}/submissions.csv?{QUERY}",
    ]
    before = [client.get(url).data for url in urls]
    assert [client.get(url).data for url in urls] == before
    leeds: SigningHub = seeded["leeds"]
    assert post(client, leeds.summary({"gp-access": 100})).status_code == 201
    with app.app_context():
        session = get_session()
        add_update(
            session,
            log_signer(),
            seeded["on_track"],
            update_text="Extended hours are running everywhere.",
            progress="done",
            staff=None,
            now=datetime(2026, 11, 2, tzinfo=UTC),
        )
        session.commit()
    register("E08000006", "Salford", "North West", 270000)
    assert [client.get(url).data for url in urls] == before
    # The newest checkpoint does see the later entries.
    latest = client.get("/api/v1/log/checkpoint").get_json()["size"]
    later = pack(client, latest)
    assert "Leeds" in [hub["name"] for hub in later["hubs_reporting"]]
    assert "Salford" in [hub["name"] for hub in later["hubs_missing"]]
    assert seeded["on_track"] not in [row["response_id"] for row in later["commitments"]]


def test_an_earlier_checkpoint_excludes_later_submissions(
    client: FlaskClient, seeded: dict[str, Any]
) -> None:
    # Leaves 0-2 are the registrations, 3 September, 4 Manchester October, 5 Cornwall October.
    document = pack(client, 5)
    assert [hub["name"] for hub in document["hubs_reporting"]] == ["Manchester"]
    assert [hub["name"] for hub in document["hubs_missing"]] == ["Cornwall", "Leeds"]
    assert document["commitments"] == [] and document["board_statements"] == []
    assert all(row["log_index"] < 5 for row in document["submissions"])
    # No period given: the latest the log held at that size.
    assert pack(client, 4, f"meeting={MEETING}")["period"]["label"] == "2026-09"
    empty = pack(client, 0, f"meeting={MEETING}")
    assert empty["period"] is None and empty["submissions"] == [] and empty["priorities"] == []
    assert empty["checkpoint"]["size"] == 0
    page = client.get(f"/board/pack/0.html?meeting={MEETING}")
    assert page.status_code == 200 and "No hub had sent a summary" in page.data.decode()


def test_the_csv_tables_parse(client: FlaskClient, seeded: dict[str, Any]) -> None:
    size = seeded["size"]
    response = client.get(f"/board/pack/{size}/priorities.csv?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert rows[0]["code"] == "mental-health" and rows[1]["total"] == "40"
    assert len(rows) == len(pack(client, size)["priorities"])
    response = client.get(f"/board/pack/{size}/commitments.csv?{QUERY}")
    commitments = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(row["theme"], row["late"]) for row in commitments] == [
        ("gp-access", "true"),
        ("dentistry", "false"),
    ]
    assert commitments[0]["period_start"] == "2026-10-01"
    missing = client.get(f"/board/pack/{size}/everything.csv?{QUERY}")
    assert_problem(missing, 400, "validation-error", "table")


def test_the_html_pack_prints_and_the_pdf_renders(
    client: FlaskClient, seeded: dict[str, Any]
) -> None:
    size = seeded["size"]
    page = client.get(f"/board/pack/{size}.html?{QUERY}")
    assert page.status_code == 200
    html = page.data.decode()
    for text in ("Mental health", "GP access", QUOTE, "Extended hours in every ICB.", "Late"):
        assert text in html, text
    assert "pack-print.css" in html and 'media="print"' in html
    assert "style=" not in html and "<script" not in html
    assert f"size {size}" in html
    pdf = client.get(f"/board/pack/{size}.pdf?{QUERY}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    # The headings become the PDF's bookmarks, kept in (compressed) object streams.
    text = pdf_streams(pdf.data)
    for name in ("Mental health", "GP access", "Dentistry"):
        assert name.encode() in text, name


def test_without_pango_the_pdf_says_what_to_install_and_the_html_still_prints(
    client: FlaskClient, seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if its libraries would not load

    pdf = client.get(f"/board/pack/{seeded['size']}.pdf?{QUERY}")

    assert pdf.status_code == 503
    assert "apt-get install libpango-1.0-0" in pdf.data.decode()
    assert client.get(f"/board/pack/{seeded['size']}.html?{QUERY}").status_code == 200


def test_an_unknown_checkpoint_is_404(client: FlaskClient, seeded: dict[str, Any]) -> None:
    beyond = seeded["size"] + 1
    assert_problem(
        client.get(f"/api/v1/board/pack/{beyond}?{QUERY}"), 404, "checkpoint-not-found", "size"
    )
    page = client.get(f"/board/pack/{beyond}.html?{QUERY}")
    assert page.status_code == 404
    assert "no checkpoint of size" in page.data.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period_start=2026-10-01&period_end=2026-10-31", "meeting"),
        ("meeting=19-11-2026", "meeting"),
        ("period_start=2026-10-01&meeting=2026-11-19", "period_end"),
        ("period_start=2026-10-31&period_end=2026-10-01&meeting=2026-11-19", "period_end"),
        ("meeting=2026-11-19&region=Atlantis", "region"),
    ],
)
def test_a_bad_query_is_a_400_problem(
    client: FlaskClient, seeded: dict[str, Any], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/board/pack/{seeded['size']}?{query}")
    assert_problem(response, 400, "validation-error", field)
    page = client.get(f"/board/pack/{seeded['size']}.html?{query}")
    assert page.status_code == 400 and "There is a problem" in page.data.decode()


def test_the_form_defaults_to_the_latest_checkpoint_and_opens_the_pack(
    client: FlaskClient, seeded: dict[str, Any]
) -> None:
    form = client.get("/board/pack")
    assert form.status_code == 200
    assert f'value="{seeded["size"]}"' in form.data.decode()
    opened = client.get(
        f"/board/pack?size={seeded['size']}&period=2026-10&region=&meeting={MEETING}"
    )
    assert opened.status_code == 303
    assert opened.location.startswith(f"/board/pack/{seeded['size']}.html?")
    assert "period_start=2026-10-01" in opened.location
    assert client.get(opened.location).status_code == 200
    refused = client.get(f"/board/pack?size=x&period=2026-10&meeting={MEETING}")
    assert refused.status_code == 400 and "whole number" in refused.data.decode()
    assert "Board pack" in client.get("/").data.decode()
