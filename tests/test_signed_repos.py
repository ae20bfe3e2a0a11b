"""Signed HTTP and folder catalogs: ``index --sign``, ``repo add --trust-key``, and every
attack on a signed index refused with one line naming the entry, the repo and the key.

The cluster side (nothing applied) is tests/test_signed_install_cluster.py; these run
through the real exit point against a real HTTP server on loopback and real folders.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from catalog_cli.settings import Settings
from catalog_cli.signing import keys
from catalog_cli.signing.index_sig import SIG_NAME, read, sign_index

from .conftest import BUILTIN, Result, assert_one_line_error, run_cli
from .faultserve import serve

NO_CLUSTER = {"KUBECONFIG": "/nonexistent"}


def keygen(tmp_path: Path, prefix: str = "team") -> tuple[Path, Path, str]:
    r = run_cli("keygen", "--out", str(tmp_path / prefix))
    assert r.code == 0, r.err
    return tmp_path / f"{prefix}.key", tmp_path / f"{prefix}.pub", r.out.strip()


def signed_tree(tmp_path: Path, key: Path, *extra: str, name: str = "cat") -> Path:
    root = tmp_path / name
    shutil.copytree(BUILTIN, root)
    (root / SIG_NAME).unlink(missing_ok=True)  # the built-in catalog's own signature is another key's
    r = run_cli("index", str(root), "--sign", str(key), *extra)
    assert r.code == 0, r.err
    return root


def resign(root: Path, key: Path, serial: int, *, now: datetime | None = None,
           valid_for: timedelta = timedelta(days=30)) -> None:
    """Sign ``root``'s index as a publisher would, with a chosen serial and time."""
    private = keys.load_private_file(key)
    (root / SIG_NAME).write_bytes(sign_index((root / "index.yaml").read_bytes(), private, serial, valid_for, now))


def edit_index(root: Path) -> None:
    """A change to the index as served, as an attacker on the server makes: an entry's
    digest pointed at other content (a forged file put beside it)."""
    import re

    index = root / "index.yaml"
    index.write_text(re.sub(r"digest: sha256:[0-9a-f]{64}", "digest: sha256:" + "0" * 64, index.read_text(),
                            count=1))


def refused(r: Result, *needles: str) -> None:
    assert_one_line_error(r, *needles)
    assert r.code == 9, r


# -- catalog index --sign ------------------------------------------------------------------------
def test_index_sign_writes_a_signature_and_each_one_gets_the_next_serial(tmp_path: Path) -> None:
    key, _, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    first = read((root / SIG_NAME).read_bytes())
    assert first.serial == 1
    assert first.signatures[0][0] == keyid
    assert timedelta(days=29) < first.expires - datetime.now(timezone.utc) <= timedelta(days=30)
    r = run_cli("index", str(root), "--sign", str(key), "--valid-for", "365d")
    assert r.code == 0, r.err
    assert "serial 2" in r.err and keyid in r.err
    second = read((root / SIG_NAME).read_bytes())
    assert second.serial == 2
    assert timedelta(days=364) < second.expires - datetime.now(timezone.utc) <= timedelta(days=365)
    assert "BEGIN" not in r.out + r.err


def test_index_sign_takes_an_encrypted_key_from_a_variable(tmp_path: Path) -> None:
    r = run_cli("keygen", "--out", str(tmp_path / "k"), env={"CATALOG_SIGNING_PASSWORD": "s3cret"})
    assert r.code == 0
    keyid = r.out.strip()
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    env = {"TEAM_KEY": (tmp_path / "k.key").read_text(), "CATALOG_SIGNING_PASSWORD": "s3cret"}
    r = run_cli("index", str(root), "--sign", "env://TEAM_KEY", env=env)
    assert r.code == 0, r.err
    assert read((root / SIG_NAME).read_bytes()).signatures[0][0] == keyid
    assert f"signed by {keyid}" in r.err
    assert "s3cret" not in r.out + r.err


@pytest.mark.parametrize(("args", "needle"), [
    (("--valid-for", "0d"), "--valid-for"),
    (("--valid-for", "soon"), "--valid-for"),
    (("--serial", "0"), "--serial"),
])
def test_index_sign_refuses_bad_options_and_writes_no_signature(args: tuple[str, ...], needle: str,
                                                                 tmp_path: Path) -> None:
    key, _, _ = keygen(tmp_path)
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    (root / SIG_NAME).unlink(missing_ok=True)
    r = run_cli("index", str(root), "--sign", str(key), *args)
    assert_one_line_error(r, needle)
    assert not (root / SIG_NAME).exists()


def test_index_sign_refuses_a_serial_below_the_previous_one(tmp_path: Path) -> None:
    key, _, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key, "--serial", "7")
    before = (root / SIG_NAME).read_bytes()
    r = run_cli("index", str(root), "--sign", str(key), "--serial", "5")
    assert_one_line_error(r, "--serial", "7")
    assert (root / SIG_NAME).read_bytes() == before


def test_index_check_fails_when_the_index_changed_since_it_was_signed(tmp_path: Path) -> None:
    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    r = run_cli("index", str(root), "--check", "--key", str(pub))
    assert r.code == 0, r.err
    assert "signed" in r.err
    readme = root / "task" / "git-clone" / "0.1" / "git-clone.yaml"
    readme.write_text(readme.read_text().replace("description:", "description: Changed.", 1))
    r = run_cli("index", str(root))  # regenerated, not signed again: said at once
    assert r.code == 0 and "warning: " in r.err and "sign it again" in r.err
    r = run_cli("index", str(root), "--check")
    refused(r, SIG_NAME, "sign it again")
    _, other, _ = keygen(tmp_path, "other")
    resign(root, key, 2)
    r = run_cli("index", str(root), "--check", "--key", str(other))
    refused(r, SIG_NAME, "not trusted")


# -- HTTP repos -----------------------------------------------------------------------------------
def test_a_signed_http_repo_is_verified_listed_and_its_entries_say_by_which_key(tmp_path: Path) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    with serve(root) as srv:
        r = run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub))
        assert r.code == 0, r.err
        assert keyid in r.err
        rows = {row["name"]: row for row in run_cli("repo", "list", "-o", "json").json()}
        assert rows["team"]["signature"]["verifiedBy"] == keyid
        assert rows["team"]["signature"]["serial"] == 1
        assert rows["team"]["signature"]["keys"] == [keyid]
        r = run_cli("repo", "list")
        assert keyid[:19] in r.out
        info = run_cli("info", "team/kubectl-deploy", "-o", "json")
        assert info.code == 0, info.err
        assert info.json()["signedBy"] == keyid
        text = run_cli("info", "team/kubectl-deploy").out
        assert f"Signed by:    {keyid} (the index of repo team)" in text
    assert run_cli("info", "builtin/kubectl-deploy", "-o", "json").json()["signedBy"] is None


def test_repo_add_with_the_wrong_key_adds_nothing(tmp_path: Path) -> None:
    key, _, keyid = keygen(tmp_path)
    _, other, other_id = keygen(tmp_path, "other")
    root = signed_tree(tmp_path, key)
    with serve(root) as srv:
        r = run_cli("repo", "add", "team", srv.url, "--trust-key", str(other))
    refused(r, "repo team", other_id, keyid)
    assert [row["name"] for row in run_cli("repo", "list", "-o", "json").json()] == ["builtin"]


def test_trust_key_must_be_a_public_key(tmp_path: Path) -> None:
    key, _, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    r = run_cli("repo", "add", "team", str(root), "--trust-key", str(key))
    assert_one_line_error(r, str(key), "public key")
    assert r.code == 2


@pytest.mark.parametrize("attack", ["tampered index", "stripped signature", "wrong key", "expired",
                                    "older index replayed", "serial reused"])
def test_each_attack_on_a_signed_http_index_is_refused_naming_entry_repo_and_key(attack: str,
                                                                                 tmp_path: Path) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    old_index, old_sig = (root / "index.yaml").read_bytes(), (root / SIG_NAME).read_bytes()
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        if attack == "tampered index":
            edit_index(root)
            reason = "changed after signing"
        elif attack == "stripped signature":
            (root / SIG_NAME).unlink()
            reason = "no index.yaml.sig"
        elif attack == "wrong key":
            other, _, other_id = keygen(tmp_path, "other")
            edit_index(root)
            resign(root, other, 2)
            reason = other_id
        elif attack == "expired":
            resign(root, key, 2, now=datetime.now(timezone.utc) - timedelta(days=40))
            reason = "expired"
        elif attack == "older index replayed":
            edit_index(root)
            resign(root, key, 2)
            assert run_cli("repo", "update", "team").code == 0  # serial 2 accepted
            (root / "index.yaml").write_bytes(old_index)
            (root / SIG_NAME).write_bytes(old_sig)
            reason = "rollback"
        else:
            edit_index(root)
            resign(root, key, 1)
            reason = "already accepted"
        r = run_cli("install", "team/kubectl-deploy", "-n", "default", env=NO_CLUSTER)
        refused(r, "kubectl-deploy", "repo team", keyid, reason)
        r = run_cli("info", "kubectl-deploy")  # the default catalog: team comes first
        refused(r, "kubectl-deploy", "repo team", reason)
        r = run_cli("repo", "update", "team")
        assert r.code == 9 and reason in r.out + r.err
        row = next(x for x in run_cli("repo", "list", "-o", "json").json() if x["name"] == "team")
        assert reason in row["signature"]["refused"]
        assert row["signature"]["verifiedBy"] == keyid  # the copy held here: the last one accepted
        assert "REFUSED" in run_cli("repo", "list").out


def test_the_cached_index_is_checked_again_offline(tmp_path: Path) -> None:
    """A signature that was valid when fetched expires in the cache: a frozen client is told."""
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    resign(root, key, 1, now=datetime.now(timezone.utc) - timedelta(days=29, hours=23, minutes=59, seconds=55))
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
    import time

    time.sleep(6)
    r = run_cli("--offline", "-q", "info", "team/kubectl-deploy")
    refused(r, "kubectl-deploy", "repo team", keyid, "expired")


def test_a_repo_before_a_refused_one_still_answers(tmp_path: Path) -> None:
    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    first = tmp_path / "first"
    first.mkdir()
    shutil.copytree(BUILTIN / "task" / "yq-update", first / "task" / "yq-update")
    assert run_cli("repo", "add", "first", str(first)).code == 0
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        edit_index(root)
        assert run_cli("info", "yq-update", "-o", "json").json()["repo"] == "first"
        refused(run_cli("info", "git-clone"), "git-clone", "repo team")
        refused(run_cli("search", "git"), "repo team")


def test_repo_remove_forgets_the_last_serial(tmp_path: Path) -> None:
    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key, "--serial", "5")
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        resign(root, key, 1)
        refused(run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub), "--force"), "rollback")
        assert run_cli("repo", "remove", "team").code == 0
        r = run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub))
        assert r.code == 0, r.err


def test_several_keys_for_a_rotation(tmp_path: Path) -> None:
    old, old_pub, old_id = keygen(tmp_path, "old")
    new, new_pub, new_id = keygen(tmp_path, "new")
    root = signed_tree(tmp_path, old, "--sign", str(new))  # both signatures, during the rotation
    assert [k for k, _ in read((root / SIG_NAME).read_bytes()).signatures] == [old_id, new_id]
    with serve(root) as srv:
        r = run_cli("repo", "add", "early", srv.url, "--trust-key", str(new_pub))
        assert r.code == 0, r.err  # a client that already trusts only the new key
        assert run_cli("info", "early/git-clone", "-o", "json").json()["signedBy"] == new_id
    resign(root, old, 2)
    with serve(root) as srv:
        r = run_cli("repo", "add", "team", srv.url, "--trust-key", str(old_pub), "--trust-key", str(new_pub))
        assert r.code == 0, r.err
        assert run_cli("info", "team/git-clone", "-o", "json").json()["signedBy"] == old_id
        r = run_cli("index", str(root), "--sign", str(new))
        assert r.code == 0, r.err
        assert run_cli("info", "team/git-clone", "-o", "json").json()["signedBy"] == new_id
        rows = {row["name"]: row for row in run_cli("repo", "list", "-o", "json").json()}
        assert rows["team"]["signature"]["keys"] == [old_id, new_id]
        assert rows["team"]["signature"]["serial"] == 3


def test_the_config_keeps_public_keys_only(tmp_path: Path) -> None:
    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    import os

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"
    text = config.read_text()
    assert pub.read_text().strip().splitlines()[1] in text
    assert "PRIVATE" not in text
    pub.unlink()  # the key is in the config, not referred to
    assert run_cli("info", "team/git-clone").code == 0


# -- folders --------------------------------------------------------------------------------------
@pytest.mark.parametrize("attack", ["tampered index", "stripped signature", "expired", "older index replayed",
                                    "unsigned tree"])
def test_each_attack_on_a_signed_folder_is_refused(attack: str, tmp_path: Path) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    old_index, old_sig = (root / "index.yaml").read_bytes(), (root / SIG_NAME).read_bytes()
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    assert run_cli("info", "team/git-clone", "-o", "json").json()["signedBy"] == keyid
    if attack == "tampered index":
        edit_index(root)
        reason = "changed after signing"
    elif attack == "stripped signature":
        (root / SIG_NAME).unlink()
        reason = "no index.yaml.sig"
    elif attack == "expired":
        resign(root, key, 2, now=datetime.now(timezone.utc) - timedelta(days=40))
        reason = "expired"
    elif attack == "older index replayed":
        edit_index(root)
        resign(root, key, 2)
        assert run_cli("info", "team/git-clone").code == 0  # serial 2 accepted
        (root / "index.yaml").write_bytes(old_index)
        (root / SIG_NAME).write_bytes(old_sig)
        reason = "rollback"
    else:
        (root / "index.yaml").unlink()
        (root / SIG_NAME).unlink()
        reason = "no index.yaml"
    refused(run_cli("install", "team/git-clone", "-n", "default", env=NO_CLUSTER), "git-clone", "repo team",
            keyid, reason)


def test_the_last_accepted_serial_is_kept_privately_in_the_state_folder(tmp_path: Path) -> None:
    import os
    import stat

    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key, "--serial", "3")
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    state = Path(os.environ["XDG_STATE_HOME"]) / "catalog" / "trust" / "team.json"
    seen = json.loads(state.read_text())
    assert seen["serial"] == 3
    assert seen["sha256"] == read((root / SIG_NAME).read_bytes()).sha256
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


# -- locks ----------------------------------------------------------------------------------------
def test_a_lock_records_the_key_that_verified_each_entry(tmp_path: Path) -> None:
    import yaml

    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "team/kubectl-deploy", "yq-update", "--file", str(lock), "--offline")
    assert r.code == 0, r.err
    resolved = {e["name"]: e for e in yaml.safe_load(lock.read_text())["resolved"]}
    assert resolved["kubectl-deploy"]["signedBy"] == keyid
    assert resolved["yq-update"]["signedBy"] == keyid  # team holds it too, and comes first
    r = run_cli("lock", "--check", "--file", str(lock), "--offline")
    assert r.code == 0, r.err


def test_a_lock_made_from_a_signed_repo_refuses_it_unsigned(tmp_path: Path) -> None:
    """The repo's keys were dropped (or the repo replaced by one without): the lock still
    says the entry was signed, so an unsigned copy of it is refused, naming entry, repo and key."""
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "team/kubectl-deploy", "--file", str(lock), "--offline").code == 0
    assert run_cli("repo", "add", "team", str(root), "--force").code == 0  # no --trust-key now
    r = run_cli("lock", "--check", "--file", str(lock), "--offline")
    refused(r, "kubectl-deploy", "team", keyid, "not signed")


def test_a_bad_signed_by_in_a_lock_is_one_line(tmp_path: Path) -> None:
    key, pub, _ = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    assert run_cli("repo", "add", "team", str(root), "--trust-key", str(pub)).code == 0
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "team/kubectl-deploy", "--file", str(lock), "--offline").code == 0
    lock.write_text(lock.read_text().replace("signedBy: sha256:", "signedBy: md5:", 1))
    r = run_cli("lock", "--check", "--file", str(lock), "--offline")
    assert_one_line_error(r, str(lock), "resolved[0].signedBy", "key id")
    assert r.code == 2


def test_a_lock_without_signatures_reads_as_before(tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "kubectl-deploy", "--file", str(lock), "--offline").code == 0
    assert "signedBy" not in lock.read_text()
    assert run_cli("lock", "--check", "--file", str(lock), "--offline").code == 0


def test_the_state_never_goes_back_to_a_lower_serial_and_an_acceptance_clears_a_refusal(settings: Settings) -> None:
    """Two processes accepting serials 6 and 5 in the wrong order must not leave 5 kept."""
    from catalog_cli.errors import SignatureError
    from catalog_cli.signing.index_sig import Verified
    from catalog_cli.sources import signed

    def accepted(serial: int) -> Verified:
        now = datetime.now(timezone.utc)
        return Verified("sha256:" + "a" * 64, serial, now, now + timedelta(days=1), f"{serial:064x}")

    signed.remember("team", accepted(6), settings)
    signed.remember("team", accepted(5), settings)
    assert signed.last_seen("team", settings).serial == 6
    signed._remember_refusal("team", SignatureError("refused", reason="expired"), settings)
    assert signed.last_refusal("team", settings) == "refused"
    signed.remember("team", accepted(6), settings)
    assert signed.last_refusal("team", settings) is None
    assert signed.last_seen("team", settings).serial == 6
    signed.forget("team", settings)
    assert signed.last_seen("team", settings) is None


def test_the_signature_file_name_is_the_signing_modules() -> None:
    from catalog_cli.sources import repo_cache, signed

    assert signed.SIG_NAME == repo_cache.SIG == SIG_NAME
