"""Typed protocol errors.

Each failure a receiver can meet while checking an envelope has its own class,
carrying the HTTP status of DESIGN.md §3's table, a stable problem slug and the
field at fault, so the aggregator can turn any of them into an RFC 9457
problem document without string matching. Leaves out: rendering (the apps do
that) and any HTTP library.
"""

from __future__ import annotations

from typing import Any


class ProtocolError(Exception):
    """Base class: a statement or envelope that must be refused."""

    status: int = 400
    slug: str = "invalid-submission"
    title: str = "The submission is not valid"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra: dict[str, Any] = extra

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, field={self.field!r})"


class PayloadTooLarge(ProtocolError):
    status = 413
    slug = "payload-too-large"
    title = "The envelope is larger than the limit"


class MalformedEnvelope(ProtocolError):
    status = 400
    slug = "malformed-envelope"
    title = "The envelope could not be read"


class MalformedJSON(MalformedEnvelope):
    slug = "malformed-json"
    title = "The bytes are not valid JSON"


class DuplicateKey(MalformedJSON):
    slug = "duplicate-key"
    title = "A JSON object repeats a key"


class BadBase64(MalformedEnvelope):
    slug = "bad-base64"
    title = "A field is not valid base64"


class WrongPayloadType(MalformedEnvelope):
    slug = "wrong-payload-type"
    title = "The envelope's payloadType is not one this receiver accepts"


class NonCanonical(MalformedEnvelope):
    slug = "non-canonical"
    title = "The payload is not in RFC 8785 canonical form"


class SchemaViolation(ProtocolError):
    status = 400
    slug = "schema-violation"
    title = "The statement does not match its schema"

    def __init__(
        self, detail: str, *, field: str | None = None, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail, field=field)
        self.errors: dict[str, Any] = errors or {}


class UnknownKey(ProtocolError):
    status = 401
    slug = "unknown-key"
    title = "The signing key is not registered"


class BadSignature(ProtocolError):
    status = 401
    slug = "bad-signature"
    title = "The signature does not verify"


class RevokedKey(ProtocolError):
    status = 403
    slug = "revoked-key"
    title = "The signing key or its hub has been revoked"


class KeyExpired(RevokedKey):
    """The key was replaced by a rotation and its overlap period is over."""

    status = 403
    slug = "key-expired"
    title = "The signing key has expired after a key rotation"


class InvalidRotation(ProtocolError):
    """A key-rotation statement that is well formed but does not rotate correctly."""

    status = 422
    slug = "invalid-rotation"
    title = "The key rotation is not valid"


class WrongAudience(ProtocolError):
    status = 422
    slug = "wrong-audience"
    title = "The statement is addressed to another aggregator"


class CreatedInFuture(ProtocolError):
    status = 422
    slug = "created-in-future"
    title = "The statement's creation time is too far in the future"


class DisclosureViolation(ProtocolError):
    status = 422
    slug = "disclosure-violation"
    title = "A published cell breaks the disclosure rules"


class SequenceConflict(ProtocolError):
    """`seq` is not last+1 or `prev` does not chain: the hub must resynchronise."""

    status = 409
    slug = "sequence-conflict"
    title = "The statement does not follow the hub's last accepted statement"

    def __init__(self, detail: str, *, field: str | None, expected_seq: int) -> None:
        super().__init__(detail, field=field, expected_seq=expected_seq)
        self.expected_seq = expected_seq


class Equivocation(ProtocolError):
    status = 422
    slug = "equivocation"
    title = "The hub already sent different bytes for this sequence number"


class InconsistentLog(ProtocolError):
    """Log entries that are each well signed but contradict one another.

    Found by an audit replaying the log: a key event for an unknown hub, a key
    added twice to different hubs, entries out of place.
    """

    status = 422
    slug = "inconsistent-log"
    title = "The log's entries do not fit together"


class ProofError(ProtocolError):
    """A Merkle inclusion or consistency proof, or a receipt built on one, does not hold."""

    status = 422
    slug = "bad-proof"
    title = "The log proof does not verify"


class TransportError(Exception):
    """The HTTP exchange itself failed: no connection, a timeout, or an unusable answer.

    Not a ProtocolError: nothing was refused, so the sender may try again later.
    `status` is the HTTP status when there was one (e.g. a GET answered 404).
    """

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


def _error_order(key: Any) -> tuple[int, int, str]:
    # List indexes in numeric order (3 before 10), then names alphabetically.
    if isinstance(key, int):
        return (0, key, "")
    return (1, 0, str(key))


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key == "_schema":  # marshmallow's key for an error about the object itself
        return path
    return f"{path}.{key}" if path else str(key)


def first_error(errors: Any, path: str = "") -> tuple[str, str]:
    """The first (path, message) in a nested marshmallow error dict.

    `{"themes": {3: {"people": {"value": ["Not a valid integer."]}}}}` with
    `path="body"` gives `("body.themes[3].people.value", "Not a valid integer.")`.
    Keys are taken in a stable order (list indexes numerically, then names),
    so the same document always names the same field.
    """
    while True:
        if isinstance(errors, dict) and errors:
            key = min(errors, key=_error_order)
            path, errors = _join(path, key), errors[key]
        elif isinstance(errors, list | tuple) and errors:
            if isinstance(errors[0], dict | list | tuple):
                errors = errors[0]
            else:
                return path, str(errors[0])
        else:
            return path, str(errors)


def first_message(messages: Any) -> str:
    """The first message in a (possibly nested) marshmallow error dict."""
    return first_error(messages)[1]
