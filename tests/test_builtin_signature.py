"""The built-in catalog ships signed: both committed indexes (index.yaml at the top, whose
paths go into catalog/, and catalog/index.yaml, which the wheel ships) carry an
index.yaml.sig by the key whose public half is keys/catalog.pub.

The private key is not in the repository, so nothing here can sign again: a change to
either index without scripts/sign-catalog.sh (run by a maintainer holding the key)
fails these tests, and so does the signature's expiry (it is made valid for two years;
see docs/signing.md)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from catalog_cli.signing import keys
from catalog_cli.signing.index_sig import read, verify_index

from .conftest import ROOT, run_cli

PUBLIC = ROOT / "keys" / "catalog.pub"
INDEXES = [ROOT / "index.yaml", ROOT / "catalog" / "index.yaml"]


@pytest.mark.parametrize("index", INDEXES, ids=["top", "catalog"])
def test_the_shipped_index_is_signed_by_the_committed_key(index: object) -> None:
    from pathlib import Path

    assert isinstance(index, Path)
    sig = index.with_name("index.yaml.sig")
    assert sig.is_file(), f"{sig} is missing: a maintainer runs scripts/sign-catalog.sh"
    public = keys.load_public_file(PUBLIC)
    verified = verify_index(index.read_bytes(), sig.read_bytes(), [public], datetime.now(timezone.utc),
                            where=str(sig))
    assert verified.keyid == public.keyid
    signed = read(sig.read_bytes())
    assert signed.expires - signed.signed_at >= timedelta(days=365), "the built-in catalog is signed for long"


@pytest.mark.parametrize("args", [(".",), ("catalog",)], ids=["top", "catalog"])
def test_index_check_verifies_the_shipped_signature(args: tuple[str, ...]) -> None:
    r = run_cli("index", *args, "--check", "--key", str(PUBLIC))
    assert r.code == 0, r.err
    assert f"signed by {keys.load_public_file(PUBLIC).keyid}" in r.err


def test_only_the_public_key_is_committed() -> None:
    """Private keys in the repository are test data (tests/), never the catalog's."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    leaking = []
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if not name or name.startswith("tests/") or not path.is_file():
            continue
        if b"PRIVATE KEY-----" in path.read_bytes():
            leaking.append(name)
    assert leaking == []
    assert PUBLIC.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
