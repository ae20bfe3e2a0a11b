"""ECDSA P-256 keys in the PEM forms cosign reads and writes, through ``cryptography``.

Public keys are PEM SubjectPublicKeyInfo (``BEGIN PUBLIC KEY``), byte for byte what
``cosign generate-key-pair`` writes as ``cosign.pub`` and what a Tekton
VerificationPolicy holds. Private keys are read from PKCS#8 (``BEGIN PRIVATE KEY``, or
``BEGIN ENCRYPTED PRIVATE KEY`` with a passphrase), SEC 1 (``BEGIN EC PRIVATE KEY``),
or cosign's own encrypted form (:mod:`.cosign_key`); they are written as PKCS#8.

A key's id is ``sha256:`` and the hex SHA-256 of its DER SubjectPublicKeyInfo: what a
lock file or a signature names. Signatures are ECDSA over SHA-256, DER-encoded (ASN.1),
as cosign and Tekton make them.

Private key material never leaves :class:`PrivateKey` but as the PEM :func:`private_pem`
returns: not in a repr, not in an error message, not in an exception's cause.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import InputError, NotFound

#: A key file far larger than a PEM key is a mistake; it is refused before parsing.
MAX_KEY_BYTES = 64 * 1024
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True)
class PublicKey:
    """A P-256 public key and its id."""

    key: ec.EllipticCurvePublicKey
    keyid: str

    @classmethod
    def of(cls, key: ec.EllipticCurvePublicKey) -> PublicKey:
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls(key, "sha256:" + hashlib.sha256(der).hexdigest())

    def pem(self) -> bytes:
        """``-----BEGIN PUBLIC KEY-----``: what cosign writes as cosign.pub."""
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (DER ECDSA) is this key's over SHA-256 of ``data``."""
        try:
            self.key.verify(signature, data, _ECDSA_SHA256)
        except (InvalidSignature, ValueError):
            return False
        return True

    def __repr__(self) -> str:
        return f"PublicKey({self.keyid})"


class PrivateKey:
    """A P-256 private key. Its repr names only the public key's id, and it refuses to
    be pickled, so that no log line, traceback or cache ever holds it."""

    __slots__ = ("_key", "public")

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key
        self.public = PublicKey.of(key.public_key())

    @property
    def keyid(self) -> str:
        return self.public.keyid

    def sign(self, data: bytes) -> bytes:
        """DER ECDSA over SHA-256 of ``data``."""
        return self._key.sign(data, _ECDSA_SHA256)

    def __repr__(self) -> str:
        return f"PrivateKey({self.keyid})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a private key is not pickled")


def generate() -> PrivateKey:
    """A new P-256 key pair, as ``cosign generate-key-pair`` makes by default."""
    return PrivateKey(ec.generate_private_key(ec.SECP256R1()))


def private_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """``key`` as PKCS#8 PEM: encrypted with ``passphrase`` (PBES2, the best
    ``cryptography`` offers) when one is given and not empty, plain otherwise."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    return key._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _pem_type(data: bytes) -> str | None:
    """The label of the first PEM block (``PUBLIC KEY``, ``PRIVATE KEY`` ...)."""
    start = data.find(b"-----BEGIN ")
    if start < 0:
        return None
    end = data.find(b"-----", start + 11)
    if end < 0:
        return None
    return data[start + 11:end].decode("ascii", "replace")


def _p256_private(key: object, where: str) -> PrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InputError(f"not an ECDSA key ({type(key).__name__.lstrip('_')}); catalog signs with P-256 keys", where)
    if not isinstance(key.curve, ec.SECP256R1):
        raise InputError(f"an ECDSA key on {key.curve.name}, not P-256 (secp256r1)", where)
    return PrivateKey(key)


def load_private(data: bytes, where: str, passphrase: bytes | None = None) -> PrivateKey:
    """The private key in PEM ``data`` (a file's bytes, or an environment variable's);
    ``where`` names it in errors, which never quote it."""
    if len(data) > MAX_KEY_BYTES:
        raise InputError(f"{len(data):,} bytes is too large for a key", where)
    kind = _pem_type(data)
    if kind in ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"):
        from .cosign_key import decrypt

        der = decrypt(data, kind, passphrase or b"", where)
        try:
            loaded: object = serialization.load_der_private_key(der, None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InputError("cosign key decrypted, but it holds no PKCS#8 private key", where) from None
        return _p256_private(loaded, where)
    if kind == "PUBLIC KEY":
        raise InputError("holds a public key; signing needs the private key (the .key file)", where)
    if kind not in ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY"):
        raise InputError("not a PEM private key (expected BEGIN PRIVATE KEY, ENCRYPTED PRIVATE KEY, "
                         "EC PRIVATE KEY or ENCRYPTED SIGSTORE PRIVATE KEY)", where)
    encrypted = kind == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in data
    if encrypted and not passphrase:
        raise InputError("the key is encrypted: give its passphrase (CATALOG_SIGNING_PASSWORD)", where)
    try:
        loaded = serialization.load_pem_private_key(data, passphrase if encrypted else None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography's messages never quote the key, but its cause is dropped all the
        # same: a traceback under --debug must not be where key bytes could surface.
        hint = "wrong passphrase, or a damaged key" if encrypted else "a damaged or unsupported key"
        raise InputError(f"cannot read the private key: {hint}", where) from None
    return _p256_private(loaded, where)


def load_public(data: bytes, where: str) -> PublicKey:
    """The P-256 public key in PEM ``data`` (``BEGIN PUBLIC KEY``, as cosign.pub)."""
    if len(data) > MAX_KEY_BYTES:
        raise InputError(f"{len(data):,} bytes is too large for a key", where)
    kind = _pem_type(data)
    if kind != "PUBLIC KEY":
        if kind is not None and "PRIVATE" in kind:
            raise InputError("holds a private key; give the public key (the .pub file)", where)
        raise InputError("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)", where)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InputError("cannot read the public key: damaged or unsupported", where) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InputError("not a P-256 ECDSA public key; catalog verifies P-256 signatures", where)
    return PublicKey.of(key)


def read_key_file(path: Path) -> bytes:
    """The bytes of a key file, refusing a missing, unreadable or oversized one."""
    try:
        size = path.stat().st_size
        if size > MAX_KEY_BYTES:
            raise InputError(f"{size:,} bytes is too large for a key", str(path))
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound("no such key file", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a key file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from None


def load_public_file(path: Path) -> PublicKey:
    return load_public(read_key_file(path), str(path))


def load_private_file(path: Path, passphrase: bytes | None = None) -> PrivateKey:
    return load_private(read_key_file(path), str(path), passphrase)


@dataclass(frozen=True)
class KeyPair:
    """Where :func:`write_pair` put a new key pair."""

    private: Path
    public: Path
    keyid: str
    encrypted: bool


def write_pair(prefix: Path, passphrase: bytes | None = None) -> KeyPair:
    """A new key pair as ``PREFIX.key`` (PKCS#8, 0600, encrypted when ``passphrase``
    is given and not empty) and ``PREFIX.pub``; an existing file of either name is
    never replaced."""
    from ..fsutil import create_new

    private, public = prefix.with_name(prefix.name + ".key"), prefix.with_name(prefix.name + ".pub")
    for path in (private, public):
        if path.exists() or path.is_symlink():
            raise InputError("already exists: catalog keygen never replaces a key (choose another --out)", str(path))
    key = generate()
    try:
        create_new(private, private_pem(key, passphrase), mode=0o600)
    except FileExistsError:
        raise InputError("already exists: catalog keygen never replaces a key", str(private)) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", str(private)) from None
    try:
        create_new(public, key.public.pem())
    except OSError as exc:
        private.unlink(missing_ok=True)
        reason = "already exists" if isinstance(exc, FileExistsError) else f"cannot write: {exc.strerror}"
        raise InputError(reason, str(public)) from None
    return KeyPair(private, public, key.keyid, bool(passphrase))
