"""Ed25519 keys: generate, save, load, and name them by RFC 7638 thumbprint.

A key id is the base64url (unpadded) SHA-256 of the canonical JWK
`{"crv":"Ed25519","kty":"OKP","x":…}` (RFC 7638 with RFC 8037's members), so
anyone can recompute it from the public key alone. Private keys are written as
PKCS#8 PEM with mode 0600 and never leave the file. Leaves out: where keys are
kept and which keys are trusted (the apps decide; see `envelope.KeyLookup`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.canonical import canonical_json

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{43}\Z")
"""What an RFC 7638 SHA-256 thumbprint looks like: 43 characters of unpadded base64url."""
_B64URL_32 = re.compile(r"[A-Za-z0-9_-]{43}")


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 private key from the operating system's CSPRNG."""
    return Ed25519PrivateKey.generate()


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (the JWK's `x`)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037)."""
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw_public_bytes(public_key))}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """The Ed25519 public key of a JWK `{"crv": "Ed25519", "kty": "OKP", "x": …}`.

    Exactly those three members, `x` the canonical unpadded base64url of 32
    bytes (so the key id computed from it is the one the JWK's writer meant).
    Raises ValueError naming what is wrong.
    """
    if not isinstance(jwk, Mapping) or set(jwk) != {"crv", "kty", "x"}:
        raise ValueError('a key must be a JWK with exactly "crv", "kty" and "x"')
    if jwk["crv"] != "Ed25519" or jwk["kty"] != "OKP":
        raise ValueError('only Ed25519 keys are used: crv "Ed25519", kty "OKP"')
    x = jwk["x"]
    if not isinstance(x, str) or not _B64URL_32.fullmatch(x):
        raise ValueError("x must be 43 characters of unpadded base64url (32 bytes)")
    raw = base64.urlsafe_b64decode(x + "=")
    if b64url(raw) != x:
        raise ValueError("x is not the canonical base64url spelling of its bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), base64url without padding."""
    return b64url(hashlib.sha256(canonical_json(public_jwk(public_key))).digest())


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM bytes."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def save_private_key(private_key: Ed25519PrivateKey, path: Path) -> None:
    """Write the private key as PKCS#8 PEM, created with mode 0600; refuses to overwrite."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def save_public_key(public_key: Ed25519PublicKey, path: Path) -> None:
    """Write the public key as SubjectPublicKeyInfo PEM (safe to share)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(public_key_pem(public_key))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Load a PEM private key, refusing one that is not Ed25519 or is readable by others."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(
            f"{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key_pem(pem: bytes) -> Ed25519PublicKey:
    """Parse a PEM public key, refusing anything but Ed25519."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load a PEM public key file, refusing anything but Ed25519."""
    return load_public_key_pem(path.read_bytes())


def generate_key_pair(private_path: Path, public_path: Path) -> str:
    """Make a key pair on disk and return its key id."""
    private_key = generate_private_key()
    save_private_key(private_key, private_path)
    save_public_key(private_key.public_key(), public_path)
    return key_id(private_key.public_key())
