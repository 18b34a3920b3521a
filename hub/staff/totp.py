"""Two-step sign-in for hub staff: `hubnet.totp`, with the secret sealed to a `staff_users` row.

The codes, the QR code and the sealing are shared with the national
aggregator (`hubnet.totp`, which says what is stored and why); here the key
is derived from the hub's SECRET_KEY with the hub's own HKDF label, and the
associated data names the person's row, so a secret copied onto another
person's row does not decrypt.
"""

from __future__ import annotations

import time  # noqa: F401  (tests and the demo read the clock as totp.time.time())

from hub.staff.models import StaffUser
from hubnet.totp import (  # the hub's names for the shared functions
    DIGITS,
    DRIFT_STEPS,
    INTERVAL,
    VERSION,
    TotpUnreadable,
    code_at,
    current_step,
    grouped,
    matching_step,
    new_secret,
    normalise_code,
    provisioning_uri,
    qr_data_uri,
)
from hubnet.totp import seal as _seal
from hubnet.totp import unseal as _unseal

__all__ = [
    "DIGITS",
    "DRIFT_STEPS",
    "INTERVAL",
    "VERSION",
    "TotpUnreadable",
    "code_at",
    "current_step",
    "grouped",
    "matching_step",
    "new_secret",
    "normalise_code",
    "provisioning_uri",
    "qr_data_uri",
    "seal",
    "unseal",
]

_INFO = b"hubnet hub staff TOTP secret v1"  # unchanged: existing enrolments still open


def _associated(staff: StaffUser) -> bytes:
    return f"staff_users:{staff.id}".encode("ascii")


def seal(secret: str, staff: StaffUser, secret_key: str | bytes) -> str:
    """The secret encrypted for storing on this person's row."""
    return _seal(secret, secret_key=secret_key, info=_INFO, associated=_associated(staff))


def unseal(stored: str, staff: StaffUser, secret_key: str | bytes) -> str:
    """The secret from a stored value; TotpUnreadable if it cannot be read with this key."""
    return _unseal(stored, secret_key=secret_key, info=_INFO, associated=_associated(staff))
