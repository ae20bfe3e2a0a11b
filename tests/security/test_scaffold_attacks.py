"""Attacks through a scaffolding template, against the real API server.

A template is written by another team; admin (system:masters) runs
``catalog scaffold TEMPLATE --install`` with it. Whatever its files say, the
install may grant only what it shows and the user consents to, may bind only
roles it generates itself to ServiceAccounts of the namespace, may not touch
another namespace's cluster-scoped objects, and goes through the same
transaction, record and uninstall as every other install.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.index import write

from ..clusterkit import catalog, edit_record, exists, record_of
from ..conftest import ROOT, assert_one_line_error

pytestmark = pytest.mark.kube

#: Every kind a scaffolded service may put into its namespace, and the cluster-scoped ones.
SERVICE_KINDS = ("pipelines,serviceaccounts,roles,rolebindings,eventlisteners,triggerbindings,"
                 "triggertemplates,triggers,tasks,configmaps")
CLUSTER_KINDS = "clusterroles,clusterrolebindings"
RBAC = "rbac.authorization.k8s.io"
MANAGED = "app.kubernetes.io%2Fmanaged-by%3Dcatalog"
#: (API path, kind, cluster-scoped) of everything scaffold --install may write.
_PATHS = [("/apis/tekton.dev/v1/pipelines", "Pipeline", False), ("/apis/tekton.dev/v1/tasks", "Task", False),
          ("/api/v1/serviceaccounts", "ServiceAccount", False), (f"/apis/{RBAC}/v1/roles", "Role", False),
          (f"/apis/{RBAC}/v1/rolebindings", "RoleBinding", False),
          ("/apis/triggers.tekton.dev/v1beta1/eventlisteners", "EventListener", False),
          ("/apis/triggers.tekton.dev/v1beta1/triggerbindings", "TriggerBinding", False),
          ("/apis/triggers.tekton.dev/v1beta1/triggertemplates", "TriggerTemplate", False),
          (f"/apis/{RBAC}/v1/clusterroles", "ClusterRole", True),
          (f"/apis/{RBAC}/v1/clusterrolebindings", "ClusterRoleBinding", True)]


def _version(item: dict[str, Any]) -> str:
    meta = item["metadata"]
    if item["kind"] == "ServiceAccount":  # the token controller adds a secret to a new one, a moment later
        return meta["uid"] + json.dumps(meta.get("labels") or {}, sort_keys=True)
    return str(meta["resourceVersion"])


def snapshot(kube_server: Any, ns: str) -> dict[str, str]:
    """Every object scaffold could touch, in the namespace and cluster-wide: name -> version
    (not what the namespace's controllers make on their own)."""
    out = {}
    for kinds, where in ((SERVICE_KINDS, ["-n", ns]), (CLUSTER_KINDS, [])):
        items = yaml.safe_load(kube_server.kubectl("get", kinds, *where, "-o", "yaml").stdout)["items"]
        out.update({f"{i['kind']}/{i['metadata']['name']}": _version(i) for i in items
                    if i["metadata"]["name"] not in ("default", "kube-root-ca.crt")})
    return out


def ours(kube_server: Any, ns: str) -> list[dict[str, Any]]:
    """Every object labelled as catalog's in ``ns``, and the cluster-scoped ones named for ``ns``."""
    found = []
    for path, kind, cluster_scoped in _PATHS:
        status, body = kube_server.request("GET", f"{path}?labelSelector={MANAGED}")
        assert status == 200, body
        for i in body["items"]:
            meta = i["metadata"]
            if meta.get("namespace") == ns or (cluster_scoped and meta["name"].startswith(f"{ns}:")):
                found.append(dict(i, kind=kind))
    return found


def orphans(kube_server: Any, ns: str) -> list[str]:
    """Objects labelled as catalog's that the record does not name (by uid), and record
    entries whose objects are gone: what a half-done scaffold --install would leave."""
    items = ours(kube_server, ns)
    record = record_of(kube_server, ns) or {"packages": {}}
    named = {o["uid"] for p in record["packages"].values() for o in p["objects"]}
    have = {i["metadata"]["uid"] for i in items}
    out = [f"{i['kind']} {i['metadata']['name']}" for i in items if i["metadata"]["uid"] not in named]
    out += [f"recorded {o['kind']} {o['name']} missing" for p in record["packages"].values()
            for o in p["objects"] if o["uid"] not in have]
    return sorted(out)


def template_catalog(root: Path, docs: list[dict[str, Any]], name: str = "svc") -> Path:
    """A folder catalog holding one template whose only file holds ``docs``."""
    folder = root / "template" / name / "0.1"
    (folder / "files").mkdir(parents=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump({
        "apiVersion": "catalog.dev/v1", "kind": "Template",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/version": "0.1"},
                     "annotations": {"tekton.dev/pipelines.minVersion": "0.50.0"}},
        "spec": {"description": "Looks harmless.",
                 "parameters": {"type": "object", "additionalProperties": False, "required": ["name"],
                                "properties": {"name": {"type": "string", "format": "dns-label"},
                                               "namespace": {"type": "string", "format": "dns-label",
                                                             "default": "default"}}},
                 "files": [{"path": "objects.yaml", "source": "files/objects.yaml"}]}}))
    (folder / "files" / "objects.yaml").write_text(yaml.safe_dump_all(docs))
    write(root)
    return root


def sa(name: str = "((name))-sa") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "((namespace))"}}


def role(name: str, rules: list[dict[str, Any]], kind: str = "Role", **extra: Any) -> dict[str, Any]:
    meta = {"name": name} if kind == "ClusterRole" else {"name": name, "namespace": "((namespace))"}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, "rules": rules, **extra}


def binding(name: str, role_kind: str, role_name: str, kind: str = "RoleBinding",
            subjects: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta = {"name": name} if kind == "ClusterRoleBinding" else {"name": name, "namespace": "((namespace))"}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role_name},
            "subjects": subjects or [{"kind": "ServiceAccount", "name": "((name))-sa",
                                      "namespace": "((namespace))"}]}


READ_PODS = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]
PREFIXED = "((namespace)):((name))"

#: (what the template does, its objects, what the one-line refusal must name)
HOSTILE = [
    ("crb-to-cluster-admin", [sa(), binding(f"{PREFIXED}-admin", "ClusterRole", "cluster-admin",
                                            "ClusterRoleBinding")],
     ["objects.yaml", "ClusterRoleBinding", "cluster-admin", "not generated"]),
    ("rolebinding-to-a-pre-existing-clusterrole", [sa(), binding("((name))-edit", "ClusterRole", "edit")],
     ["objects.yaml", "RoleBinding orders-edit", "ClusterRole edit", "not generated"]),
    ("rolebinding-to-a-pre-existing-role", [sa(), binding("((name))-team", "Role", "team-role")],
     ["objects.yaml", "Role team-role", "not generated"]),
    ("role-reading-secrets", [sa(), role("((name))-reader", [{"apiGroups": [""], "resources": ["secrets"],
                                                             "verbs": ["get", "list"]}]),
                              binding("((name))-reader", "Role", "((name))-reader")],
     ["ServiceAccount orders-sa", "read Secrets", "--allow-sensitive-rbac"]),
    ("clusterrole-binding-an-escalating-clusterrole", [
        sa(), role(f"{PREFIXED}-rbac", [{"apiGroups": [RBAC], "resources": ["clusterroles"],
                                        "verbs": ["escalate", "bind"]}], "ClusterRole"),
        binding(f"{PREFIXED}-rbac", "ClusterRole", f"{PREFIXED}-rbac", "ClusterRoleBinding")],
     ["ClusterRoleBinding", "escalate RBAC", "bind any role", "--allow-sensitive-rbac"]),
    ("cluster-scoped-name-without-the-namespace-prefix", [
        sa(), role("((namespace))-((name))-listener", READ_PODS, "ClusterRole")],
     ["objects.yaml", "ClusterRole", "-orders-listener", "catalog scaffold --update"]),
    ("clusterrole-aggregating-admin", [
        role(f"{PREFIXED}-agg", [], "ClusterRole", aggregationRule={"clusterRoleSelectors": [
            {"matchLabels": {f"{RBAC}/aggregate-to-admin": "true"}}]})],
     ["objects.yaml", "aggregationRule"]),
    ("clusterrole-aggregated-into-edit", [
        {**role(f"{PREFIXED}-into-edit", READ_PODS, "ClusterRole"),
         "metadata": {"name": f"{PREFIXED}-into-edit", "labels": {f"{RBAC}/aggregate-to-edit": "true"}}}],
     ["objects.yaml", "aggregate-to-edit"]),
    ("wildcard-rule", [sa(), role("((name))-all", [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]),
                       binding("((name))-all", "Role", "((name))-all")],
     ["objects.yaml", "Role orders-all", "'*'"]),
    ("binding-a-user", [sa(), role("((name))-r", READ_PODS),
                        binding("((name))-r", "Role", "((name))-r",
                                subjects=[{"apiGroup": RBAC, "kind": "User", "name": "mallory"}])],
     ["objects.yaml", "RoleBinding orders-r", "User mallory"]),
    ("binding-another-namespaces-serviceaccount", [
        sa(), role("((name))-r", READ_PODS),
        binding("((name))-r", "Role", "((name))-r",
                subjects=[{"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}])],
     ["objects.yaml", "RoleBinding orders-r", "kube-system"]),
    ("listener-running-as-a-pre-existing-serviceaccount", [
        {"apiVersion": "triggers.tekton.dev/v1beta1", "kind": "EventListener",
         "metadata": {"name": "((name))", "namespace": "((namespace))"},
         "spec": {"serviceAccountName": "team-sa", "triggers": []}}],
     ["objects.yaml", "EventListener orders", "team-sa"]),
    ("a-listener-pod-mounting-the-nodes-files", [
        sa(), {"apiVersion": "triggers.tekton.dev/v1beta1", "kind": "EventListener",
               "metadata": {"name": "((name))", "namespace": "((namespace))"},
               "spec": {"serviceAccountName": "((name))-sa", "triggers": [], "resources": {"kubernetesResource": {
                   "spec": {"template": {"spec": {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}}}}}}],
     ["EventListener orders", "hostPath", "--allow-sensitive-rbac"]),
    ("a-trigger-template-creating-rbac", [
        {"apiVersion": "triggers.tekton.dev/v1beta1", "kind": "TriggerTemplate",
         "metadata": {"name": "((name))", "namespace": "((namespace))"},
         "spec": {"resourcetemplates": [binding("x", "ClusterRole", "cluster-admin", "ClusterRoleBinding")]}}],
     ["objects.yaml", "TriggerTemplate orders", "ClusterRoleBinding"]),
    ("an-object-for-another-namespace", [{**sa(), "metadata": {"name": "x", "namespace": "kube-system"}}],
     ["objects.yaml", "ServiceAccount x", "kube-system"]),
]


@pytest.fixture
def team(kube_server: Any, kube_namespace: str) -> str:
    """The namespace, holding another team's Role and ServiceAccount."""
    kube_server.kubectl("create", "-f", "-", input=yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "team-sa", "namespace": kube_namespace}},
        {**role("team-role", READ_PODS), "metadata": {"name": "team-role", "namespace": kube_namespace}}]))
    return kube_namespace


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_template_is_refused_and_changes_nothing(kube_server: Any, team: str, tmp_path: Path,
                                                           case: tuple[str, list[dict[str, Any]], list[str]]) -> None:
    _, docs, needles = case
    root = template_catalog(tmp_path / "cat", docs)
    before = snapshot(kube_server, team)
    out = tmp_path / ".tekton"
    for dry in ([], ["--dry-run"]):
        r = catalog(kube_server, "scaffold", "svc", "--name", "orders", "-n", team, "--catalog", str(root),
                    "--dir", str(out), "--install", *dry, state=tmp_path / "state")
        assert_one_line_error(r, *needles)
        assert r.code == (1 if "--allow-sensitive-rbac" in needles else 2)  # consent, or bad input
        assert snapshot(kube_server, team) == before
        assert not out.exists()  # no files either: a refused install writes nothing
    assert record_of(kube_server, team) is None


def test_escalating_rights_need_consent_and_are_shown(kube_server: Any, team: str, tmp_path: Path) -> None:
    docs = HOSTILE[3][1]  # a Role reading Secrets, bound to the template's own ServiceAccount
    root = template_catalog(tmp_path / "cat", docs)
    r = catalog(kube_server, "scaffold", "svc", "--name", "orders", "-n", team, "--catalog", str(root),
                "--dir", str(tmp_path / ".tekton"), "--install", "--allow-sensitive-rbac", state=tmp_path)
    assert r.code == 0, r.err
    assert f"ServiceAccount orders-sa in {team}" in r.err and "core/secrets: get list   ! read Secrets" in r.err
    assert exists(kube_server, "role", "orders-reader", team)


def test_an_existing_object_of_someone_else_is_not_taken_over(kube_server: Any, team: str, tmp_path: Path) -> None:
    root = template_catalog(tmp_path / "cat", [sa(), role("team-role", READ_PODS)])
    before = snapshot(kube_server, team)
    r = catalog(kube_server, "scaffold", "svc", "--name", "orders", "-n", team, "--catalog", str(root),
                "--dir", str(tmp_path / ".tekton"), "--install", state=tmp_path)
    assert_one_line_error(r, f"Role team-role in {team}", "not made by catalog", "--adopt")
    assert snapshot(kube_server, team) == before


def scaffold(kube_server: Any, ns: str, out: Path, *args: str, name: str = "orders", version: str = "",
             state: Path | None = None) -> Any:
    return catalog(kube_server, "scaffold", f"java-maven-jib{version}", "--name", name, "-n", ns,
                   "--git-url", "https://github.com/example-org/orders.git",
                   "--image", "registry.example.com/team-a/orders", "--dir", str(out), "--install", *args,
                   state=state)


@pytest.fixture
def two_namespaces(kube_server: Any) -> Any:
    """``X-a`` and ``X-a-b``: services ``b-c`` and ``c`` in them had the same old
    cluster-scoped names (``X-a-b-c-listener``)."""
    base = f"c{uuid.uuid4().hex[:6]}-a"
    names = [base, f"{base}-b"]
    for n in names:
        kube_server.kubectl("create", "namespace", n)
    yield names
    kube_server.kubectl("delete", "namespace", *names, "--wait=false", check=False)
    for n in names:
        for kind in ("clusterrolebinding", "clusterrole"):
            for obj in kube_server.kubectl("get", kind, "-o", "name").stdout.split():
                if obj.split("/", 1)[1].startswith(f"{n}:"):
                    kube_server.kubectl("delete", obj, "--ignore-not-found", check=False)


def test_two_services_cannot_share_a_cluster_scoped_name(kube_server: Any, two_namespaces: list[str],
                                                          tmp_path: Path) -> None:
    (first, second), services = two_namespaces, ["b-c", "c"]
    # The old template versions name them <namespace>-<service>-listener: refused.
    before = snapshot(kube_server, second)
    r = scaffold(kube_server, second, tmp_path / "old", name="c", version="@0.2", state=tmp_path)
    assert_one_line_error(r, f"ClusterRole {first}-b-c-listener", f"'{second}:'", "catalog scaffold --update")
    assert snapshot(kube_server, second) == before
    # The newest version names them <namespace>:<service>-listener: no two pairs can meet.
    for ns, svc in zip(two_namespaces, services, strict=True):
        r = scaffold(kube_server, ns, tmp_path / f"new-{svc}", name=svc, state=tmp_path)
        assert r.code == 0, r.err
    for ns, svc in zip(two_namespaces, services, strict=True):
        crb = yaml.safe_load(kube_server.kubectl("get", "clusterrolebinding", f"{ns}:{svc}-listener",
                                                 "-o", "yaml").stdout)
        assert crb["subjects"] == [{"kind": "ServiceAccount", "name": f"{svc}-listener", "namespace": ns}]
        assert crb["roleRef"]["name"] == f"{ns}:{svc}-listener"
    r = catalog(kube_server, "uninstall", "service/b-c", "-n", first, state=tmp_path)
    assert r.code == 0, r.err
    assert not exists(kube_server, "clusterrolebinding", f"{first}:b-c-listener")
    assert not exists(kube_server, "clusterrole", f"{first}:b-c-listener")
    assert exists(kube_server, "clusterrolebinding", f"{second}:c-listener")
    assert exists(kube_server, "clusterrole", f"{second}:c-listener")


def test_a_good_scaffold_is_an_install_like_any_other(kube_server: Any, team: str, tmp_path: Path) -> None:
    ns = team
    r = scaffold(kube_server, ns, tmp_path / ".tekton", state=tmp_path)
    assert r.code == 0, r.err
    # Recorded: one Service entry naming every generated object with the uid it got.
    record = record_of(kube_server, ns)
    assert record is not None
    entry = record["packages"]["Service/orders"]
    index = yaml.safe_load((ROOT / "catalog" / "index.yaml").read_text())
    newest = index["entries"]["java-maven-jib"][0]
    assert (entry["kind"], entry["version"], entry["requested"], entry["digest"]) == (
        "Service", newest["version"], f"java-maven-jib@{newest['version']}", newest["digest"])
    assert entry["source"] in ("builtin", str(ROOT / "catalog"))
    got = {(o["kind"], o["name"]): o["uid"] for o in entry["objects"]}
    assert {("Pipeline", "orders"), ("EventListener", "orders"), ("ServiceAccount", "orders-listener"),
            ("ClusterRole", f"{ns}:orders-listener"), ("ClusterRoleBinding", f"{ns}:orders-listener")} <= set(got)
    live = {(i["kind"], i["metadata"]["name"]): i for i in ours(kube_server, ns)}
    for key, uid in got.items():
        assert live[key]["metadata"]["uid"] == uid
        assert live[key]["metadata"]["labels"]["catalog.dev/package"] == "orders"
    assert orphans(kube_server, ns) == []
    # status shows it; upgrade --all and rollback leave it alone.
    rows = json.loads(catalog(kube_server, "status", "-n", ns, "-o", "json", state=tmp_path).out)
    row = next(r for r in rows if r["kind"] == "Service")
    assert (row["name"], row["version"], row["drift"]) == ("orders", newest["version"], [])
    service = {f"{k}/{n}" for k, n in got}
    before = {k: v for k, v in snapshot(kube_server, ns).items() if k in service}
    for verb in (["upgrade", "--all"], ["rollback", "git-clone", "--to", "0.1"]):
        r = catalog(kube_server, *verb, "-n", ns, state=tmp_path)
        assert r.code == 0, r.err
        assert record_of(kube_server, ns)["packages"]["Service/orders"]["objects"] == entry["objects"]
        assert {k: v for k, v in snapshot(kube_server, ns).items() if k in service} == before
    # An edited object is not removed without --force; then exactly the service's objects go.
    kube_server.kubectl("patch", "pipeline", "orders", "-n", ns, "--type", "merge", "-p",
                        '{"spec": {"description": "edited by hand"}}')
    r = catalog(kube_server, "uninstall", "service/orders", "-n", ns, state=tmp_path)
    assert_one_line_error(r, "Pipeline orders", "edited since catalog installed it", "--force")
    before = snapshot(kube_server, ns)
    r = catalog(kube_server, "uninstall", "service/orders", "-n", ns, "--force", state=tmp_path)
    assert r.code == 0, r.err
    after = snapshot(kube_server, ns)
    removed = set(before) - set(after)
    assert removed == service
    assert {"Role/team-role", "ServiceAccount/team-sa", "Task/git-clone",
            "ServiceAccount/catalog-git-clone"} <= set(after)
    assert "Service/orders" not in record_of(kube_server, ns)["packages"]


def test_scaffold_install_dry_run_writes_nothing(kube_server: Any, team: str, tmp_path: Path) -> None:
    before = snapshot(kube_server, team)
    state = tmp_path / "state"
    r = scaffold(kube_server, team, tmp_path / ".tekton", "--dry-run", state=state)
    assert r.code == 0, r.err
    assert "would create: Pipeline orders" in r.err
    assert "would install" in r.err
    assert snapshot(kube_server, team) == before
    assert record_of(kube_server, team) is None
    assert not (state / "catalog").exists()  # no journal
    assert not (tmp_path / ".tekton").exists()


def start(kube_server: Any, state: Path, ns: str, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBECONFIG": str(kube_server.admin_kubeconfig), "XDG_STATE_HOME": str(state)}
    args = ["scaffold", "java-maven-jib", "--name", "orders", "-n", ns, "--git-url", "https://x.example/o.git",
            "--image", "r.example/o", "--dir", str(out), "--install"]
    return subprocess.Popen([sys.executable, "-c", "from catalog_cli.cli.main import run; run()", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when(kube_server: Any, proc: subprocess.Popen[str], path: str) -> None:
    """SIGKILL as soon as the object at API ``path`` exists (one cheap GET per poll)."""
    deadline = time.monotonic() + 60
    while kube_server.request("GET", path)[0] != 200:
        assert time.monotonic() < deadline and proc.poll() is None, f"the install wrote no {path}"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def reset(kube_server: Any, ns: str, state: Path) -> None:
    """Uninstall whatever the record holds: the next try starts from an empty namespace."""
    record = record_of(kube_server, ns) or {"packages": {}}
    if record["packages"]:
        keys = [k.lower() for k in record["packages"]]
        r = catalog(kube_server, "uninstall", *keys, "-n", ns, state=state)
        assert r.code == 0, r.err
    assert ours(kube_server, ns) == []


def test_kill_9_mid_scaffold_install_leaves_no_orphans(kube_server: Any, team: str, tmp_path: Path) -> None:
    ns, state = team, tmp_path / "state"
    began = time.monotonic()
    proc = start(kube_server, state, ns, tmp_path / "whole")
    assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    whole = time.monotonic() - began
    reset(kube_server, ns, state)
    # Killed right after the first Task, right after the ClusterRoleBinding, then at random.
    rng = random.Random(20261130)
    plan: list[str | float] = [f"/apis/tekton.dev/v1/namespaces/{ns}/tasks/git-clone",
                               f"/apis/{RBAC}/v1/clusterrolebindings/{ns}:orders-listener"]
    plan += [rng.uniform(0.2, whole) for _ in range(4)]
    mid_write = 0
    for attempt, when in enumerate(plan):
        proc = start(kube_server, state, ns, tmp_path / f"try-{attempt}")
        if isinstance(when, str):
            kill_when(kube_server, proc, when)
        else:
            time.sleep(when)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        mid_write += bool(orphans(kube_server, ns))
        r = catalog(kube_server, "status", "-n", ns, state=state)
        assert r.code == 0, f"attempt {attempt}: {r.err}"
        assert orphans(kube_server, ns) == [], f"attempt {attempt} ({when})"
        reset(kube_server, ns, state)
    # The kills must have landed while objects were being written, or this proves nothing.
    assert mid_write >= 2, f"only {mid_write} of {len(plan)} kills hit the install half-way"


def test_a_forged_service_entry_deletes_nothing_it_may_not(kube_server: Any, two_namespaces: list[str],
                                                           tmp_path: Path) -> None:
    """alice (may edit ConfigMaps in the first namespace) adds the second namespace's
    ClusterRole to a service's entry, then a ClusterRole with the first's prefix that
    catalog never made: admin's uninstall deletes neither."""
    (first, second), state = two_namespaces, tmp_path / "state"
    for ns, svc in zip(two_namespaces, ["b-c", "c"], strict=True):
        r = scaffold(kube_server, ns, tmp_path / svc, name=svc, state=state)
        assert r.code == 0, r.err
    kube_server.grant(first, [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "update"]}])
    theirs = yaml.safe_load(kube_server.kubectl("get", "clusterrole", f"{second}:c-listener", "-o", "yaml").stdout)

    def forge(uid: str, name: str) -> Any:
        def change(data: dict[str, Any]) -> None:
            data["packages"]["Service/b-c"]["objects"].append(
                {"kind": "ClusterRole", "name": name, "spec_hash": "", "uid": uid})
        return change

    edit_record(kube_server, first, forge(theirs["metadata"]["uid"], f"{second}:c-listener"))
    r = catalog(kube_server, "uninstall", "service/b-c", "-n", first, state=state)
    assert_one_line_error(r, "catalog-installs", f"ClusterRole {second}:c-listener", "edited by someone else")
    assert exists(kube_server, "clusterrole", f"{second}:c-listener")
    assert exists(kube_server, "clusterrole", f"{first}:b-c-listener")
    # Undo the forgery (as admin), then forge an object with the right prefix that catalog never made.
    edit_record(kube_server, first, lambda d: d["packages"]["Service/b-c"]["objects"].pop(), user="admin")
    kube_server.kubectl("create", "clusterrole", f"{first}:victim", "--verb=get", "--resource=pods")
    victim = yaml.safe_load(kube_server.kubectl("get", "clusterrole", f"{first}:victim", "-o", "yaml").stdout)
    edit_record(kube_server, first, forge(victim["metadata"]["uid"], f"{first}:victim"))
    r = catalog(kube_server, "uninstall", "service/b-c", "-n", first, state=state)
    assert r.code == 0, r.err
    assert f"ClusterRole {first}:victim is no longer the object catalog made; left alone" in r.err
    assert exists(kube_server, "clusterrole", f"{first}:victim")
    assert not exists(kube_server, "clusterrole", f"{first}:b-c-listener")
    assert exists(kube_server, "clusterrole", f"{second}:c-listener")
