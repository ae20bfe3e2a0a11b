"""The sample service repository (tests/data/tekton_refs/sample) against real parts: the
acme catalog in a local git repository and as bundles in the loopback registry. `refs`,
`outdated`, `update --dry-run` (its diff is a golden file), `update`, and a second
`update` with nothing to do, as a user runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import run_cli
from .tekton_refs_parts import Acme, make_acme
from .test_oci import registry  # noqa: F401  (a fixture)
from .test_resolve_cli import FAST

GOLDEN = Path(__file__).parent / "data" / "tekton_refs" / "sample-update.diff"


@pytest.fixture(scope="module")
def acme(registry: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Acme:  # noqa: F811
    return make_acme(tmp_path_factory.mktemp("acme"), registry["host"])


@pytest.fixture
def service(acme: Acme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    acme.configure()
    tekton = acme.service(tmp_path / "orders")
    for k, v in FAST.items():
        monkeypatch.setenv(k, v)
    return tekton


def test_refs_lists_every_reference_with_where_it_points(acme: Acme, service: Path) -> None:
    r = run_cli("refs", "-o", "json", cwd=service.parent)
    assert r.code == 0, r.err
    rows = r.json()
    got = {(row["file"].rsplit("/", 1)[-1], row["line"], row["name"]): row for row in rows}
    # (file, line, name) -> (resolver, version, pinned, known by, newest allowed)
    assert {k: (v["resolver"], v["version"], v["pinned"], v["repo"] if v["known"] else "external",
                v["newestAllowed"]) for k, v in got.items()} == {
        ("nightly.yaml", 14, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),
        ("on-pull-request.yaml", 10, "git-clone"): ("hub", "0.1", False, "builtin", "0.2"),
        ("on-pull-request.yaml", 10, "unit-test"): ("file", None, False, "external", None),
        ("on-pull-request.yaml", 12, "orders-ci"): (None, None, False, "external", None),
        ("on-push.yaml", 33, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),
        ("on-push.yaml", 49, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),  # the alias
        ("on-push.yaml", 61, "kaniko"): ("git", "0.1", False, "acme", "0.1"),
        ("on-push.yaml", 81, "yq-update"): ("hub", "0.2", False, "builtin", "0.2"),
        ("on-push.yaml", 102, "send-to-webhook-slack"): ("hub", "0.1", False, "external", None),
        ("pipeline.yaml", 17, "git-clone"): (None, None, False, "external", None),
        ("pipeline.yaml", 29, "unit-test"): (None, None, False, "external", None),
        ("pipeline.yaml", 36, "maven-jib-build"): (None, None, False, "external", None),
        ("pipeline.yaml", 47, "yq-update"): ("git", "0.1", True, "acme", "0.2"),
    }
    kaniko = got[("on-push.yaml", 61, "kaniko")]
    assert kaniko["range"] == "~0.1" and kaniko["newest"] == "0.2"  # held back by catalog.yaml
    assert got[("pipeline.yaml", 36, "maven-jib-build")]["note"].startswith("a ClusterTask")
    assert got[("on-push.yaml", 102, "send-to-webhook-slack")]["external"] == \
        "hub catalog 'tekton-catalog-tasks' is no configured repo"
    # The table says the same for people.
    table = run_cli("refs", cwd=service.parent).out
    assert "on-push.yaml:61" in table and "external: hub catalog" in table


def test_outdated_shows_what_changed_and_fails_ci(acme: Acme, service: Path) -> None:
    r = run_cli("outdated", "-o", "json", cwd=service.parent)
    assert r.code == 1, r.err
    rows = {(o["file"].rsplit("/", 1)[-1], o["line"]): o for o in r.json()}
    clone = rows[("on-push.yaml", 33)]
    assert (clone["version"], clone["target"], clone["outdated"]) == ("0.1", "0.2", True)
    assert clone["interface"] == ["param submodules added (string, optional)",
                                  "param sparse-checkout-directories added (string, optional)"]
    (changes,) = clone["changelog"]
    assert changes["version"] == "0.2" and any("submodules" in line for line in changes["changes"])
    kaniko = rows[("on-push.yaml", 61)]  # newer, but not allowed: listed, not outdated
    assert (kaniko["target"], kaniko["outdated"]) == ("0.2", False)
    assert "param cache added (string, optional)" in kaniko["interface"]
    people = run_cli("outdated", cwd=service.parent)
    assert people.code == 1 and "0.1 -> 0.2" in people.out and "changes in 0.2:" in people.out


def test_update_dry_run_update_and_again(acme: Acme, service: Path) -> None:
    before = {p: p.read_text() for p in sorted(service.rglob("*.yaml"))}
    dry = run_cli("update", "--dry-run", cwd=service.parent)
    assert dry.code == 0, dry.err
    assert {p: p.read_text() for p in before} == before  # --dry-run writes nothing
    got = acme.symbolic(dry.out)
    if not GOLDEN.exists():  # pragma: no cover - writing the golden file once, by hand
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text()
    assert "addParam {name: submodules" in dry.err and "ClusterTask maven-jib-build -> cluster resolver" in dry.err

    done = run_cli("update", cwd=service.parent)
    assert done.code == 0, done.err
    after = {p: p.read_text() for p in before}
    assert after != before
    assert run_cli("update", "--dry-run", cwd=service.parent).out == ""  # applying the diff is what update did
    again = run_cli("update", cwd=service.parent)
    assert again.code == 0 and "nothing to update" in again.err
    assert {p: p.read_text() for p in before} == after
    assert run_cli("outdated", cwd=service.parent).code == 0  # kaniko is newer upstream, but held by catalog.yaml


def test_trust_export_gives_conforma_the_rules_of_the_trusted_repos(acme: Acme, service: Path) -> None:
    r = run_cli("trust", "export", "--format", "conforma", "--effective-on", "2026-12-01", "-o", "json",
                cwd=service.parent)
    assert r.code == 0, r.err
    rules = r.json()["trusted_task_rules"]
    assert set(rules) == {"allow", "deny"} and set(rules["allow"]) == {"acme"}
    got = {rule["pattern"]: rule for rule in rules["allow"]["acme"]}
    assert got[f"oci://{acme.host}/acme/git-clone"] == {
        "pattern": f"oci://{acme.host}/acme/git-clone", "effective_on": "2026-12-01T00:00:00Z",
        "versions": [">=0.1.0"]}
    assert got[f"git+{acme.git_url}//task/kaniko/*"]  # acme.git: no .git added["versions"] == [">=0.1.0"]
    assert len(got) == 10  # five Tasks, bundles and git each
    # With the service's .tekton/, catalog.yaml's ranges limit the versions trusted.
    held = run_cli("trust", "export", ".tekton", "-o", "json", cwd=service.parent).json()
    kaniko = next(x for x in held["trusted_task_rules"]["allow"]["acme"] if x["pattern"].endswith("/kaniko"))
    assert kaniko["versions"] == [">=0.1.0", "<0.2.0"]
    bad = run_cli("trust", "export", "--repo", "nope", cwd=service.parent)
    assert bad.code == 3 and "no configured repo 'nope'" in bad.err


def test_lock_then_a_re_pushed_tag_is_refused_by_update_locked(acme: Acme, service: Path) -> None:
    """Runs last here: it re-pushes acme/git-clone:0.1 the way `tkn bundle push` pushes."""
    from .test_oci import DOCKER_LAYER, as_tkn_json, go_tar, push_by_hand, tekton_annotations
    from .conftest import BUILTIN, assert_one_line_error

    r = run_cli("lock", ".tekton/", cwd=service.parent)
    assert r.code == 0, r.err
    lock = yaml.safe_load((service.parent / "catalog-refs.lock").read_text())
    by_tag = {ref.get("tag"): ref for ref in lock["references"]}
    assert by_tag[f"{acme.host}/acme/git-clone:0.1"]["digest"] == acme.digests["git-clone:0.1"]
    assert by_tag[f"{acme.git_url}@v1.0"]["commit"] == acme.commit  # the git reference pinned to a tagged commit
    hub = next(ref for ref in lock["references"] if ref["resolver"] == "hub" and ref["name"] == "yq-update")
    assert hub["unpinned"].startswith("a hub reference names a version")
    assert run_cli("update", "--locked", "--dry-run", cwd=service.parent).code == 0

    # Someone re-pushes the tag, as tkn bundle push writes bundles (Docker media types, JSON in a tar).
    data = as_tkn_json(BUILTIN / "task/git-clone/0.2/git-clone.yaml")
    repushed = push_by_hand(acme.host, "acme/git-clone", "0.1",
                            [(go_tar("git-clone", data), DOCKER_LAYER, tekton_annotations("task", "git-clone"))])
    before = {p: p.read_text() for p in service.rglob("*.yaml")}
    refused = run_cli("update", "--locked", cwd=service.parent)
    assert_one_line_error(refused, "catalog-refs.lock", f"{acme.host}/acme/git-clone:0.1 now names {repushed}",
                          acme.digests["git-clone:0.1"])
    assert refused.code == 6
    assert {p: p.read_text() for p in service.rglob("*.yaml")} == before
    # Without --locked, the tag's new content is what a new lock pins (tkn's manifest digest).
    again = run_cli("lock", ".tekton", cwd=service.parent)
    assert again.code == 0, again.err
    relocked = yaml.safe_load((service.parent / "catalog-refs.lock").read_text())
    assert {ref.get("tag"): ref.get("digest") for ref in relocked["references"]}[
        f"{acme.host}/acme/git-clone:0.1"] == repushed
