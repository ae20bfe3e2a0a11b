"""index.yaml.sig: every attack on a signed index, each refused with its own reason."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from catalog_cli.errors import InputError, SignatureError
from catalog_cli.signing import keys
from catalog_cli.signing.index_sig import Seen, read, sign_index, verify_index

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
INDEX = b"apiVersion: v1\nentries:\n  git-clone:\n  - version: 1.0.0\n    digest: sha256:00\n"
WEEK = timedelta(days=7)


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


@pytest.fixture(scope="module")
def other() -> keys.PrivateKey:
    return keys.generate()


def _refused(reason: str, index: bytes, sig: bytes, trusted: list[keys.PublicKey], *,
             now: datetime = NOW, last: Seen | None = None) -> SignatureError:
    with pytest.raises(SignatureError) as err:
        verify_index(index, sig, trusted, now, last)
    assert err.value.reason == reason, str(err.value)
    assert err.value.exit_code == 9
    assert err.value.where == "index.yaml.sig"
    return err.value


def _edit(sig: bytes, change: dict[str, object]) -> bytes:
    doc = json.loads(sig)
    doc.update(change)
    return json.dumps(doc).encode()


def test_a_signed_index_verifies_and_says_by_which_key(key: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, key, serial=3, valid_for=WEEK, now=NOW)
    v = verify_index(INDEX, sig, [key.public], NOW + timedelta(days=1))
    assert (v.keyid, v.serial, v.expires) == (key.keyid, 3, NOW + WEEK)
    assert v.seen == Seen(3, v.sha256)
    doc = json.loads(sig)
    assert doc["schema"] == "catalog.dev/index-signature/v1"
    assert (doc["signedAt"], doc["expires"]) == ("2026-03-01T12:00:00Z", "2026-03-08T12:00:00Z")
    assert doc["index"]["size"] == len(INDEX)


def test_a_tampered_index_is_refused(key: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, key, 1, WEEK, NOW)
    err = _refused("tampered", INDEX.replace(b"1.0.0", b"1.0.1"), sig, [key.public])
    assert "changed after signing" in str(err)
    _refused("tampered", INDEX + b"\n", sig, [key.public])


def test_a_signature_file_edited_to_match_another_index_is_refused(key: keys.PrivateKey) -> None:
    """The attacker changes the index and writes its digest into the signature file:
    the digest is signed, so the signature no longer verifies."""
    evil = INDEX.replace(b"1.0.0", b"6.6.6")
    sig = sign_index(INDEX, key, 1, WEEK, NOW)
    forged = _edit(sig, {"index": {"sha256": __import__("hashlib").sha256(evil).hexdigest(), "size": len(evil)}})
    _refused("bad-signature", evil, forged, [key.public])


@pytest.mark.parametrize("change", [
    {"expires": "2099-01-01T00:00:00Z"},   # stretch the expiry
    {"serial": 1000},                      # jump the serial
    {"signedAt": "2026-03-05T00:00:00Z"},
])
def test_any_signed_field_changed_breaks_the_signature(key: keys.PrivateKey, change: dict[str, object]) -> None:
    sig = sign_index(INDEX, key, 2, WEEK, NOW)
    _refused("bad-signature", INDEX, _edit(sig, change), [key.public])


def test_a_signature_by_an_untrusted_key_is_refused(key: keys.PrivateKey, other: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, other, 1, WEEK, NOW)
    err = _refused("unknown-key", INDEX, sig, [key.public])
    assert other.keyid in str(err)


def test_a_signature_relabelled_with_the_trusted_key_id_is_refused(key: keys.PrivateKey, other: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, other, 1, WEEK, NOW)
    doc = json.loads(sig)
    doc["signatures"][0]["keyid"] = key.keyid
    _refused("bad-signature", INDEX, json.dumps(doc).encode(), [key.public])


def test_a_stripped_signature_is_refused(key: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, key, 1, WEEK, NOW)
    _refused("malformed", INDEX, _edit(sig, {"signatures": []}), [key.public])
    doc = json.loads(sig)
    del doc["signatures"]
    _refused("malformed", INDEX, json.dumps(doc).encode(), [key.public])


@pytest.mark.parametrize("sig", [
    b"", b"not json", b"[]", b"{}", "\u00e9".encode("latin-1"), b"{" * 10 + b"}" * 10, b" " * 70_000,
])
def test_a_malformed_signature_file_is_one_clear_error(key: keys.PrivateKey, sig: bytes) -> None:
    err = _refused("malformed", INDEX, sig, [key.public])
    assert str(err).startswith("index.yaml.sig: malformed index signature")


@pytest.mark.parametrize("change", [
    {"schema": "catalog.dev/index-signature/v2"},
    {"serial": "7"}, {"serial": 0}, {"serial": True},
    {"expires": "2026-03-08 12:00:00"}, {"expires": 1234},
    {"index": {"sha256": "00", "size": 1}},
    {"signatures": [{"keyid": "x", "sig": "!!!"}]},
    {"signatures": [{"keyid": "x"}]},
    {"extra": 1},
])
def test_a_signature_file_of_the_wrong_shape_is_malformed(key: keys.PrivateKey, change: dict[str, object]) -> None:
    sig = sign_index(INDEX, key, 1, WEEK, NOW)
    _refused("malformed", INDEX, _edit(sig, change), [key.public])


def test_an_expired_signature_is_refused(key: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, key, 1, WEEK, NOW)
    assert verify_index(INDEX, sig, [key.public], NOW + WEEK - timedelta(seconds=1))
    err = _refused("expired", INDEX, sig, [key.public], now=NOW + WEEK)
    assert "2026-03-08T12:00:00Z" in str(err)


def test_an_older_index_replayed_is_refused(key: keys.PrivateKey) -> None:
    old = sign_index(INDEX, key, 4, WEEK, NOW)
    newer = INDEX + b"  kubectl-deploy: []\n"
    accepted = verify_index(newer, sign_index(newer, key, 5, WEEK, NOW), [key.public], NOW)
    err = _refused("rollback", INDEX, old, [key.public], last=accepted.seen)
    assert "serial 4 is older than serial 5" in str(err)


def test_the_same_serial_over_another_index_is_refused(key: keys.PrivateKey) -> None:
    accepted = verify_index(INDEX, sign_index(INDEX, key, 5, WEEK, NOW), [key.public], NOW)
    other_index = INDEX + b"# another\n"
    _refused("replay", other_index, sign_index(other_index, key, 5, WEEK, NOW), [key.public], last=accepted.seen)


def test_the_same_index_fetched_again_is_accepted(key: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, key, 5, WEEK, NOW)
    first = verify_index(INDEX, sig, [key.public], NOW)
    again = verify_index(INDEX, sig, [key.public], NOW + timedelta(hours=1), last=first.seen)
    assert again.serial == 5


def test_rotation_an_index_signed_by_old_and_new_keys_verifies_with_either(
        key: keys.PrivateKey, other: keys.PrivateKey) -> None:
    sig = sign_index(INDEX, [key, other], 9, WEEK, NOW)
    assert verify_index(INDEX, sig, [key.public], NOW).keyid == key.keyid
    assert verify_index(INDEX, sig, [other.public], NOW).keyid == other.keyid
    assert verify_index(INDEX, sig, [other.public, key.public], NOW).keyid == key.keyid


def test_rotation_a_bad_signature_by_one_trusted_key_does_not_hide_a_good_one(
        key: keys.PrivateKey, other: keys.PrivateKey) -> None:
    doc = json.loads(sign_index(INDEX, [key, other], 9, WEEK, NOW))
    doc["signatures"][0]["sig"] = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
    assert verify_index(INDEX, json.dumps(doc).encode(), [key.public, other.public], NOW).keyid == other.keyid


def test_the_signer_reads_the_previous_serial() -> None:
    k = keys.generate()
    assert read(sign_index(INDEX, k, 41, WEEK, NOW)).serial == 41


@pytest.mark.parametrize(("serial", "valid_for"), [(0, WEEK), (-1, WEEK), (1, timedelta(0))])
def test_signing_refuses_a_bad_serial_or_validity(key: keys.PrivateKey, serial: int, valid_for: timedelta) -> None:
    with pytest.raises(InputError):
        sign_index(INDEX, key, serial, valid_for, NOW)
