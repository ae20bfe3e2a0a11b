"""The detached signature of a catalog's index: ``index.yaml.sig`` beside ``index.yaml``.

The index pins every file's digest, so a signature over its bytes covers the whole
catalog, as apt's InRelease and Helm's provenance files do. The file is JSON::

    {"schema": "catalog.dev/index-signature/v1",
     "index": {"sha256": HEX, "size": BYTES},
     "serial": 7,
     "signedAt": "2026-01-02T03:04:05Z",
     "expires": "2026-04-02T03:04:05Z",
     "signatures": [{"keyid": "sha256:HEX", "sig": BASE64_DER_ECDSA_SHA256}]}

Each signature is over the canonical JSON (keys sorted, no spaces, UTF-8) of the
document without ``signatures``: the index's digest, the serial and both times are
signed, so none can be changed without a key. Several signatures let a catalog be
signed by an old key and its successor while clients move from one to the other.

What a client keeps of the last index it accepted (:class:`Seen`: serial and digest)
defends against the attacks TUF names: an older index replayed (rollback: a lower
serial), another index under a serial already seen (replay with a forged or mixed
index), and an index held back forever (freeze: the expiry).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..errors import InputError, SignatureError
from .keys import PrivateKey, PublicKey

SCHEMA = "catalog.dev/index-signature/v1"
#: The file's name beside index.yaml.
SIG_NAME = "index.yaml.sig"
#: A signature file is a few hundred bytes; a large one is refused unread.
MAX_SIG_BYTES = 64 * 1024
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_KEYS = {"schema", "index", "serial", "signedAt", "expires", "signatures"}


@dataclass(frozen=True)
class Seen:
    """What a client remembers of the last index it accepted from a repo."""

    serial: int
    sha256: str


@dataclass(frozen=True)
class Signed:
    """A signature file as read, before anything in it is trusted."""

    sha256: str
    size: int
    serial: int
    signed_at: datetime
    expires: datetime
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, DER signature)
    payload: bytes  # the canonical bytes the signatures are over


@dataclass(frozen=True)
class Verified:
    """An index whose signature was accepted: by which key, with what serial and expiry."""

    keyid: str
    serial: int
    signed_at: datetime
    expires: datetime
    sha256: str

    @property
    def seen(self) -> Seen:
        return Seen(self.serial, self.sha256)


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must be aware (UTC)")
    return moment.astimezone(timezone.utc).strftime(_TIME)


def sign_index(index_bytes: bytes, keys: PrivateKey | Sequence[PrivateKey], serial: int,
               valid_for: timedelta, now: datetime | None = None) -> bytes:
    """The bytes of ``index.yaml.sig`` for ``index_bytes``, signed by every key of
    ``keys``, valid from ``now`` (default: the current time) for ``valid_for``.
    ``serial`` must grow with every index published (the previous file's serial + 1,
    see :func:`read`), or clients that saw the previous one refuse the new one."""
    keys = [keys] if isinstance(keys, PrivateKey) else list(keys)
    if not keys:
        raise InputError("signing an index needs at least one key")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise InputError(f"the index serial must be a positive integer, not {serial!r}")
    if valid_for <= timedelta(0):
        raise InputError("a signature must be valid for some time (a positive duration)")
    signed_at = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "index": {"sha256": hashlib.sha256(index_bytes).hexdigest(), "size": len(index_bytes)},
        "serial": serial,
        "signedAt": _time(signed_at),
        "expires": _time(signed_at + valid_for),
    }
    payload = _canonical(doc)
    doc["signatures"] = [{"keyid": k.keyid, "sig": base64.b64encode(k.sign(payload)).decode("ascii")} for k in keys]
    return (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _malformed(what: str, where: str) -> SignatureError:
    return SignatureError(f"malformed index signature: {what}", where, reason="malformed")


def _parse_time(value: object, field: str, where: str) -> datetime:
    if not isinstance(value, str):
        raise _malformed(f"{field} is not an RFC 3339 UTC time", where)
    try:
        return datetime.strptime(value, _TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        raise _malformed(f"{field} {value!r} is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)", where) from None


def read(sig_bytes: bytes, where: str = SIG_NAME) -> Signed:
    """Parse a signature file, checking its shape only (nothing in it is trusted yet):
    for :func:`verify_index`, and for a signer reading the previous serial."""
    if len(sig_bytes) > MAX_SIG_BYTES:
        raise _malformed(f"{len(sig_bytes):,} bytes, over the limit of {MAX_SIG_BYTES:,}", where)
    try:
        doc = json.loads(sig_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _malformed("not JSON", where) from None
    if not isinstance(doc, dict) or set(doc) != _KEYS:
        found = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise _malformed(f"expected the fields {sorted(_KEYS)}, found {found}", where)
    if doc["schema"] != SCHEMA:
        raise _malformed(f"schema {doc['schema']!r} is not {SCHEMA!r}", where)
    index, serial, sigs = doc["index"], doc["serial"], doc["signatures"]
    if not (isinstance(index, dict) and set(index) == {"sha256", "size"} and isinstance(index["sha256"], str)
            and len(index["sha256"]) == 64 and isinstance(index["size"], int) and not isinstance(index["size"], bool)):
        raise _malformed("index must be {sha256: 64 hex digits, size: integer}", where)
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise _malformed("serial must be a positive integer", where)
    if not isinstance(sigs, list) or not sigs:
        raise _malformed("signatures must be a non-empty list", where)
    pairs = []
    for i, entry in enumerate(sigs):
        if not (isinstance(entry, dict) and set(entry) == {"keyid", "sig"}
                and isinstance(entry["keyid"], str) and isinstance(entry["sig"], str)):
            raise _malformed(f"signatures[{i}] must be {{keyid, sig}}", where)
        try:
            pairs.append((entry["keyid"], base64.b64decode(entry["sig"], validate=True)))
        except (binascii.Error, ValueError):
            raise _malformed(f"signatures[{i}].sig is not base64", where) from None
    signed_at = _parse_time(doc["signedAt"], "signedAt", where)
    expires = _parse_time(doc["expires"], "expires", where)
    unsigned = {k: v for k, v in doc.items() if k != "signatures"}
    return Signed(index["sha256"], index["size"], serial, signed_at, expires, tuple(pairs), _canonical(unsigned))


def verify_index(index_bytes: bytes, sig_bytes: bytes, trusted: Sequence[PublicKey], now: datetime,
                 last: Seen | None = None, where: str = SIG_NAME) -> Verified:
    """Accept ``index_bytes`` only if ``sig_bytes`` holds a valid signature over it by
    one of ``trusted``, unexpired at ``now``, and not older than ``last`` (what was
    accepted before, if anything). Raises :class:`SignatureError` with the reason
    ``malformed``, ``unknown-key``, ``bad-signature``, ``tampered``, ``expired``,
    ``rollback`` or ``replay``; checks run in that order, so that nothing the
    signature does not vouch for is looked at before it is verified."""
    signed = read(sig_bytes, where)
    by_id = {k.keyid: k for k in trusted}
    ours = [(keyid, sig) for keyid, sig in signed.signatures if keyid in by_id]
    if not ours:
        names = ", ".join(keyid for keyid, _ in signed.signatures)
        raise SignatureError(f"signed only by keys that are not trusted ({names})", where, reason="unknown-key")
    keyid = next((kid for kid, sig in ours if by_id[kid].verify(sig, signed.payload)), None)
    if keyid is None:
        raise SignatureError(f"the signature by {ours[0][0]} does not verify: the signature file was altered "
                             "or made by another key", where, reason="bad-signature")
    digest = hashlib.sha256(index_bytes).hexdigest()
    if digest != signed.sha256 or len(index_bytes) != signed.size:
        raise SignatureError(f"the index is not the one signed (sha256 {digest[:16]}…, signed "
                             f"{signed.sha256[:16]}…): it was changed after signing", where, reason="tampered")
    if now >= signed.expires:
        raise SignatureError(f"the signature expired at {_time(signed.expires)}: the catalog must be signed "
                             "again (an index held back past its expiry is a freeze attack)", where, reason="expired")
    if last is not None and signed.serial < last.serial:
        raise SignatureError(f"index serial {signed.serial} is older than serial {last.serial} already accepted: "
                             "an older index replayed (rollback)", where, reason="rollback")
    if last is not None and signed.serial == last.serial and digest != last.sha256:
        raise SignatureError(f"index serial {signed.serial} was already accepted for another index: "
                             "a signed index must get a new serial", where, reason="replay")
    return Verified(keyid, signed.serial, signed.signed_at, signed.expires, digest)


# -- files ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedFile:
    """What :func:`sign_file` wrote."""

    path: Path
    keyids: tuple[str, ...]
    serial: int
    expires: datetime


def _previous(sig_path: Path) -> Signed | None:
    try:
        data = sig_path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(sig_path)) from None
    try:
        return read(data, str(sig_path))
    except SignatureError as exc:
        raise InputError(f"cannot read the previous signature for its serial ({exc.message}): remove it, "
                         "or give the serial (--serial)", str(sig_path)) from None


def next_serial(index_path: Path, serial: int | None = None) -> int:
    """The serial to sign ``index_path`` with: the previous index.yaml.sig's plus one (1
    when there is none), so that it grows with every signature without depending on any
    clock; ``serial`` sets it, and may not go below the previous one, which clients that
    accepted it would refuse. Checked before anything is written."""
    sig_path = index_path.with_name(index_path.name + ".sig")
    previous = _previous(sig_path)
    if serial is None:
        return previous.serial + 1 if previous else 1
    if isinstance(serial, bool) or serial < 1:
        raise InputError(f"the index serial must be a positive integer, not {serial!r}", "--serial")
    if previous is not None and serial <= previous.serial:
        raise InputError(f"--serial {serial} is not above the previous signature's serial {previous.serial}: "
                         "clients that accepted it would refuse this one", str(sig_path))
    return serial


def sign_file(index_path: Path, keys: PrivateKey | Sequence[PrivateKey], valid_for: timedelta, serial: int,
              now: datetime | None = None) -> SignedFile:
    """Write ``index.yaml.sig`` beside ``index_path`` (replaced whole), with ``serial``
    (see :func:`next_serial`)."""
    from ..fsutil import atomic_write

    sig_path = index_path.with_name(index_path.name + ".sig")
    try:
        index_bytes = index_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(index_path)) from None
    data = sign_index(index_bytes, keys, serial, valid_for, now)
    signed = read(data, str(sig_path))
    atomic_write(sig_path, data)
    return SignedFile(sig_path, tuple(k for k, _ in signed.signatures), signed.serial, signed.expires)


def check_file(index_path: Path, trusted: Sequence[PublicKey], now: datetime) -> Signed | Verified | None:
    """``index --check``: the index.yaml.sig beside ``index_path`` (None when there is none)
    covers these very bytes and has not expired; with ``trusted`` keys, it is also a valid
    signature by one of them (:func:`verify_index`). A stale one says to sign again."""
    sig_path = index_path.with_name(index_path.name + ".sig")
    try:
        sig = sig_path.read_bytes()
    except FileNotFoundError:
        if trusted:
            raise SignatureError("no signature to check (catalog index --sign KEY writes one)", str(sig_path),
                                 reason="unsigned") from None
        return None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(sig_path)) from None
    index_bytes = index_path.read_bytes()
    if trusted:
        return verify_index(index_bytes, sig, trusted, now, where=str(sig_path))
    signed = read(sig, str(sig_path))
    digest = hashlib.sha256(index_bytes).hexdigest()
    if (digest, len(index_bytes)) != (signed.sha256, signed.size):
        raise SignatureError("signs another index than this index.yaml: the index changed since it was signed; "
                             "sign it again (catalog index --sign KEY)", str(sig_path), reason="tampered")
    if now >= signed.expires:
        raise SignatureError(f"expired at {_time(signed.expires)}: sign it again (catalog index --sign KEY)",
                             str(sig_path), reason="expired")
    return signed
