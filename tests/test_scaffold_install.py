"""``scaffold --install`` as an install, over the FakeCluster: one record entry for the
service, the same transaction as its Tasks, the record's tamper checks for service
entries, and the verbs that must leave a service alone (the real API server proves
the rest: tests/test_scaffold_cluster.py, tests/security/test_scaffold_attacks.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.scaffold import install
from catalog_cli.actions.uninstall import uninstall
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import Record, RecordStore, TamperedRecord
from catalog_cli.errors import ClusterError, InputError
from catalog_cli.manifests import MANAGED_BY, PACKAGE_LABEL
from catalog_cli.scaffold import create
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

NS = "team-a"
ANSWERS = {"name": "orders", "git-url": "https://x.example/o.git", "image": "r.example/o", "namespace": NS}


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog(None)


def options(tmp_path: Path, **kw: Any) -> Options:
    return Options((NS,), settings=Settings.from_env().but(state_home=tmp_path / "state"), **kw)


def outcome(builtin: Any, tmp_path: Path, version: str | None = None, **kw: Any) -> Any:
    return create(builtin, "java-maven-jib", folder=tmp_path / ".tekton", version=version, dry_run=True,
                  given=ANSWERS, **kw)


def record(cluster: FakeCluster) -> Record:
    return RecordStore(cluster).read(NS).record


def test_the_service_is_one_record_entry_written_with_its_tasks(builtin: Any, tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={NS})
    report = install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path))
    rec = record(cluster)
    assert sorted(rec.packages) == ["Service/orders", "Task/git-clone", "Task/kubectl-deploy",
                                    "Task/maven-jib-build", "Task/yq-update"]
    assert len(rec.history) == 1  # one change, one revision
    entry = rec.packages["Service/orders"]
    template = builtin.get("java-maven-jib", None, "Template")
    assert (entry.version, entry.digest, entry.requested) == (template.version, template.digest,
                                                              f"java-maven-jib@{template.version}")
    for o in entry.objects:
        ref = ObjectRef(o.kind, "" if o.kind.startswith("Cluster") else NS, o.name)
        live = cluster.objects[ref]
        assert live["metadata"]["uid"] == o.uid
        assert live["metadata"]["labels"][MANAGED_BY] == "catalog"
        assert live["metadata"]["labels"][PACKAGE_LABEL] == "orders"
    assert ("ClusterRoleBinding", f"{NS}:orders-listener") in {(o.kind, o.name) for o in entry.objects}
    row = next(p for p in report.packages if p["kind"] == "Service")
    assert (row["name"], row["status"]) == ("orders", "installed")
    # Every role of the service is shown as a grant, with what binds it.
    assert {g.service_account for g in report.grants} >= {"orders-pipeline", "orders-listener"}
    assert any(g.package == f"orders via ClusterRoleBinding {NS}:orders-listener" for g in report.grants)


def test_a_failure_half_way_undoes_the_tasks_and_the_service(builtin: Any, tmp_path: Path) -> None:
    def fault(verb: str, ref: ObjectRef) -> ClusterError | None:
        return ClusterError("boom", str(ref), 500) if ref.kind == "EventListener" and verb == "patch" else None

    cluster = FakeCluster(namespaces={NS}, fault=fault)
    with pytest.raises(ClusterError, match="every change was undone"):
        install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path))
    assert cluster.objects == {}  # no Task, no ClusterRole, no record


def test_a_dry_run_writes_nothing(builtin: Any, tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={NS})
    report = install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path, dry_run="server"))
    assert cluster.objects == {}
    assert not (tmp_path / "state").exists()
    assert all(p["status"] == "would install" for p in report.packages)


def test_upgrade_and_rollback_leave_the_service_alone(builtin: Any, tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={NS})
    install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path))
    before = record(cluster).packages["Service/orders"]
    live = {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items() if r.kind != "ConfigMap"}
    upgrade(builtin, cluster, [], options(tmp_path), all_=True)
    rollback(builtin, cluster, "git-clone", options(tmp_path), to="0.1")
    assert record(cluster).packages["Service/orders"] == before
    assert record(cluster).packages["Task/git-clone"].version == "0.1"
    service = {(o.kind, o.name) for o in before.objects}
    assert {r: v for r, v in live.items() if (r.kind, r.name) in service} == {
        r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items() if (r.kind, r.name) in service}
    for verb in (lambda: upgrade(builtin, cluster, ["orders"], options(tmp_path)),
                 lambda: rollback(builtin, cluster, "orders", options(tmp_path))):
        with pytest.raises(InputError, match="scaffold --update --install"):
            verb()


def test_uninstall_removes_exactly_the_services_objects(builtin: Any, tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={NS})
    install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path))
    entry = record(cluster).packages["Service/orders"]
    before = set(cluster.objects)
    uninstall(None, cluster, ["service/orders"], options(tmp_path))
    gone = {(r.kind, r.name) for r in before - set(cluster.objects)}
    assert gone == {(o.kind, o.name) for o in entry.objects}
    assert "Service/orders" not in record(cluster).packages
    assert "Task/git-clone" in record(cluster).packages


def test_objects_a_new_template_version_drops_are_removed(builtin: Any, tmp_path: Path) -> None:
    """Triggers make a listener; a record that names an object the template no longer
    makes has it deleted by the next install (still only when it is ours)."""
    cluster = FakeCluster(namespaces={NS})
    install(builtin, cluster, outcome(builtin, tmp_path), options(tmp_path))
    pac = outcome(builtin, tmp_path, variant="pipelines-as-code")
    install(builtin, cluster, pac, options(tmp_path))
    left = {(r.kind, r.name) for r in cluster.objects}
    assert ("EventListener", "orders") not in left and ("ClusterRole", f"{NS}:orders-listener") not in left
    assert ("Pipeline", "orders") in left
    assert {o.kind for o in record(cluster).packages["Service/orders"].objects} == {
        "ServiceAccount", "Role", "RoleBinding", "Pipeline"}


def test_an_object_of_a_task_entry_is_never_the_services(builtin: Any, tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={NS})
    out = outcome(builtin, tmp_path)
    out.files["extra.yaml"] = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n" \
                              f"  name: catalog-git-clone\n  namespace: {NS}\n"
    with pytest.raises(ClusterError, match="ServiceAccount catalog-git-clone .extra.yaml. belongs to another entry"):
        install(builtin, cluster, out, options(tmp_path, adopt=True))
    assert cluster.objects == {}


def entry(objects: list[tuple[str, str]], kind: str = "Service", name: str = "orders") -> dict[str, Any]:
    return {"name": name, "kind": kind, "version": "0.3", "digest": "sha256:" + "0" * 64, "source": "builtin",
            "requested": "java-maven-jib@0.3",
            "objects": [{"kind": k, "name": n, "spec_hash": "", "uid": "u"} for k, n in objects]}


def parse(*entries: dict[str, Any]) -> Record:
    text = json.dumps({"packages": {f"{e['kind']}/{e['name']}": e for e in entries}})
    return Record.from_json(text, NS)


@pytest.mark.parametrize("objects, why", [
    ([("Secret", "db-password")], "Secret"),
    ([("ConfigMap", "catalog-installs")], "ConfigMap"),
    ([("Namespace", "kube-system")], "Namespace"),
    ([("Task", "orders")], "Task"),
    ([("ClusterRole", "cluster-admin")], "ClusterRole cluster-admin"),
    ([("ClusterRoleBinding", f"{NS}-orders-listener")], f"{NS}-orders-listener"),
    ([("ClusterRole", "team-b:orders-listener")], "team-b:orders-listener"),  # another namespace's
    ([("ClusterRole", f"{NS}:")], f"{NS}:"),
])
def test_a_service_entry_names_only_what_scaffold_applies(objects: list[tuple[str, str]], why: str) -> None:
    with pytest.raises(TamperedRecord, match=why):
        parse(entry(objects))


def test_a_service_entry_may_name_its_prefixed_cluster_scoped_objects() -> None:
    rec = parse(entry([("Pipeline", "orders"), ("ClusterRole", f"{NS}:orders-listener"),
                       ("ClusterRoleBinding", f"{NS}:orders-listener")]))
    assert len(rec.packages["Service/orders"].objects) == 3


def test_only_a_service_entry_may_name_cluster_scoped_objects() -> None:
    task = entry([("Task", "git-clone"), ("ClusterRole", f"{NS}:git-clone")], kind="Task", name="git-clone")
    with pytest.raises(TamperedRecord, match=f"ClusterRole {NS}:git-clone"):
        parse(task)


@pytest.mark.parametrize("groups, resources, verbs, why", [
    (["rbac.authorization.k8s.io"], ["clusterrolebindings"], ["create"], "change clusterrolebindings"),
    (["rbac.authorization.k8s.io"], ["clusterroles"], ["patch"], "change clusterroles"),
    (["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["create"], "change any object"),
    (["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["patch"], "see every object"),
    ([""], ["nodes/proxy"], ["get"], "exec into any pod"),
    (["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"], "approve certificates"),
])
def test_what_a_clusterrole_could_grant_cluster_wide_needs_consent(groups: list[str], resources: list[str],
                                                                  verbs: list[str], why: str) -> None:
    """A scaffold's ClusterRole reaches every namespace: these rules are escalation there."""
    from catalog_cli.actions.consent import sensitive
    from catalog_cli.model import PolicyRule

    assert any(why in r for r in sensitive(PolicyRule(tuple(groups), tuple(resources), tuple(verbs))))
    reading = PolicyRule(tuple(groups), tuple(resources), ("list", "watch"))
    assert sensitive(reading) == []
