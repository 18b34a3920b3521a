"""Ed25519 keys on disk and RFC 7638 key ids."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.keys import (
    b64url,
    generate_key_pair,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    load_public_key_pem,
    public_jwk,
    save_private_key,
)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# RFC 8037 appendix A: an Ed25519 key, its thumbprint, and a signature.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_SIGNING_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = (
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_key_id_is_the_rfc_7638_thumbprint_of_rfc_8037_a3() -> None:
    public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(RFC8037_X))
    assert public_jwk(public_key) == {"crv": "Ed25519", "kty": "OKP", "x": RFC8037_X}
    assert key_id(public_key) == RFC8037_THUMBPRINT


def test_rfc_8037_private_key_gives_its_public_key_and_signature() -> None:
    private_key = Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC8037_D))
    assert public_jwk(private_key.public_key())["x"] == RFC8037_X
    assert b64url(private_key.sign(RFC8037_SIGNING_INPUT)) == RFC8037_SIGNATURE


def test_b64url_has_no_padding() -> None:
    assert b64url(b"\xfb\xff") == "-_8"


def test_key_pair_on_disk(tmp_path: Path) -> None:
    private_path, public_path = tmp_path / "keys" / "hub.pem", tmp_path / "keys" / "hub.pub"
    keyid = generate_key_pair(private_path, public_path)
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    private_key = load_private_key(private_path)
    public_key = load_public_key(public_path)
    assert key_id(private_key.public_key()) == key_id(public_key) == keyid
    assert len(keyid) == 43 and "=" not in keyid
    public_key.verify(private_key.sign(b"message"), b"message")


def test_private_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "hub.pem"
    save_private_key(generate_private_key(), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        save_private_key(generate_private_key(), path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_refuses_a_private_key_others_can_read(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "hub.pem"
    save_private_key(generate_private_key(), path)
    os.chmod(path, mode)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_private_key(path)


def test_refuses_keys_that_are_not_ed25519(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    private_path = tmp_path / "ec.pem"
    private_path.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(private_path, 0o600)
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(private_path)
    public_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_public_key_pem(public_pem)
