"""What scaffold generates, against the real local kube-apiserver (Tekton Pipelines and
Triggers CRDs loaded): server-side dry runs of every object, and ``--install``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.scaffold.answers import read_record

from . import pacsim
from .clusterkit import record_of
from .conftest import assert_one_line_error, run_cli
from .test_scaffold_cases import CASES, REPOSITORY_LAYOUT, case_id, find, scaffold_args

pytestmark = pytest.mark.kube

TASKS = ["git-clone", "kubectl-deploy", "maven-jib-build", "yq-update"]


@pytest.fixture
def cluster_objects(kube_server: Any, kube_namespace: str) -> Iterator[str]:
    """The namespace; and, afterwards, the cluster-scoped objects named after it removed."""
    yield kube_namespace
    for kind in ("clusterrolebinding", "clusterrole"):
        kube_server.kubectl("delete", kind, f"{kube_namespace}:orders-listener", "--ignore-not-found")


def pruned(sent: Any, got: Any, path: str = "") -> list[str]:
    """Where the server's answer lacks or changed what was sent: on Kubernetes 1.20 a
    field a CRD's schema does not know is dropped silently (no field validation), so a
    misspelt field shows up here, not as an error."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [path or "/"]
        return [p for k, v in sent.items() for p in pruned(v, got.get(k), f"{path}.{k}")] if sent else []
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [path]
        return [p for i, (a, b) in enumerate(zip(sent, got, strict=True)) for p in pruned(a, b, f"{path}[{i}]")]
    return [] if sent == got else [path]


def check_kept(sent: list[dict[str, Any]], answer: str) -> None:
    got = yaml.safe_load(answer)
    items = got["items"] if got.get("kind") == "List" else [got]
    by = {(o["kind"], o["metadata"].get("name")): o for o in items}
    for obj in sent:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("name"))
        if key not in by:  # created from generateName: the one object of its kind
            key = next(k for k in by if k[0] == obj["kind"])
        body = {k: v for k, v in obj.items() if k != "metadata"}
        body["metadata"] = {k: v for k, v in meta.items() if k != "generateName"}
        assert pruned(body, by[key]) == [], key


def names(kube_server: Any, kind: str, ns: str) -> list[str]:
    out = kube_server.kubectl("get", kind, "-n", ns, "-o", "name").stdout.split()
    return sorted(n.split("/", 1)[1] for n in out)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_generated_object_passes_a_server_dry_run(case: tuple[str, str, str], kube_server: Any,
                                                        kube_namespace: str, tmp_path: Path) -> None:
    out = tmp_path / "svc"  # the .tekton folder of earlier versions, the repository of later ones
    r = run_cli(*scaffold_args(*case, out, **{"--namespace": kube_namespace}))
    assert r.code == 0, r.err
    ns = ("-n", kube_namespace)  # later versions name no namespace: kubectl's -n gives it
    # What kubectl apply -k would apply: the Pipeline, RBAC and (Triggers variant) Triggers objects.
    answer = kube_server.kubectl("apply", "--dry-run=server", *ns, "-k", str(out), "-o", "yaml").stdout
    resources = yaml.safe_load((out / "kustomization.yaml").read_text())["resources"]
    check_kept([d for r in resources for d in yaml.safe_load_all((out / r).read_text())], answer)
    applied = kube_server.kubectl("apply", "--dry-run=server", *ns, "-k", str(out), "-o", "name").stdout.split()
    kinds = {line.split("/", 1)[0] for line in applied}
    if not (case[1] in REPOSITORY_LAYOUT and case[2] == "pipelines-as-code"):  # PaC inlines .tekton/'s
        assert "pipeline.tekton.dev" in kinds
    assert {"serviceaccount", "role.rbac.authorization.k8s.io", "rolebinding.rbac.authorization.k8s.io"} <= kinds
    if case[2] == "triggers":
        assert {"eventlistener.triggers.tekton.dev", "triggerbinding.triggers.tekton.dev",
                "triggertemplate.triggers.tekton.dev", "clusterrole.rbac.authorization.k8s.io",
                "clusterrolebinding.rbac.authorization.k8s.io"} <= kinds
    # The PipelineRuns are created, not applied (generateName; creating one starts a run).
    runs = sorted(out.rglob("pipelinerun*.yaml"))
    assert runs
    for run in runs:
        created = kube_server.kubectl("create", "--dry-run=server", *ns, "-f", str(run), "-o", "yaml").stdout
        check_kept(list(yaml.safe_load_all(run.read_text())), created)
        obj = yaml.safe_load(created)
        assert obj["kind"] == "PipelineRun" and obj["metadata"]["namespace"] == kube_namespace
    # The PipelineRun inside the TriggerTemplate, too, as Triggers would create it.
    if case[2] == "triggers":
        template = next(d for d in yaml.safe_load_all(find(out, "triggers.yaml").read_text())
                        if d["kind"] == "TriggerTemplate")
        run = template["spec"]["resourcetemplates"][0]
        run["metadata"]["namespace"] = kube_namespace
        created = kube_server.kubectl("create", "--dry-run=server", "-f", "-", "-o", "yaml",
                                      input=yaml.safe_dump(run)).stdout
        check_kept([run], created)
    assert names(kube_server, "pipelines", kube_namespace) == []


@pytest.fixture
def another_namespace(kube_server: Any) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    status, body = kube_server.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"catalog-test": "true"}}})
    assert status == 201, body
    yield name
    kube_server.request("DELETE", f"/api/v1/namespaces/{name}")


@pytest.mark.parametrize("case", [c for c in CASES if c[1] in REPOSITORY_LAYOUT], ids=case_id)
def test_the_tekton_folder_applies_into_any_namespace_and_lints_clean(
        case: tuple[str, str, str], kube_server: Any, kube_namespace: str, another_namespace: str,
        tmp_path: Path) -> None:
    """kubectl apply -n NS -f .tekton/, as it is, into two namespaces neither of which it
    was scaffolded for; and catalog lint finds nothing in it."""
    out = tmp_path / "svc"
    assert run_cli(*scaffold_args(*case, out, **{"--namespace": "team-a"})).code == 0
    tekton = out / ".tekton"
    sent = [d for p in sorted(tekton.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text())]
    for ns in (kube_namespace, another_namespace):
        answer = kube_server.kubectl("apply", "--dry-run=server", "-n", ns, "-f", str(tekton), "-o", "yaml").stdout
        check_kept(sent, answer)
        got = yaml.safe_load(answer)
        items = got["items"] if got.get("kind") == "List" else [got]
        assert len(items) == len(sent) and {o["metadata"]["namespace"] for o in items} == {ns}
    kinds = {d["kind"] for d in sent}
    assert kinds == ({"Pipeline", "PipelineRun"} if case[2] == "pipelines-as-code" else
                     {"Pipeline", "ServiceAccount", "Role", "RoleBinding", "EventListener", "TriggerBinding",
                      "TriggerTemplate"})
    assert names(kube_server, "pipelines", kube_namespace) == []  # a dry run
    r = run_cli("lint", str(tekton), "--severity", "info")
    assert r.code == 0 and r.out == "" and "0 errors, 0 warnings" in r.err, (r.out, r.err)


@pytest.mark.parametrize("case", [c for c in CASES if c[1] in REPOSITORY_LAYOUT and c[2] == "pipelines-as-code"],
                         ids=case_id)
def test_the_run_pipelines_as_code_makes_passes_a_server_dry_run(case: tuple[str, str, str], kube_server: Any,
                                                                 kube_namespace: str, tmp_path: Path) -> None:
    """The PipelineRun Pipelines-as-Code would create for a push (tests/pacsim.py: the
    Pipeline inlined, its {{ }} filled in) is accepted as it is, in the Repository's
    namespace, whichever that is."""
    out = tmp_path / "svc"
    assert run_cli(*scaffold_args(*case, out, **{"--namespace": "team-a"})).code == 0
    params = {"revision": "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "repo_url": "https://github.com/example-org/orders"}
    (run,) = pacsim.runs_for_push(out / ".tekton", branch="main", params=params, secret="pac-gitauth-qwertyu")
    created = kube_server.kubectl("create", "--dry-run=server", "-n", kube_namespace, "-f", "-", "-o", "yaml",
                                  input=yaml.safe_dump(run)).stdout
    check_kept([run], created)
    obj = yaml.safe_load(created)
    assert obj["metadata"]["namespace"] == kube_namespace and obj["metadata"]["name"].startswith("orders-on-push-")
    assert obj["spec"]["pipelineSpec"]["tasks"][0]["taskRef"]["params"][2] == {
        "name": "namespace", "value": "$(context.pipelineRun.namespace)"}
    assert names(kube_server, "pipelineruns", kube_namespace) == []


def version_of(kube_server: Any, kind: str, name: str, ns: str) -> str:
    obj = yaml.safe_load(kube_server.kubectl("get", kind, name, "-n", ns, "-o", "yaml").stdout)
    return str(obj["metadata"]["labels"]["app.kubernetes.io/version"])


def test_install_puts_tasks_and_objects_in_the_namespace(kube_server: Any, cluster_objects: str,
                                                         tmp_path: Path) -> None:
    ns = cluster_objects
    out = tmp_path / ".tekton"
    admin = str(kube_server.admin_kubeconfig)
    # Before 0.3 the listener's cluster-scoped names lack the namespace prefix: refused whole.
    args = scaffold_args("java-maven-jib", "0.1", "triggers", out, **{"--namespace": ns})
    r = run_cli(*args, "--install", "--kubeconfig", admin)
    assert_one_line_error(r, "triggers-rbac.yaml", f"ClusterRole {ns}-orders-listener",
                          "catalog scaffold --update")
    assert names(kube_server, "tasks", ns) == [] and not out.exists()
    # Scaffolded from 0.1 without installing, then updated to the newest and installed.
    assert run_cli(*args).code == 0
    r = run_cli("scaffold", "--update", "--dir", str(out), "--install", "--kubeconfig", admin)
    assert r.code == 0, r.err
    assert names(kube_server, "tasks", ns) == TASKS
    assert version_of(kube_server, "task", "git-clone", ns) == "0.2"
    assert names(kube_server, "pipelines", ns) == ["orders"]
    pipeline = yaml.safe_load(kube_server.kubectl("get", "pipeline", "orders", "-n", ns, "-o", "yaml").stdout)
    assert "rollout-timeout" in [p["name"] for p in pipeline["spec"]["params"]]
    assert pipeline["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "catalog"
    assert names(kube_server, "eventlisteners", ns) == ["orders"]
    assert names(kube_server, "triggerbindings", ns) == ["orders-push"]
    assert names(kube_server, "triggertemplates", ns) == ["orders"]
    assert {"orders-pipeline", "orders-listener", "catalog-kubectl-deploy"} <= set(
        names(kube_server, "serviceaccounts", ns))
    assert {"orders-pipeline", "orders-listener"} <= set(names(kube_server, "roles", ns))
    assert names(kube_server, "pipelineruns", ns) == []  # never started by an install
    kube_server.kubectl("get", "clusterrole", f"{ns}:orders-listener")
    assert "not applied: tekton-setup/pipelinerun.yaml: PipelineRun orders-" in r.err
    assert f"service orders 0.4 in {ns}: installed" in r.err
    # Objects that name no namespace were put into the one installed into.
    assert yaml.safe_load((out.parent / ".tekton" / "pipeline.yaml").read_text())["metadata"].get("namespace") is None


def test_update_and_install_again_moves_tasks_and_service(kube_server: Any, cluster_objects: str,
                                                          tmp_path: Path) -> None:
    """Pipelines-as-Code makes no cluster-scoped objects, so 0.1 installs; --update moves
    the Tasks and the service's record entry to the new versions, in one change."""
    ns = cluster_objects
    out = tmp_path / ".tekton"
    admin = str(kube_server.admin_kubeconfig)
    r = run_cli(*scaffold_args("java-maven-jib", "0.1", "pipelines-as-code", out, **{"--namespace": ns}),
                "--install", "--kubeconfig", admin)
    assert r.code == 0, r.err
    assert version_of(kube_server, "task", "git-clone", ns) == "0.1"
    assert record_of(kube_server, ns)["packages"]["Service/orders"]["version"] == "0.1"
    r = run_cli("scaffold", "--update", "--dir", str(out), "--install", "--kubeconfig", admin)
    assert r.code == 0, r.err
    assert f"service orders 0.4 in {ns}: 0.1 -> 0.4" in r.err
    assert version_of(kube_server, "task", "git-clone", ns) == "0.2"
    entry = record_of(kube_server, ns)["packages"]["Service/orders"]
    assert (entry["version"], entry["requested"]) == ("0.4", "java-maven-jib@0.4")
    pipeline = yaml.safe_load(kube_server.kubectl("get", "pipeline", "orders", "-n", ns, "-o", "yaml").stdout)
    assert "rollout-timeout" in [p["name"] for p in pipeline["spec"]["params"]]


def test_install_dry_run_changes_nothing(kube_server: Any, cluster_objects: str, tmp_path: Path) -> None:
    ns = cluster_objects
    out = tmp_path / ".tekton"
    args = scaffold_args("dockerfile-kaniko", "0.2", "pipelines-as-code", out, **{"--namespace": ns})
    r = run_cli(*args, "--install", "--dry-run", "--kubeconfig", str(kube_server.admin_kubeconfig))
    assert r.code == 0, r.err
    assert "would create: Pipeline orders" in r.err
    assert f"service orders 0.2 in {ns}: would install" in r.err
    assert "installed" not in r.err.replace("would install", "")
    assert record_of(kube_server, ns) is None
    assert not out.exists()
    assert names(kube_server, "tasks", ns) == []
    assert names(kube_server, "pipelines", ns) == []


def test_install_without_rights_changes_nothing(kube_server: Any, cluster_objects: str, tmp_path: Path) -> None:
    ns = cluster_objects
    out = tmp_path / ".tekton"
    args = scaffold_args("java-maven-jib", "0.3", "triggers", out, **{"--namespace": ns})
    r = run_cli(*args, "--install", "--kubeconfig", str(kube_server.limited_kubeconfig))
    assert r.code == 7, r
    assert "you may not" in r.err and "nothing was changed" in r.err
    assert names(kube_server, "tasks", ns) == []
    assert names(kube_server, "pipelines", ns) == []
    assert not out.exists()


def test_namespace_given_on_update_moves_the_files(kube_server: Any, cluster_objects: str, tmp_path: Path) -> None:
    out = tmp_path / ".tekton"
    assert run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", out, **{"--namespace": "team-a"})).code == 0
    r = run_cli("scaffold", "--update", "--dir", str(out), "--install", "-n", cluster_objects,
                "--kubeconfig", str(kube_server.admin_kubeconfig))
    assert r.code == 0, r.err
    # The files name no namespace but the listener's cluster-scoped objects, which follow it.
    assert read_record(out.parent).answers["namespace"] == cluster_objects
    cluster = {d["kind"]: d for d in yaml.safe_load_all((out.parent / "tekton-setup" / "cluster-rbac.yaml").read_text())}
    assert cluster["ClusterRoleBinding"]["metadata"]["name"] == f"{cluster_objects}:orders-listener"
    assert cluster["ClusterRoleBinding"]["subjects"][0]["namespace"] == cluster_objects
    assert names(kube_server, "pipelines", cluster_objects) == ["orders"]


def test_install_of_files_for_another_namespace_is_refused(kube_server: Any, tmp_path: Path) -> None:
    from catalog_cli.actions.common import Options
    from catalog_cli.actions.scaffold import install
    from catalog_cli.cluster.client import KubeCluster
    from catalog_cli.errors import InputError
    from catalog_cli.scaffold import create
    from catalog_cli.sources import open_catalog

    cat = open_catalog(None)
    outcome = create(cat, "java-maven-jib", folder=tmp_path, dry_run=True, given={
        "name": "orders", "git-url": "https://x.example/o.git", "image": "r.example/o", "namespace": "team-a"})
    with pytest.raises(InputError) as info:
        install(cat, KubeCluster(str(kube_server.admin_kubeconfig)), outcome, Options(("team-b",)))
    assert "generated for namespace 'team-a'" in str(info.value)


def test_the_dry_run_check_sees_a_misspelt_field(kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    """The dry runs above are not vacuous: an unknown field is refused or visibly dropped."""
    out = tmp_path / ".tekton"
    assert run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", out, **{"--namespace": kube_namespace})).code == 0
    pipeline = yaml.safe_load((out / "pipeline.yaml").read_text())
    pipeline["spec"]["tasks"][0]["taskRefs"] = {"name": "git-clone"}  # a typo of taskRef
    # kubectl checks fields against the server's OpenAPI schema before sending...
    refused = kube_server.kubectl("apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump(pipeline),
                                  check=False)
    assert refused.returncode != 0 and 'unknown field "taskRefs"' in refused.stderr
    # ...and without that check, the server drops the field, which check_kept notices.
    answer = kube_server.kubectl("apply", "--dry-run=server", "--validate=false", "-f", "-", "-o", "yaml",
                                 input=yaml.safe_dump(pipeline)).stdout
    with pytest.raises(AssertionError):
        check_kept([pipeline], answer)
