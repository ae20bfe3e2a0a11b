"""Reading cosign's own encrypted private keys (``cosign generate-key-pair``'s cosign.key).

The format, as cosign writes it (through go-securesystemslib's ``encrypted`` package):
a PEM block labelled ``ENCRYPTED SIGSTORE PRIVATE KEY`` (older cosign:
``ENCRYPTED COSIGN PRIVATE KEY``) whose body is JSON::

    {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": B64},
     "cipher": {"name": "nacl/secretbox", "nonce": B64},
     "ciphertext": B64}

The key is scrypt(passphrase, salt, N, r, p) of 32 bytes; the ciphertext is NaCl's
secretbox (XSalsa20-Poly1305, the 16-byte tag first) of the PKCS#8 DER private key
under the 24-byte nonce; an empty passphrase is a valid one. As cosign does, only the
three scrypt strengths it writes are accepted (N = 2^15, 2^16 or 2^17, r = 8, p = 1),
which also keeps a forged file from asking for gigabytes of memory.

Scrypt comes from ``cryptography``, secretbox from PyNaCl (libsodium); nothing of
either is written here.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import InputError

_SCRYPT_STRENGTHS = {(32768, 8, 1), (65536, 8, 1), (131072, 8, 1)}
_KEY_SIZE = 32
_NONCE_SIZE = 24


def _pem_body(data: bytes, kind: str, where: str) -> bytes:
    begin, end = f"-----BEGIN {kind}-----".encode(), f"-----END {kind}-----".encode()
    start, stop = data.find(begin), data.find(end)
    if start < 0 or stop < start:
        raise InputError(f"not a complete {kind} PEM block", where)
    body = b"".join(line.strip() for line in data[start + len(begin):stop].splitlines())
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"the {kind} block is not base64", where) from None


def _b64(doc: Any, *keys: str) -> bytes:
    value = doc
    for key in keys:
        value = value[key] if isinstance(value, dict) else None
    if not isinstance(value, str):
        raise KeyError(".".join(keys))
    return base64.b64decode(value, validate=True)


def decrypt(data: bytes, kind: str, passphrase: bytes, where: str) -> bytes:
    """The PKCS#8 DER inside cosign's encrypted key ``data``; ``kind`` is its PEM label."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    try:
        doc = json.loads(_pem_body(data, kind, where))
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = kdf["params"]
        strength = (params["N"], params["r"], params["p"])
        salt, nonce, sealed = _b64(doc, "kdf", "salt"), _b64(doc, "cipher", "nonce"), _b64(doc, "ciphertext")
        names = (kdf["name"], cipher["name"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InputError(f"not a cosign encrypted key: its {kind} block is not the JSON cosign writes", where) from None
    if names != ("scrypt", "nacl/secretbox"):
        raise InputError(f"unsupported cosign key encryption {names[0]}/{names[1]} (expected scrypt/nacl/secretbox)", where)
    if strength not in _SCRYPT_STRENGTHS:
        raise InputError("unsupported scrypt parameters (cosign writes N=2^15, 2^16 or 2^17 with r=8, p=1)", where)
    if len(nonce) != _NONCE_SIZE:
        raise InputError("the cosign key's nonce is not 24 bytes", where)
    n, r, p = strength
    box_key = Scrypt(salt=salt, length=_KEY_SIZE, n=n, r=r, p=p).derive(passphrase)
    try:
        return bytes(SecretBox(box_key).decrypt(sealed, nonce))
    except CryptoError:
        raise InputError("cannot decrypt the cosign key: wrong passphrase (COSIGN_PASSWORD's), "
                         "or a damaged key", where) from None
