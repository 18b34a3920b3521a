"""The aggregator's board statements for the hub's tests, built on the real protocol code.

`FakeBoardLog` extends `FakeAggregator` (the log endpoints: checkpoints signed
by a real log key, consistency and inclusion proofs from a real Merkle tree
over every leaf) with `GET /api/v1/board/statements` as the contract gives it.
Board statements are signed with `federation.board.sign_board_statement` and
appended as leaves, so every signature, chain and inclusion proof the hub
checks is genuine; tests then break one thing at a time:

- `publish(statement, key=...)`: sign with another key;
- `publish_raw(envelope, ...)`: append bytes exactly as given;
- `serve_instead[index] = bytes`: list other bytes than the log holds there;
- `bad_proofs.add(index)`: answer a wrong inclusion proof for that leaf;
- `hidden.add(index)`: leave a statement out of the listing (a missing version);
- `unavailable = True`: the statements endpoint answers 503.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.board import board_statement_dict, new_response_id, sign_board_statement
from federation.canonical import canonical_json
from tests.hub.fake_aggregator import FakeAggregator, FakeResponse, _json, _problem

HUB_ID = "E08000003"
MEETING = date(2027, 1, 14)
AT = datetime(2027, 1, 14, 15, 0, tzinfo=UTC)


def first_version(
    *,
    theme: str = "gp-access",
    decision: str = "accepted",
    response: str = "The board accepts that people cannot get a GP appointment.",
    **fields: Any,
) -> dict[str, Any]:
    """A version-1 board statement (accepted, on track, due mid-2027 unless told otherwise)."""
    values: dict[str, Any] = {
        "response_id": new_response_id(),
        "version": 1,
        "prev": None,
        "theme": theme,
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 12, 31),
        "meeting": MEETING,
        "decision": decision,
        "response": response,
        "at": AT,
    }
    if decision == "accepted":
        values |= {
            "commitment": "Every practice offers same-day telephone triage.",
            "owner": "Director of Primary Care",
            "due": date(2027, 6, 30),
            "progress": "on-track",
        }
    elif decision == "under-consideration":
        values |= {"owner": "Board secretary", "due": date(2027, 4, 1)}
    else:
        values |= {"reason": "The money is committed elsewhere this year."}
    values |= fields
    return board_statement_dict(**values)


def next_version(previous: dict[str, Any], update: str, **changes: Any) -> dict[str, Any]:
    """The version after `previous`, chained by prev, with `changes` (JSON values) applied."""
    statement = copy.deepcopy(previous)
    statement["version"] = previous["version"] + 1
    statement["prev"] = hashlib.sha256(canonical_json(previous)).hexdigest()
    statement["update"] = update
    statement["at"] = changes.pop("at", "2027-03-01T10:00:00Z")
    for name, value in changes.items():
        statement[name] = value.isoformat() if isinstance(value, date) else value
    return statement


class FakeBoardLog(FakeAggregator):
    """A FakeAggregator whose log also holds board statements."""

    def __init__(self, *, log_key: Ed25519PrivateKey | None = None, hub_id: str = HUB_ID) -> None:
        super().__init__(Ed25519PrivateKey.generate().public_key(), hub_id=hub_id, log_key=log_key)
        self.board: list[tuple[int, str, int]] = []  # (log index, response id, version)
        self.serve_instead: dict[int, bytes] = {}
        self.bad_proofs: set[int] = set()
        self.hidden: set[int] = set()
        self.board_queries: list[dict[str, Any]] = []
        self.unavailable = False  # the statements endpoint answers 503

    def publish(self, statement: dict[str, Any], *, key: Ed25519PrivateKey | None = None) -> int:
        """Sign (with the log key unless `key`) and append; the leaf's index."""
        envelope = sign_board_statement(statement, key or self.log_key)
        return self.publish_raw(envelope, statement["response_id"], statement["version"])

    def publish_raw(self, envelope: bytes, response_id: str, version: int) -> int:
        index = self._append(envelope)
        self.board.append((index, response_id, version))
        return index

    def get(self, url: str, *, params: dict[str, Any] | None = None, **kwargs: Any) -> FakeResponse:
        path = urlsplit(url).path
        if path.endswith("/api/v1/board/statements"):
            self.gets.append(path)
            if self.unavailable:
                return _problem(503, "unavailable", "down for maintenance")
            return self._board_statements(dict(params or {}))
        answer = super().get(url, params=params, **kwargs)
        if path.endswith("/api/v1/log/proof/inclusion") and answer.status_code == 200:
            body = json.loads(answer.content)
            if body["leaf_index"] in self.bad_proofs:
                body["proof"] = [base64.b64encode(b"\x01" * 32).decode()] * max(
                    1, len(body["proof"])
                )
                return _json(200, body)
        return answer

    def _board_statements(self, params: dict[str, Any]) -> FakeResponse:
        self.board_queries.append(params)
        try:
            after = int(params.get("after", -1))
            limit = int(params.get("limit", 100))
        except ValueError:
            return _problem(400, "validation-error", "after and limit must be whole numbers")
        if not 1 <= limit <= 1000 or after < -1:
            return _problem(400, "validation-error", "limit: must be 1..1000")
        rows = [
            {
                "log_index": index,
                "response_id": response_id,
                "version": version,
                "envelope": base64.b64encode(
                    self.serve_instead.get(index, self.entries[index])
                ).decode("ascii"),
            }
            for index, response_id, version in self.board
            if index > after and index not in self.hidden
        ][:limit]
        last = max((index for index, _, _ in self.board), default=-1)
        return _json(200, {"statements": rows, "last_index": last})
