"""Keys: the PEM forms cosign reads and writes, key ids, and private material kept private."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import re
import traceback
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from catalog_cli.errors import InputError, NotFound
from catalog_cli.signing import keys


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


def _secret_parts(pem: bytes) -> list[str]:
    """Pieces of a private PEM that must never appear in output: every body line."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def _cosign_key(der: bytes, passphrase: bytes, n: int = 65536, label: str = "ENCRYPTED SIGSTORE PRIVATE KEY") -> bytes:
    """A private key in cosign's encrypted format, built from its specification (scrypt
    then NaCl secretbox, in go-securesystemslib's JSON), not through catalog's code."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    from nacl.secret import SecretBox

    salt, nonce = os.urandom(32), os.urandom(24)
    box = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase)
    sealed = SecretBox(box).encrypt(der, nonce).ciphertext  # the tag, then the ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
           "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
           "ciphertext": base64.b64encode(sealed).decode()}
    body = base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _der(key: keys.PrivateKey) -> bytes:
    pem = keys.private_pem(key)
    return serialization.load_pem_private_key(pem, None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def test_the_public_key_is_the_pem_cosign_writes(key: keys.PrivateKey) -> None:
    pem = key.public.pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n") and pem.endswith(b"-----END PUBLIC KEY-----\n")
    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    assert key.keyid == "sha256:" + hashlib.sha256(der).hexdigest()
    # P-256 SubjectPublicKeyInfo: id-ecPublicKey with prime256v1, uncompressed point.
    assert der.startswith(bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200 04".replace(" ", "")))
    assert keys.load_public(pem, "k.pub").keyid == key.keyid


@pytest.mark.parametrize("passphrase", [None, b"correct horse"])
def test_a_private_key_round_trips_through_pkcs8_pem(key: keys.PrivateKey, passphrase: bytes | None) -> None:
    pem = keys.private_pem(key, passphrase)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----" if passphrase else b"-----BEGIN PRIVATE KEY-----")
    again = keys.load_private(pem, "k.key", passphrase)
    assert again.keyid == key.keyid
    assert key.public.verify(again.sign(b"data"), b"data")


def test_an_sec1_ec_private_key_is_read(key: keys.PrivateKey) -> None:
    sec1 = serialization.load_pem_private_key(keys.private_pem(key), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    assert sec1.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert keys.load_private(sec1, "k.key").keyid == key.keyid


@pytest.mark.parametrize("label", ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"])
@pytest.mark.parametrize("passphrase", [b"", b"s3cret"])
def test_cosigns_encrypted_private_key_is_read(key: keys.PrivateKey, label: str, passphrase: bytes) -> None:
    pem = _cosign_key(_der(key), passphrase, label=label)
    assert keys.load_private(pem, "cosign.key", passphrase).keyid == key.keyid


def test_cosigns_legacy_scrypt_strength_is_read(key: keys.PrivateKey) -> None:
    assert keys.load_private(_cosign_key(_der(key), b"pw", n=32768), "cosign.key", b"pw").keyid == key.keyid


def test_a_cosign_key_with_the_wrong_passphrase_is_refused(key: keys.PrivateKey) -> None:
    with pytest.raises(InputError, match="wrong passphrase"):
        keys.load_private(_cosign_key(_der(key), b"right"), "cosign.key", b"wrong")


def test_a_cosign_key_asking_for_huge_scrypt_memory_is_refused_before_deriving(key: keys.PrivateKey) -> None:
    pem = _cosign_key(_der(key), b"", n=1024)
    body = json.loads(base64.b64decode(b"".join(pem.splitlines()[1:-1])))
    body["kdf"]["params"]["N"] = 2 ** 24  # 16 GiB of scrypt memory
    text = base64.b64encode(json.dumps(body).encode()).decode()
    forged = f"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{text}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    with pytest.raises(InputError, match="unsupported scrypt parameters"):
        keys.load_private(forged.encode(), "cosign.key", b"")


def test_keys_of_other_curves_and_algorithms_are_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    pem = p384.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(InputError, match="not P-256"):
        keys.load_private(pem, "k.key")
    with pytest.raises(InputError, match="not a P-256"):
        keys.load_public(p384.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), "k.pub")
    ed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(InputError, match="not an ECDSA key"):
        keys.load_private(ed, "k.key")


def test_public_and_private_keys_swapped_say_so(key: keys.PrivateKey) -> None:
    with pytest.raises(InputError, match="holds a public key"):
        keys.load_private(key.public.pem(), "k.pub")
    with pytest.raises(InputError, match="holds a private key"):
        keys.load_public(keys.private_pem(key), "k.key")


def test_an_encrypted_key_without_a_passphrase_says_which_variable(key: keys.PrivateKey) -> None:
    with pytest.raises(InputError, match="CATALOG_SIGNING_PASSWORD"):
        keys.load_private(keys.private_pem(key, b"pw"), "k.key")


def test_key_files_missing_or_too_large(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        keys.load_public_file(tmp_path / "nope.pub")
    big = tmp_path / "big.pub"
    big.write_bytes(b"x" * (keys.MAX_KEY_BYTES + 1))
    with pytest.raises(InputError, match="too large"):
        keys.load_public_file(big)


def _damaged(pem: bytes) -> bytes:
    lines = pem.splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][:10] + (b"A" if lines[middle][10:11] != b"A" else b"B") + lines[middle][11:]
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("case", ["wrong passphrase", "damaged plain", "damaged encrypted", "cosign wrong passphrase"])
def test_no_error_repr_or_traceback_holds_private_key_material(key: keys.PrivateKey, case: str) -> None:
    pem = {
        "wrong passphrase": lambda: keys.private_pem(key, b"right"),
        "damaged plain": lambda: _damaged(keys.private_pem(key)),
        "damaged encrypted": lambda: _damaged(keys.private_pem(key, b"right")),
        "cosign wrong passphrase": lambda: _cosign_key(_der(key), b"right"),
    }[case]()
    with pytest.raises(InputError) as err:
        keys.load_private(pem, "k.key", b"wrong")
    shown = str(err.value) + repr(err.value) + "".join(traceback.format_exception(err.value))
    for part in _secret_parts(pem) + _secret_parts(keys.private_pem(key)):
        assert part not in shown
    assert str(err.value).startswith("k.key: ")


def test_a_private_key_shows_only_its_id_and_is_never_pickled(key: keys.PrivateKey) -> None:
    assert repr(key) == str(key) == f"PrivateKey({key.keyid})"
    assert f"{key}" == repr(key) and re.fullmatch(r"PrivateKey\(sha256:[0-9a-f]{64}\)", repr(key))
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_a_signature_verifies_only_for_its_data_and_key(key: keys.PrivateKey) -> None:
    sig = key.sign(b"payload")
    assert key.public.verify(sig, b"payload")
    assert not key.public.verify(sig, b"payloaD")
    assert not keys.generate().public.verify(sig, b"payload")
    assert not key.public.verify(b"not DER", b"payload")
