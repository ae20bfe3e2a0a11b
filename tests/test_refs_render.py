"""render with references through resolvers: the Tasks of known references come along
(as install would apply them), and --bundles pins every bundle reference by digest,
from a lock or from the registry (a real one on loopback, see tests/test_oci.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from catalog_cli.actions.render import pin_bundles, with_bundles
from catalog_cli.pins import FixedPins

from .conftest import run_cli
from .test_oci import manifest, pipeline_catalog, registry  # noqa: F401  (registry: a fixture)
from .test_resources_resolvers import acme_tree

GIT = "https://git.example.com/acme/catalog.git"
D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
FAST = {"CATALOG_HTTP_RETRIES": "0", "CATALOG_HTTP_TIMEOUT": "2"}


def _pipeline(*task_refs: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"},
            "spec": {"tasks": [{"name": f"t{i}", "taskRef": ref} for i, ref in enumerate(task_refs)]}}


def _bundles(image: str, name: str) -> dict[str, Any]:
    return {"resolver": "bundles", "params": [{"name": "bundle", "value": image}, {"name": "name", "value": name},
                                              {"name": "kind", "value": "task"}]}


def _task(name: str, version: str) -> dict[str, Any]:
    return {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": name, "labels": {
        "app.kubernetes.io/version": version, "catalog.dev/package": name}}, "spec": {"steps": []}}


def test_render_takes_the_tasks_of_known_references(tmp_path: Path) -> None:
    root = acme_tree(tmp_path)
    assert run_cli("repo", "add", "acme", str(root), "--git", GIT).code == 0
    r = run_cli("render", "ci", "-o", "json")
    assert r.code == 0, r.err
    items = r.json()["items"]
    assert sorted(o["metadata"]["name"] for o in items if o["kind"] == "Task") == [
        "git-clone", "kubectl-deploy", "yq-update"]
    role = next(o for o in items if o["kind"] == "Role" and o["metadata"]["name"] == "catalog-ci")
    assert {"apps"} <= {g for rule in role["rules"] for g in rule["apiGroups"]}  # kubectl-deploy's rules


def test_pin_bundles_writes_the_digest_beside_the_tag_and_leaves_the_input_alone() -> None:
    legacy = {"name": "scan", "bundle": "r.io/x/scan:0.1"}
    objs = [_pipeline(_bundles("r.io/x/build:0.2", "build"), legacy, _bundles("r.io/x/other:0.1", "other"))]
    out = pin_bundles(objs, {"r.io/x/build:0.2": D1, "r.io/x/scan:0.1": D2})
    refs = [t["taskRef"] for t in out[0]["spec"]["tasks"]]
    assert refs[0]["params"][0] == {"name": "bundle", "value": f"r.io/x/build:0.2@{D1}"}
    assert refs[1] == {"name": "scan", "bundle": f"r.io/x/scan:0.1@{D2}"}
    assert refs[2]["params"][0]["value"] == "r.io/x/other:0.1"  # no digest known: as it was
    assert objs[0]["spec"]["tasks"][0]["taskRef"]["params"][0]["value"] == "r.io/x/build:0.2"


def test_with_bundles_pins_from_the_lock_first_then_the_registry(tmp_path: Path) -> None:
    from catalog_cli import lockfile
    from catalog_cli.lockfile import Lock, LockedEntry, LockedRef
    from catalog_cli.refs import ResolverRef

    objs = [_task("kaniko", "0.2"), _pipeline({"name": "kaniko"}, _bundles("gcr.io/up/trivy:0.1", "trivy"),
                                              _bundles("r.io/cat/yq:0.2", "yq"))]
    locked_ref = ResolverRef("bundles", "Task", "trivy", (("bundle", "gcr.io/up/trivy:0.1"), ("name", "trivy")))
    lock = Lock((), None, (LockedEntry("Pipeline", "p", "1", "sha256:x", "s",
                                       references=(LockedRef(locked_ref, pin=D2),)),))
    lockfile.write(lock, tmp_path / "l")
    pinner = FixedPins({"r.io/cat/kaniko:0.2": D1})
    done = with_bundles(objs, "r.io/cat", pinner=pinner, locked=lockfile.read(tmp_path / "l"))
    assert [o["kind"] for o in done.objects] == ["Pipeline"]  # kaniko, and yq fetched from r.io/cat, go
    values = [t["taskRef"]["params"][0]["value"] for t in done.objects[0]["spec"]["tasks"]]
    assert values == [f"r.io/cat/kaniko:0.2@{D1}", f"gcr.io/up/trivy:0.1@{D2}", "r.io/cat/yq:0.2"]
    assert pinner.asked == ["r.io/cat/kaniko:0.2", "r.io/cat/yq:0.2"]  # the lock's pin asked nothing
    assert done.unpinned == ["r.io/cat/yq:0.2: unpinned: no such tag in the registry"]
    offline = with_bundles(objs, "r.io/cat", pinner=None)
    assert offline.unpinned[0] == "r.io/cat/kaniko:0.2: unpinned: offline: the registry was not asked"


def test_render_bundles_offline_from_a_lock(tmp_path: Path) -> None:
    # A lock made with the registry up pins kaniko; render --locked --offline uses it.
    from catalog_cli import lockfile
    from catalog_cli.lockfile import LockedRef

    root = acme_tree(tmp_path, registry="r.example")
    assert run_cli("repo", "add", "acme", str(root), "--git", GIT).code == 0
    lock_path = tmp_path / "catalog.lock"
    assert run_cli("lock", "ci", "-f", str(lock_path), env={"CATALOG_OFFLINE": "1"}).code == 0
    lock = lockfile.read(lock_path)
    ci = lock.resolved[-1]
    pinned = tuple(LockedRef(r.ref, r.target, D1 if r.ref.name == "kaniko" else r.pin, r.external,
                             None if r.ref.name == "kaniko" else r.unpinned) for r in ci.references)
    lockfile.write(type(lock)(lock.requirements, lock.tekton_version,
                              (*lock.resolved[:-1], type(ci)(**{**ci.__dict__, "references": pinned}))), lock_path)
    r = run_cli("render", "ci", "--bundles", "other.example/cat", "--locked", str(lock_path), "-o", "json",
                env={"CATALOG_OFFLINE": "1"})
    assert r.code == 0, r.err
    pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
    build = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "build")
    assert build["taskRef"]["params"][0]["value"] == f"r.example/cat/kaniko:0.2@{D1}"
    assert "note: other.example/cat/git-clone" not in r.err  # hub-fetched: no bundle made of it
    assert "note: other.example/cat/yq-update:0.2: unpinned: offline" not in r.err


# -- against a real registry --------------------------------------------------------------
def test_render_and_lock_pin_what_the_registry_holds(registry: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    host = registry["host"]
    assert run_cli("publish", "--oci", f"{host}/cat", "kaniko", "git-clone").code == 0
    _, kaniko = manifest(host, "cat/kaniko", "0.2")
    _, clone = manifest(host, "cat/git-clone", "0.2")

    # render --bundles: the Tasks a Pipeline names become bundles, pinned by digest.
    root = pipeline_catalog(tmp_path)
    r = run_cli("render", "build", "--catalog", str(root), "--bundles", f"{host}/cat", "-o", "json")
    assert r.code == 0, r.err
    pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
    values = {t["name"]: t["taskRef"]["params"][0]["value"] for t in pipeline["spec"]["tasks"]}
    assert values == {"clone": f"{host}/cat/git-clone:0.2@{clone}", "build": f"{host}/cat/kaniko:0.2@{kaniko}"}
    assert "unpinned" not in r.err

    # lock: acme's Pipeline fetches kaniko from the registry; with it as a bundle source the
    # reference is a dependency on kaniko 0.2, pinned to the digest the registry gives.
    acme = acme_tree(tmp_path / "a", registry=host, other_registry=host)
    assert run_cli("repo", "add", "acme", str(acme)).code == 0
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "ci", "--bundles", f"{host}/cat", "-f", str(lock), env=FAST)
    assert r.code == 0, r.err
    refs = {ref["name"]: ref for ref in yaml.safe_load(lock.read_text())["resolved"][-1]["references"]}
    assert refs["kaniko"]["digest"] == kaniko and refs["kaniko"]["target"] == "kaniko"
    assert refs["trivy-scanner"]["unpinned"] == "manifest: not found in the registry"


def test_render_takes_its_names_from_the_lock_and_needs_one_or_the_other(tmp_path: Path) -> None:
    from .conftest import assert_one_line_error

    assert_one_line_error(run_cli("render"), "name what to render (NAME[@RANGE]...), or use --locked")
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "kaniko@0.1", "-f", str(lock)).code == 0
    r = run_cli("render", "--locked", str(lock), "-o", "json")
    assert r.code == 0, r.err
    tasks = [o for o in r.json()["items"] if o["kind"] == "Task"]
    assert [(t["metadata"]["name"], t["metadata"]["labels"]["app.kubernetes.io/version"]) for t in tasks] == [
        ("kaniko", "0.1")]
