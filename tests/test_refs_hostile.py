"""References through resolvers that a careless or hostile catalog writes: each is shown
as what it is, never followed to the wrong entry, and no credential it carries is ever
printed or written (index, lock, info, why, the questions asked of git and registries).
A bundle on a tag is pinned by digest, and a pin is checked against what it names."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import index
from catalog_cli.actions import lock as lock_action
from catalog_cli.errors import DigestMismatch
from catalog_cli.pins import FixedPins

from .conftest import assert_one_line_error, run_cli
from .test_resources_resolvers import acme_tree

GIT = "https://git.example.com/acme/catalog.git"
BUNDLES = "registry.example.com/acme"
SECRET = "s3cr3t-t0ken"
OFFLINE = {"CATALOG_OFFLINE": "1"}


def _ref(resolver: str, **params: str) -> dict[str, Any]:
    return {"resolver": resolver, "params": [{"name": k, "value": v} for k, v in params.items()]}


def evil_catalog(tmp_path: Path, *task_refs: dict[str, Any]) -> Path:
    """acme with a Pipeline ``evil`` whose tasks fetch ``task_refs``, added as a repo with
    its git URL and bundle source."""
    root = acme_tree(tmp_path)
    folder = root / "pipeline/evil/0.1"
    folder.mkdir(parents=True)
    doc = {"apiVersion": "tekton.dev/v1", "kind": "Pipeline",
           "metadata": {"name": "evil", "labels": {"app.kubernetes.io/version": "0.1"}},
           "spec": {"tasks": [{"name": f"t{i}", "taskRef": ref} for i, ref in enumerate(task_refs)]}}
    (folder / "evil.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    index.write(root)
    r = run_cli("repo", "add", "acme", str(root), "--git", GIT, "--bundles", BUNDLES)
    assert r.code == 0, r.err
    return root


def _deps(name: str = "evil") -> list[dict[str, Any]]:
    r = run_cli("info", name, "-o", "json")
    assert r.code == 0, r.err
    deps: list[dict[str, Any]] = r.json()["dependencies"]
    return deps


def _lock(tmp_path: Path, name: str = "evil") -> dict[str, Any]:
    path = tmp_path / "catalog.lock"
    r = run_cli("lock", name, "-f", str(path), env=OFFLINE)
    assert r.code == 0, r.err
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


# -- a name that is another kind, or no name at all ----------------------------------------
def test_a_hub_name_of_another_kind_is_external_not_the_entry_of_that_name(tmp_path: Path) -> None:
    evil_catalog(tmp_path,
                 _ref("hub", catalog="acme", kind="task", name="ci", version="0.1"),           # ci is a Pipeline
                 _ref("hub", catalog="acme", kind="pipeline", name="yq-update", version="0.2"),  # a Task
                 _ref("hub", catalog="builtin", kind="stepaction", name="git-clone", version="0.1"),
                 _ref("cluster", kind="pipeline", name="kaniko"))
    deps = _deps()
    assert [(d["kind"], d["name"], d["external"]) for d in deps] == [
        ("Task", "ci", "the catalog at hand has no Task ci from acme"),
        ("StepAction", "git-clone", "the catalog at hand has no StepAction git-clone from builtin"),
        ("Pipeline", "kaniko", "no catalog here has a Pipeline kaniko"),
        ("Pipeline", "yq-update", "the catalog at hand has no Pipeline yq-update from acme"),
    ]
    data = _lock(tmp_path)
    assert [(e["kind"], e["name"]) for e in data["resolved"]] == [("Pipeline", "evil")]
    assert all("target" not in r and r["external"] for r in data["resolved"][0]["references"])
    r = run_cli("render", "evil", "-o", "json")
    assert r.code == 0, r.err
    assert [o["metadata"]["name"] for o in r.json()["items"] if o["kind"] in ("Task", "Pipeline")] == ["evil"]


def test_a_name_that_is_no_resource_name_is_external(tmp_path: Path) -> None:
    # acme/yq-update would be read as "yq-update of the repo acme"; Tekton can never find it.
    evil_catalog(tmp_path,
                 _ref("cluster", kind="task", name="acme/yq-update"),
                 _ref("hub", catalog="acme", name="builtin/git-clone", version="0.1"),
                 _ref("bundles", bundle=f"{BUNDLES}/Yq-Update:0.2", name="Yq-Update"))
    deps = _deps()
    assert len(deps) == 3
    for d in deps:
        assert d["external"] == f"{d['name']!r} is no resource name", d
    assert [e["name"] for e in _lock(tmp_path)["resolved"]] == ["evil"]
    r = run_cli("mirror", "export", "evil", "--file", str(tmp_path / "m.tar.gz"))
    assert r.code == 0, r.err
    with tarfile.open(tmp_path / "m.tar.gz") as tar:
        names = tar.getnames()
    assert any("evil" in n for n in names) and not [n for n in names if "yq-update" in n or "git-clone" in n]


@pytest.mark.parametrize(("path", "why"), [
    ("task/evil-other/0.2/yq-update.yaml", "is not where a catalog keeps yq-update"),
    ("pipeline/yq-update/0.2/yq-update.yaml", "is in a Pipeline folder, not a Task one"),
    ("yq-update.yaml", "is not where a catalog keeps yq-update"),
    ("task/yq-update/0.2/../../../etc/yq-update.yaml", "is not where a catalog keeps yq-update"),
])
def test_a_git_path_the_catalog_layout_does_not_give_is_external(tmp_path: Path, path: str, why: str) -> None:
    # Tekton fetches the file at pathInRepo: it is acme's yq-update only when the folders say so.
    evil_catalog(tmp_path, _ref("git", url=GIT, revision="main", pathInRepo=path))
    (dep,) = _deps()
    assert dep["external"] == f"pathInRepo {path} {why}"
    assert [e["name"] for e in _lock(tmp_path)["resolved"]] == ["evil"]


def test_the_tep0115_and_plural_layouts_are_catalog_paths(tmp_path: Path) -> None:
    evil_catalog(tmp_path, _ref("git", url=GIT, revision="0.2", pathInRepo="task/yq-update/yq-update.yaml"),
                 _ref("git", url=GIT, revision="main", pathInRepo="catalog/tasks/yq-update/0.2/yq-update.yaml"))
    assert [(d["range"], d["external"], d.get("repo")) for d in _deps()] == [
        ("=0.2.0", None, "acme"), ("=0.2.0", None, "acme")]


# -- credentials ---------------------------------------------------------------------------------
CREDENTIALED = (
    _ref("git", url=f"https://alice:{SECRET}@git.example.com/acme/catalog.git", revision="main",
         pathInRepo="task/yq-update/0.2/yq-update.yaml"),
    _ref("git", url=f"https://git.example.com/acme/catalog.git?private_token={SECRET}", revision="v1",
         pathInRepo="task/yq-update/0.1/yq-update.yaml"),
    _ref("git", url=f"alice:{SECRET}@git.example.com:acme/other.git", revision="main",
         pathInRepo="task/lint/0.1/lint.yaml"),
    _ref("http", url=f"https://bob:{SECRET}@example.com/task/scan/0.1/scan.yaml"),
    _ref("hub", url=f"https://carol:{SECRET}@hub.example.com", name="golangci-lint", version="0.2"),
    _ref("bundles", bundle=f"dave:{SECRET}@registry.example.com/acme/kaniko:0.2", name="kaniko"),
)


def test_credentials_in_a_reference_are_never_printed_nor_written(tmp_path: Path) -> None:
    root = evil_catalog(tmp_path, *CREDENTIALED)
    assert SECRET not in (root / "index.yaml").read_text()
    r = run_cli("info", "evil")
    assert r.code == 0, r.err
    assert SECRET not in r.out + r.err
    assert "git https://git.example.com/acme/catalog.git@main:task/yq-update/0.2/yq-update.yaml" in r.out
    r = run_cli("info", "evil", "-o", "json")
    assert SECRET not in r.out
    yq = [d for d in r.json()["dependencies"] if d["name"] == "yq-update"]
    assert sorted((d["range"], d["external"], d.get("repo")) for d in yq) == [
        ("=0.1.0", None, "acme"), ("=0.2.0", None, "acme")]  # still acme's: the URL is its git URL

    path = tmp_path / "catalog.lock"
    r = run_cli("lock", "evil", "-f", str(path), env=OFFLINE)
    assert r.code != 0  # yq-update =0.1.0 and =0.2.0: a conflict, explained without the secret
    assert SECRET not in r.out + r.err and "yq-update" in r.err


def test_pins_are_asked_without_the_credentials(tmp_path: Path, settings: Any) -> None:
    evil_catalog(tmp_path, *CREDENTIALED[:1], *CREDENTIALED[2:])
    pinner = FixedPins()
    path = tmp_path / "catalog.lock"
    lock_action.lock(path, settings, ["evil"], pinner=pinner)
    assert pinner.asked and not [a for a in pinner.asked if SECRET in a]
    assert SECRET not in path.read_text()
    for name in ("yq-update", "lint", "kaniko"):
        r = run_cli("why", name, "-f", str(path))
        assert r.code == 0, r.err
        assert SECRET not in r.out + r.err


# -- bundles: on a tag, pinned; with a digest, checked -------------------------------------------
D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def test_a_bundle_on_a_tag_only_is_pinned_and_a_moved_tag_is_refused(tmp_path: Path, settings: Any) -> None:
    evil_catalog(tmp_path, _ref("bundles", bundle=f"{BUNDLES}/yq-update:0.2", name="yq-update", kind="task"))
    path = tmp_path / "catalog.lock"
    lock = lock_action.lock(path, settings, ["evil"], pinner=FixedPins({f"{BUNDLES}/yq-update:0.2": D1}))
    (ref,) = lock.resolved[-1].references
    assert (ref.target, ref.pin) == (("Task", "yq-update"), D1)
    assert lock_action.check(path, settings, pinner=FixedPins({f"{BUNDLES}/yq-update:0.2": D1})) == lock
    with pytest.raises(DigestMismatch, match=f"now names {D2}, the lock has {D1}"):
        lock_action.check(path, settings, pinner=FixedPins({f"{BUNDLES}/yq-update:0.2": D2}))
    # render --bundles takes the lock's digest, whatever the tag names now.
    r = run_cli("render", "evil", "--bundles", BUNDLES, "--locked", str(path), "-o", "json", env=OFFLINE)
    assert r.code == 0, r.err
    pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
    assert pipeline["spec"]["tasks"][0]["taskRef"]["params"][0]["value"] == f"{BUNDLES}/yq-update:0.2@{D1}"


@pytest.mark.parametrize("digest", ["sha256:abc", "sha256:" + "Z" * 64, "md5:" + "1" * 32])
def test_a_bundle_with_a_malformed_digest_is_not_taken_as_pinned(tmp_path: Path, settings: Any,
                                                                 digest: str) -> None:
    evil_catalog(tmp_path, _ref("bundles", bundle=f"{BUNDLES}/yq-update:0.2@{digest}", name="yq-update"))
    pinner = FixedPins({f"{BUNDLES}/yq-update:0.2": D1})
    lock = lock_action.lock(tmp_path / "catalog.lock", settings, ["evil"], pinner=pinner)
    (ref,) = lock.resolved[-1].references
    assert ref.pin is None and ref.unpinned == f"the bundle's digest {digest!r} is not sha256: and 64 hex digits"
    assert pinner.asked == []  # never asked for a tag the reference does not fetch by
    r = run_cli("render", "evil", "--bundles", BUNDLES, "-o", "json", env=OFFLINE)
    pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
    assert pipeline["spec"]["tasks"][0]["taskRef"]["params"][0]["value"] == f"{BUNDLES}/yq-update:0.2@{digest}"


def test_a_lock_whose_pin_is_no_digest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.lock"
    path.write_text("apiVersion: catalog.dev/v1\nkind: Lock\nresolved:\n- {kind: Pipeline, name: a, version: '1', "
                    "digest: d, source: s, references: [{resolver: bundles, kind: Task, name: x, "
                    "params: {bundle: 'r.io/x:1', name: x}, digest: 'sha256:abc'}]}\n")
    assert_one_line_error(run_cli("why", "a", "-f", str(path)),
                          "resolved[0].references[0].digest", "is not sha256: and 64 hex digits")
    text = path.read_text().replace("resolver: bundles", "resolver: git").replace("digest: 'sha256:abc'",
                                                                                  "commit: main")
    path.write_text(text)
    assert_one_line_error(run_cli("why", "a", "-f", str(path)),
                          "resolved[0].references[0].commit", "is not a commit")
