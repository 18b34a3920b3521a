"""Two-step sign-in for staff of both apps: time-based one-time codes (TOTP, RFC 6238).

What is stored, and why:

- The shared secret is encrypted (AES-256-GCM) with a key derived by HKDF-SHA256
  from the app's SECRET_KEY (`info` names the app, so the hub's and the
  aggregator's keys differ even with one SECRET_KEY), with the person's row as
  associated data (`associated`, e.g. b"staff_users:3"). A copy of the
  database alone (a backup, a dump, a leaked replica) therefore does not give
  anyone the codes, and a secret copied onto another person's row does not
  decrypt. The cost: changing SECRET_KEY makes every enrolment unreadable, so
  each person with TOTP on then needs an admin to reset it.
- Secrets and codes are never logged, flashed or put in an audit log.
- The caller keeps the 30-second step of the last code accepted and passes it
  as `after`: a code (or any earlier one) is never accepted twice, so a code
  seen over someone's shoulder is useless once they have used it. One step
  either side of now is accepted, for clocks that drift.

Codes are 6 digits, SHA-1, 30 seconds: what every common authenticator app
reads from the QR code. The QR code is an SVG made by segno, shown as a
`data:` image (allowed by a strict CSP), beside the secret written out for typing.

`hub.staff.totp` and `national_aggregator.staff` (services and views) use
this module; it knows nothing of either app's tables.
"""

from __future__ import annotations

import base64
import hmac
import os
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INTERVAL = 30  # seconds per code
DIGITS = 6
DRIFT_STEPS = 1  # accept the code of the step before and after now
VERSION = "v1"


class TotpUnreadable(Exception):
    """The stored secret cannot be decrypted (SECRET_KEY changed, or the row was tampered with)."""


def _key(secret_key: str | bytes, info: bytes) -> bytes:
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def new_secret() -> str:
    """A fresh random secret: 160 bits, base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def seal(secret: str, *, secret_key: str | bytes, info: bytes, associated: bytes) -> str:
    """The secret encrypted for storing on the row `associated` names."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key, info)).encrypt(nonce, secret.encode("ascii"), associated)
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def unseal(stored: str, *, secret_key: str | bytes, info: bytes, associated: bytes) -> str:
    """The secret from a stored value; TotpUnreadable if it cannot be read with this key."""
    version, _, blob = stored.partition(".")
    if version != VERSION or not blob:
        raise TotpUnreadable("unknown TOTP secret format")
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        plain = AESGCM(_key(secret_key, info)).decrypt(raw[:12], raw[12:], associated)
    except (InvalidTag, ValueError) as exc:
        raise TotpUnreadable("the TOTP secret cannot be decrypted with this SECRET_KEY") from exc
    return plain.decode("ascii")


def normalise_code(code: str) -> str | None:
    """The code's digits (spaces and hyphens allowed between them), or None if it is not a code."""
    digits = "".join(ch for ch in code if ch not in " -\t")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // INTERVAL)


def matching_step(
    secret: str, code: str, *, after: int | None, now: float | None = None
) -> int | None:
    """The time step `code` belongs to (within the allowed drift, later than `after`), or None."""
    digits = normalise_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    here = current_step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * INTERVAL), digits):
            return step
    return None


def code_at(secret: str, moment: float) -> str:
    """The code an app shows at `moment` (for tests and the demo)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(moment)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG `data:` URI for an <img> (no inline script or style)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
