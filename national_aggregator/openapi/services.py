"""Build the OpenAPI 3.0 document with apispec and its MarshmallowPlugin.

Every operation lists each status it can answer with: the success bodies
from the features' response schemas, and every error as
`application/problem+json` with `ProblemSchema`. What is written here is
checked against the running code by `tests/aggregator/test_openapi_fuzz.py`
(schemathesis), so a change to an endpoint that is not made here fails.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from federation.canonical import MAX_SAFE_INTEGER
from federation.envelope import MAX_ENVELOPE_BYTES
from federation.taxonomy import load_taxonomy
from national_aggregator.board.schemas import (
    BoardResponseHistorySchema,
    BoardResponseListSchema,
    BoardStatementsSchema,
    StatementsQuerySchema,
)
from national_aggregator.boardpack.schemas import BoardPackSchema, PackQuerySchema
from national_aggregator.home.schemas import AboutSchema
from national_aggregator.ingest.schemas import (
    EnvelopeSchema,
    HubStatementsQuerySchema,
    HubStatementsSchema,
    ReceiptSchema,
)
from national_aggregator.log.schemas import (
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    CosignatureRequestSchema,
    EntriesQuerySchema,
    EntriesSchema,
    InclusionProofSchema,
    InclusionQuerySchema,
)
from national_aggregator.openapi.schemas import ProblemSchema
from national_aggregator.opendata.schemas import DataTableSchema, DictionarySchema
from national_aggregator.opendata.services import TABLES
from national_aggregator.priorities.schemas import (
    PeriodField,
    PrioritiesQuerySchema,
    PrioritiesSchema,
    ThemeDetailSchema,
)
from national_aggregator.registry.schemas import HubSchema
from national_aggregator.voices.schemas import (
    HiddenVoicesSchema,
    NationalRoutingSchema,
    VoicesQuerySchema,
)

JSON = "application/json"
GSS_PATTERN = "^[ENSW][0-9]{8}$"
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PROBLEM_JSON = "application/problem+json"

DESCRIPTION = """\
The hubnet national aggregator: council hubs send signed, anonymised
summaries; the aggregator verifies them, records every accepted statement and
key event in an RFC 9162 transparency log, and ranks national priorities.
Everything is public and read-only except `POST /api/v1/submissions` (hubs)
and `POST /api/v1/log/cosignatures` (witnesses), which are authenticated by
the signatures they carry. Every error is RFC 9457 problem JSON. The protocol
is described in docs/protocol.md."""


def _ok(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _problem(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": "Problem"}}, **extra}


def _query(schema: type[Schema]) -> list[dict[str, Any]]:
    return [{"in": "query", "schema": schema}]


BAD_QUERY = _problem("A query parameter is missing, malformed, unknown, or beyond the log")


def _path(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": schema}  # fmt: skip


def _hubnet_version() -> str:
    try:
        return version("hubnet")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0"


def _operations() -> dict[str, dict[str, Any]]:
    """Path → method → OpenAPI operation."""
    size = {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER}
    return {
        "/api/v1/submissions": {
            "post": {
                "summary": "Submit a hub's signed statement (summary or key rotation)",
                "description": (
                    "The body is the envelope's exact bytes (at most "
                    f"{MAX_ENVELOPE_BYTES:,}), checked in docs/protocol.md's order; nothing "
                    "is stored on any error except equivocation evidence. Rate limited per "
                    "client address."
                ),
                "tags": ["submissions"],
                "requestBody": {"required": True, "content": {JSON: {"schema": EnvelopeSchema}}},
                "responses": {
                    "201": _ok(ReceiptSchema, "Accepted and logged: the receipt"),
                    "200": _ok(ReceiptSchema, "These bytes were accepted before: that receipt"),
                    "400": _problem("Malformed JSON or base64, non-canonical, or schema error"),
                    "401": _problem("Unknown key or bad signature"),
                    "403": _problem("Revoked key or hub, or a key expired after rotation"),
                    "409": _problem("seq or prev does not follow, or submission_id reused"),
                    "413": _problem(f"The envelope is over {MAX_ENVELOPE_BYTES:,} bytes"),
                    "422": _problem(
                        "Equivocation, wrong aud, a disclosure invariant broken (the field "
                        "names the cell, table, quote or rule, e.g. "
                        "body.breakdowns[gp-access].age_band[25-34]), created in the future, "
                        "or an invalid key rotation"
                    ),
                    "429": _problem(
                        "Too many submissions from this address",
                        headers={
                            "Retry-After": {
                                "description": "seconds to wait",
                                "schema": {"type": "integer", "minimum": 1},
                            }
                        },
                    ),
                },
            }
        },
        "/api/v1/submissions/{submission_id}/receipt": {
            "get": {
                "summary": "A fresh receipt for an accepted statement",
                "description": "Against the latest checkpoint, with its cosignatures.",
                "tags": ["submissions"],
                "parameters": [
                    _path(
                        "submission_id",
                        "the statement's submission_id (a lower-case UUID)",
                        {"type": "string", "pattern": UUID_PATTERN},
                    )
                ],
                "responses": {
                    "200": _ok(ReceiptSchema, "The receipt"),
                    "404": _problem("No statement with this submission_id was accepted"),
                },
            }
        },
        "/api/v1/hubs": {
            "get": {
                "summary": "Every registered hub, its keys, and its last accepted statement",
                "tags": ["hubs"],
                "responses": {"200": _ok({"type": "array", "items": HubSchema}, "The hubs")},
            }
        },
        "/api/v1/hubs/{gss}/statements": {
            "get": {
                "summary": "A hub's accepted statements in seq order, as the exact envelopes",
                "description": "For a hub resynchronising its chain (after a restore or a 409).",
                "tags": ["hubs"],
                "parameters": [
                    _path(
                        "gss",
                        "the hub's ONS GSS code, e.g. E08000003",
                        {"type": "string", "pattern": GSS_PATTERN, "example": "E08000003"},
                    ),
                    *_query(HubStatementsQuerySchema),
                ],
                "responses": {
                    "200": _ok(HubStatementsSchema, "The statements"),
                    "400": BAD_QUERY,
                    "404": _problem("No hub with this GSS code is registered"),
                },
            }
        },
        "/api/v1/log/checkpoint": {
            "get": {
                "summary": "The log's latest signed checkpoint, with its cosignatures",
                "tags": ["log"],
                "responses": {"200": _ok(CheckpointSchema, "The checkpoint")},
            }
        },
        "/api/v1/log/checkpoints/{size}": {
            "get": {
                "summary": "The signed checkpoint of one size, with its cosignatures",
                "tags": ["log"],
                "parameters": [_path("size", "the tree size", {**size, "example": 1})],
                "responses": {
                    "200": _ok(CheckpointSchema, "The checkpoint"),
                    "400": _problem("size is not a whole number"),
                    "404": _problem("No checkpoint of this size was issued"),
                },
            }
        },
        "/api/v1/log/proof/inclusion": {
            "get": {
                "summary": "An RFC 9162 inclusion proof",
                "tags": ["log"],
                "parameters": _query(InclusionQuerySchema),
                "responses": {"200": _ok(InclusionProofSchema, "The proof"), "400": BAD_QUERY},
            }
        },
        "/api/v1/log/proof/consistency": {
            "get": {
                "summary": "An RFC 9162 consistency proof",
                "tags": ["log"],
                "parameters": _query(ConsistencyQuerySchema),
                "responses": {"200": _ok(ConsistencyProofSchema, "The proof"), "400": BAD_QUERY},
            }
        },
        "/api/v1/log/entries": {
            "get": {
                "summary": "Log entries [start, end) as the exact envelopes",
                "tags": ["log"],
                "parameters": _query(EntriesQuerySchema),
                "responses": {"200": _ok(EntriesSchema, "The entries"), "400": BAD_QUERY},
            }
        },
        "/api/v1/log/cosignatures": {
            "post": {
                "summary": "A witness hub's cosignature of a checkpoint",
                "tags": ["log"],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": CosignatureRequestSchema}},
                },
                "responses": {
                    "201": _ok(CheckpointSchema, "Kept: the checkpoint with its cosignatures"),
                    "200": _ok(CheckpointSchema, "Kept before: the checkpoint"),
                    "400": _problem("Malformed JSON or a field that breaks the schema"),
                    "401": _problem("Not a key of that witness, or a bad signature"),
                    "403": _problem("The witness or its key is revoked or expired"),
                    "404": _problem("No checkpoint of this size was issued"),
                    "413": _problem(f"The body is over {MAX_ENVELOPE_BYTES:,} bytes"),
                    "422": _problem("This log's checkpoint of that size has another root"),
                },
            }
        },
        "/api/v1/priorities": {
            "get": {
                "summary": "The national ranking of themes for a period",
                "tags": ["priorities"],
                "parameters": _query(PrioritiesQuerySchema),
                "responses": {
                    "200": _ok(PrioritiesSchema, "The ranking"),
                    "400": _problem("period cannot be read, or no registered hub is in region"),
                },
            }
        },
        "/api/v1/priorities/themes/{code}": {
            "get": {
                "summary": "One theme across hubs and regions, its trend and consented quotes",
                "tags": ["priorities"],
                "parameters": [
                    _path(
                        "code",
                        "a national theme code",
                        {"type": "string", "enum": list(load_taxonomy().codes)},
                    ),
                    *_query(PrioritiesQuerySchema),
                ],
                "responses": {
                    "200": _ok(ThemeDetailSchema, "The theme"),
                    "400": _problem("period cannot be read, or no registered hub is in region"),
                    "404": _problem("Not a national theme code"),
                },
            }
        },
        "/api/v1/hidden-voices": {
            "get": {
                "summary": "Representation against each area's population, across hubs",
                "description": (
                    "For a period (default: the latest any hub has sent) and optionally one "
                    "region: per group, how many hubs flag it under-represented, in line or "
                    "over-represented, the median ratio, and the hubs doing well with it. Hubs "
                    "without a summary or without a population profile are listed, never "
                    "counted as zero."
                ),
                "tags": ["hidden voices"],
                "parameters": _query(VoicesQuerySchema),
                "responses": {
                    "200": _ok(HiddenVoicesSchema, "Each group across hubs"),
                    "400": _problem("period cannot be read, or no hub is registered in region"),
                },
            }
        },
        "/api/v1/routing": {
            "get": {
                "summary": "Items routed to local organisations and their answers, nationally",
                "description": (
                    "By organisation type, summed over the hubs' published routing cells for a "
                    "period (default: the latest) and optionally one region, with lower and "
                    "upper bounds where hubs suppressed a cell."
                ),
                "tags": ["hidden voices"],
                "parameters": _query(VoicesQuerySchema),
                "responses": {
                    "200": _ok(NationalRoutingSchema, "Routing totals by organisation type"),
                    "400": _problem("period cannot be read, or no hub is registered in region"),
                },
            }
        },
        "/api/v1/data": {
            "get": {
                "summary": "Every published national table and the dictionary of its columns",
                "description": (
                    "Type, unit, meaning and when each column is empty; the same as "
                    "/data/dictionary.json. Open Government Licence v3.0."
                ),
                "tags": ["open data"],
                "responses": {"200": _ok(DictionarySchema, "The tables and their columns")},
            }
        },
        "/api/v1/data/{name}": {
            "get": {
                "summary": "One published national table, as /data/<name>.json gives it",
                "description": (
                    "Rows built by the feature that publishes the figures (priorities, hidden "
                    "voices, routing), for a period (default: the latest any hub has sent) and "
                    "optionally one region; a suppressed cell is null. The CSV is at "
                    "/data/<name>.csv with the same parameters."
                ),
                "tags": ["open data"],
                "parameters": [
                    _path(
                        "name",
                        "the table's name, as GET /api/v1/data lists it",
                        {"type": "string", "enum": [table.name for table in TABLES]},
                    ),
                    *_query(PrioritiesQuerySchema),
                ],
                "responses": {
                    "200": _ok(DataTableSchema, "The table"),
                    "400": _problem("period cannot be read, or no registered hub is in region"),
                    "404": _problem("No published table has this name"),
                },
            }
        },
        "/api/v1/board/statements": {
            "get": {
                "summary": "Board statements after a log index, as the exact envelopes",
                "description": (
                    "Each board response and update is signed by the log key and is a leaf "
                    "of the log; hubs pull these, verify them and their inclusion. last_index "
                    "is the largest log index of any board statement (-1 when none)."
                ),
                "tags": ["board"],
                "parameters": _query(StatementsQuerySchema),
                "responses": {
                    "200": _ok(BoardStatementsSchema, "The statements"),
                    "400": BAD_QUERY,
                },
            }
        },
        "/api/v1/board/responses": {
            "get": {
                "summary": "The current state of every board response, with late for today",
                "tags": ["board"],
                "responses": {"200": _ok(BoardResponseListSchema, "The responses")},
            }
        },
        "/api/v1/board/responses/{response_id}": {
            "get": {
                "summary": "Every version of one board response, oldest first",
                "tags": ["board"],
                "parameters": [
                    _path(
                        "response_id",
                        "the response's id (a lower-case UUIDv4)",
                        {"type": "string", "pattern": UUID_PATTERN},
                    )
                ],
                "responses": {
                    "200": _ok(BoardResponseHistorySchema, "The versions"),
                    "404": _problem("No board response has this id"),
                },
            }
        },
        "/api/v1/board/pack/{size}": {
            "get": {
                "summary": "The board pack built from the log checkpoint of one size",
                "description": (
                    "Top priorities with evidence, hidden voices, outstanding board commitments "
                    "(late against the meeting date) and method notes, using only the "
                    "submissions and board statements at log indexes below size. Cites the "
                    "checkpoint as signed and lists every entry used with its payload SHA-256, "
                    "for `hubnet audit --pack`. Canonical JSON: the same request gives the "
                    "same bytes, however much the log has grown. Also at /board/pack/<size>.json; "
                    "printable at .html, .pdf, and as CSV at /board/pack/<size>/<table>.csv."
                ),
                "tags": ["board pack"],
                "parameters": [
                    _path("size", "the checkpoint's size (number of log entries)", size),
                    *_query(PackQuerySchema),
                ],
                "responses": {
                    "200": _ok(BoardPackSchema, "The pack"),
                    "400": _problem(
                        "meeting missing or not a date, a bad period, or unknown region"
                    ),
                    "404": _problem("The log has issued no checkpoint of that size"),
                },
            }
        },
        "/api/v1/about": {
            "get": {
                "summary": "The aggregator's id (the aud to use) and its log key",
                "tags": ["about"],
                "responses": {"200": _ok(AboutSchema, "Who this aggregator is")},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["about"],
                "responses": {"200": _ok({"type": "object"}, "The OpenAPI document")},
            }
        },
    }


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.0.3 document as a dict."""
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="hubnet national aggregator",
        version=_hubnet_version(),
        openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        info={"description": DESCRIPTION, "license": {"name": "MIT"}},
    )
    marshmallow_plugin.map_to_openapi_type(PeriodField, "string", None)
    spec.components.schema("Problem", schema=ProblemSchema)
    for path, operations in _operations().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
