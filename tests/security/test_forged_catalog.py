"""Forged catalogs: an attacker who writes both the index and the files (so every digest
matches) must not get anything installed, rendered or shown as installable that its
entry does not say, nor RBAC that its rbac.yaml does not hold.

Each catalog is built with the project's own index code, then tampered with as an
attacker would: file and index rewritten together. The same attacks run on a folder
catalog and through a real loopback HTTP server; tests/security/test_forged_catalog_cluster.py
runs the worst of them against the real API server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog_cli import index as index_mod
from catalog_cli import lockfile, repos, yamlio
from catalog_cli.actions.render import render
from catalog_cli.errors import CatalogError
from catalog_cli.mirror import export
from catalog_cli.provider import resolve
from catalog_cli.requirements import parse_requirement
from catalog_cli.sources import open_catalog

from ..conftest import assert_one_line_error, run_cli
from ..httpserve import serve

IMAGE = "alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"


def task(name: str, annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A plain Tekton Task, as an honest catalog would hold it."""
    return {
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/version": "0.1"},
                     "annotations": dict(annotations or {})},
        "spec": {"description": f"{name}, harmless.",
                 "steps": [{"name": "run", "image": IMAGE, "script": "echo hello"}], **spec},
    }


CRB = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
    "metadata": {"name": "evil"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
    "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}],
}
STAR_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "evil"},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}
TOKEN = {
    "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
    "metadata": {"name": "evil", "annotations": {"kubernetes.io/service-account.name": "default"}},
}
OTHER_GROUP_TASK = {**task("evil"), "apiVersion": "evil.example.com/v1"}
RENAMED_DOC = task("kubectl-deploy")
CONFIGMAP_RULES = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
SECRET_RULES = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def honest_catalog(root: Path, names: tuple[str, ...] = ("evil", "harmless-tool")) -> Path:
    """A catalog tree of plain Tasks with its index.yaml, written by `catalog index`."""
    for name in names:
        folder = root / "task" / name / "0.1"
        folder.mkdir(parents=True)
        (folder / f"{name}.yaml").write_text(yamlio.dump(task(name)))
    index_mod.write(root)
    return root


def forge(root: Path, key: str, *, document: dict[str, Any] | None = None,
          rbac_yaml: list[dict[str, Any]] | None = None, **entry: Any) -> None:
    """Tamper with entry ``key`` as its attacker would: rewrite its file (``document``),
    put an rbac.yaml beside it (``rbac_yaml``) and change fields of its index entry
    (``entry``), keeping every digest in the index equal to the files' own."""
    index_file = root / index_mod.INDEX_NAME
    data = yamlio.loads_all(index_file.read_text(), str(index_file))[0]
    item = data["entries"][key][0]
    files = {f["path"]: f["digest"] for f in item.get("files") or []}
    if document is not None:
        raw = yamlio.dump(document).encode()
        (root / item["path"]).write_bytes(raw)
        item["digest"] = files[item["path"]] = sha256(raw)
    if rbac_yaml is not None:
        rel = item["path"].rsplit("/", 1)[0] + "/rbac.yaml"
        raw = yamlio.dump({"rules": rbac_yaml}).encode()
        (root / rel).write_bytes(raw)
        files[rel] = sha256(raw)
    item["files"] = [{"path": p, "digest": d} for p, d in sorted(files.items())]
    item.update(entry)
    index_file.write_text(json.dumps(data, indent=1))


def _attack(key: str, **how: Any) -> Callable[[Path], None]:
    return lambda root: forge(root, key, **how)


DOC = "task/evil/0.1/evil.yaml"
HARMLESS = "task/harmless-tool/0.1/harmless-tool.yaml"
HARMLESS_RBAC = "task/harmless-tool/0.1/rbac.yaml"

#: Each attack: (id, the name asked for, how the catalog is forged, what the one-line error names).
ATTACKS: list[tuple[str, str, Callable[[Path], None], tuple[str, ...]]] = [
    ("clusterrolebinding-as-task", "evil", _attack("evil", document=CRB), (DOC, "ClusterRoleBinding")),
    ("star-clusterrole-as-task", "evil", _attack("evil", document=STAR_ROLE), (DOC, "ClusterRole")),
    ("token-secret-as-task", "evil", _attack("evil", document=TOKEN), (DOC, "Secret")),
    ("task-of-another-api-group", "evil", _attack("evil", document=OTHER_GROUP_TASK),
     (DOC, "evil.example.com/v1")),
    ("document-named-otherwise", "harmless-tool", _attack("harmless-tool", document=RENAMED_DOC),
     (HARMLESS, "kubectl-deploy")),
    ("entry-named-otherwise-than-its-key", "harmless-tool",
     _attack("harmless-tool", document=RENAMED_DOC, name="kubectl-deploy"),
     ("index.yaml", "harmless-tool", "kubectl-deploy")),
    ("rbac-yaml-differs-from-index", "harmless-tool",
     _attack("harmless-tool", rbac_yaml=SECRET_RULES, rbac=CONFIGMAP_RULES),
     (HARMLESS_RBAC, "configmaps", "secrets")),
    ("rbac-yaml-hidden-from-index", "harmless-tool", _attack("harmless-tool", rbac_yaml=SECRET_RULES),
     (HARMLESS_RBAC, "secrets")),
    ("rbac-in-index-without-rbac-yaml", "harmless-tool", _attack("harmless-tool", rbac=SECRET_RULES),
     (HARMLESS_RBAC, "secrets")),
    ("dependency-hidden-from-index", "harmless-tool",
     _attack("harmless-tool", document=task("harmless-tool", {"catalog.dev/dependencies": "evil ^0.1"})),
     (HARMLESS, "evil")),
    ("dependency-added-by-index", "harmless-tool",
     _attack("harmless-tool", dependencies=[{"name": "evil", "range": "*"}]), (HARMLESS, "evil")),
]
IDS = [a[0] for a in ATTACKS]
#: The attacks on the document itself (not on the RBAC or dependencies beside it).
DOCUMENT_ATTACKS = [a for a in ATTACKS if not a[0].startswith(("rbac", "dependency"))]


@pytest.fixture
def forged(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str, tuple[str, ...]]:
    _, name, how, needles = request.param
    root = honest_catalog(tmp_path / "cat")
    how(root)
    return root, name, needles


def one_line(exc: CatalogError) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("forged", ATTACKS, ids=IDS, indirect=True)
def test_render_refuses_a_forged_folder_catalog(forged: tuple[Path, str, tuple[str, ...]]) -> None:
    root, name, needles = forged
    r = run_cli("render", name, "--catalog", str(root))
    assert_one_line_error(r, *needles)
    assert r.out == ""


@pytest.mark.parametrize("forged", ATTACKS, ids=IDS, indirect=True)
def test_forged_catalog_over_http_is_refused(forged: tuple[Path, str, tuple[str, ...]]) -> None:
    root, name, needles = forged
    with serve(root) as url, pytest.raises(CatalogError) as caught:
        render(open_catalog(url), [name], "team-a")
    text = one_line(caught.value)
    for needle in needles:
        assert needle in text


@pytest.mark.parametrize("forged", ATTACKS, ids=IDS, indirect=True)
def test_mirror_export_refuses_a_forged_catalog(forged: tuple[Path, str, tuple[str, ...]],
                                                tmp_path: Path) -> None:
    root, name, needles = forged
    out = tmp_path / "mirror.tar.gz"
    with pytest.raises(CatalogError) as caught:
        export(open_catalog(str(root)), [name], out)
    assert all(needle in one_line(caught.value) for needle in needles)
    assert not out.exists()


@pytest.mark.parametrize("forged", ATTACKS, ids=IDS, indirect=True)
def test_lock_refuses_a_forged_catalog(forged: tuple[Path, str, tuple[str, ...]]) -> None:
    root, name, needles = forged
    with serve(root) as url, pytest.raises(CatalogError) as caught:
        catalog = open_catalog(url)
        lockfile.from_resolution(resolve(catalog, [parse_requirement(name)]), catalog)
    assert all(needle in one_line(caught.value) for needle in needles)


@pytest.mark.parametrize("forged", DOCUMENT_ATTACKS, ids=[a[0] for a in DOCUMENT_ATTACKS], indirect=True)
def test_info_refuses_a_forged_document(forged: tuple[Path, str, tuple[str, ...]]) -> None:
    root, name, needles = forged
    r = run_cli("info", name, "--catalog", str(root))
    assert_one_line_error(r, *needles)
    assert r.out == ""


def test_info_shows_the_rules_of_rbac_yaml_and_the_disagreement(tmp_path: Path) -> None:
    root = honest_catalog(tmp_path / "cat")
    forge(root, "harmless-tool", rbac_yaml=SECRET_RULES, rbac=CONFIGMAP_RULES)
    r = run_cli("info", "harmless-tool", "--catalog", str(root), "-o", "json")
    assert r.code == 0, r.err
    assert r.json()["rbac"] == SECRET_RULES
    assert any("configmaps" in m and "secrets" in m for m in r.json()["mismatches"])
    r = run_cli("info", "harmless-tool", "--catalog", str(root))
    assert r.code == 0, r.err
    rbac = r.out.split("RBAC", 1)[1]
    assert '"" secrets: get,list' in rbac
    assert "index says" in rbac and "install refuses" in rbac


def test_a_renamed_key_cannot_shadow_the_builtin_entry(tmp_path: Path, settings: Any) -> None:
    """First-repo-wins: a repo added before the built-in catalog may hold its own
    kubectl-deploy, but cannot slip one in under another name."""
    root = honest_catalog(tmp_path / "cat")
    forge(root, "harmless-tool", document=RENAMED_DOC, name="kubectl-deploy")
    repos.add(repos.make("team", str(root)), settings)
    r = run_cli("render", "harmless-tool")
    assert_one_line_error(r, "index.yaml", "harmless-tool", "kubectl-deploy")
    assert r.out == ""


def test_an_honest_catalog_renders_its_rbac_and_dependencies(tmp_path: Path) -> None:
    """The checks above refuse forgeries, not catalogs: the same catalog, honestly
    indexed with an rbac.yaml and a dependency, renders with the rules of rbac.yaml."""
    root = tmp_path / "cat"
    honest_catalog(root)
    folder = root / "task" / "harmless-tool" / "0.1"
    (folder / "harmless-tool.yaml").write_text(
        yamlio.dump(task("harmless-tool", {"catalog.dev/dependencies": "evil ^0.1"})))
    (folder / "rbac.yaml").write_text(yamlio.dump({"rules": CONFIGMAP_RULES}))
    index_mod.write(root)
    with serve(root) as url:
        for location in (str(root), url):
            objs = render(open_catalog(location), ["harmless-tool"], "team-a")
            kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
            assert ("Task", "evil") in kinds and ("Task", "harmless-tool") in kinds
            role = next(o for o in objs if o["kind"] == "Role" and o["metadata"]["name"] == "catalog-harmless-tool")
            assert role["rules"] == CONFIGMAP_RULES
