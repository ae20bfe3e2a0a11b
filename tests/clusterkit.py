"""Helpers for tests against the real local API server: what is in a namespace, the
install record as kubectl sees it, and the catalog command run as admin or alice."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .conftest import Result, run_cli

#: Every kind catalog writes into a namespace.
OUR_KINDS = "tasks,pipelines,stepactions,serviceaccounts,roles,rolebindings,configmaps"


def snapshot(kube_server: Any, ns: str) -> dict[str, str]:
    """Everything in the namespace that catalog could touch: name -> resourceVersion.

    First waits for the controller manager to give each ServiceAccount its token
    Secret: that update changes their resourceVersions, and must not pass for ours."""
    deadline = time.monotonic() + 30
    while True:
        items = yaml.safe_load(kube_server.kubectl("get", OUR_KINDS, "-n", ns, "-o", "yaml").stdout)["items"]
        if time.monotonic() > deadline or all(i.get("secrets") for i in items if i["kind"] == "ServiceAccount"):
            break
        time.sleep(0.2)
    return {f"{i['kind']}/{i['metadata']['name']}": i["metadata"]["resourceVersion"] for i in items
            if i["metadata"]["name"] not in ("default", "kube-root-ca.crt")
            and not i["metadata"]["name"].startswith("default-token")}


def live(kube_server: Any, kind: str, ns: str, name: str) -> dict[str, Any] | None:
    proc = kube_server.kubectl("get", kind, name, "-n", ns, "-o", "yaml", "--show-managed-fields",
                               check=False)
    return yaml.safe_load(proc.stdout) if proc.returncode == 0 else None


def exists(kube_server: Any, kind: str, name: str, ns: str | None = None) -> bool:
    args = ["get", kind, name, "-o", "name"] + (["-n", ns] if ns else [])
    return kube_server.kubectl(*args, check=False).returncode == 0


def record_of(kube_server: Any, ns: str) -> dict[str, Any] | None:
    cm = live(kube_server, "configmap", ns, "catalog-installs")
    return json.loads(cm["data"]["record.json"]) if cm else None


def edit_record(kube_server: Any, ns: str, change: Callable[[dict[str, Any]], None], user: str = "limited") -> None:
    """Change the record as ``user`` would with kubectl edit (default: alice)."""
    cm = yaml.safe_load(kube_server.kubectl("get", "configmap", "catalog-installs", "-n", ns, "-o", "yaml",
                                            user=user).stdout)
    data = json.loads(cm["data"]["record.json"])
    change(data)
    cm["data"]["record.json"] = json.dumps(data)
    kube_server.kubectl("replace", "-f", "-", user=user, input=yaml.safe_dump(cm))


#: (API path, kind) of every kind catalog writes into a namespace.
_LISTS = [("/apis/tekton.dev/v1/tasks", "Task"), ("/apis/tekton.dev/v1/pipelines", "Pipeline"),
          ("/apis/tekton.dev/v1beta1/stepactions", "StepAction"), ("/api/v1/serviceaccounts", "ServiceAccount"),
          ("/apis/rbac.authorization.k8s.io/v1/roles", "Role"),
          ("/apis/rbac.authorization.k8s.io/v1/rolebindings", "RoleBinding")]


def labelled(kube_server: Any, namespaces: list[str]) -> list[dict[str, Any]]:
    """Every object in ``namespaces`` labelled as catalog's (one request per kind)."""
    out = []
    for path, kind in _LISTS:
        status, body = kube_server.request("GET", f"{path}?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dcatalog")
        assert status == 200, body
        out += [dict(i, kind=kind) for i in body["items"] if i["metadata"]["namespace"] in namespaces]
    return out


def records(kube_server: Any, namespaces: list[str]) -> dict[str, dict[str, Any]]:
    """The install record of each namespace that has one (one request)."""
    status, body = kube_server.request("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Dcatalog-installs")
    assert status == 200, body
    return {i["metadata"]["namespace"]: json.loads(i["data"]["record.json"]) for i in body["items"]
            if i["metadata"]["namespace"] in namespaces}


def orphans(kube_server: Any, namespaces: list[str]) -> list[str]:
    """Objects labelled as catalog's that no record names (with their uid), and record
    entries whose objects are missing: what a half-done install leaves."""
    items = labelled(kube_server, namespaces)
    recs = records(kube_server, namespaces)
    named = {(ns, o["uid"]) for ns, r in recs.items() for p in r["packages"].values() for o in p["objects"]}
    have = {(i["metadata"]["namespace"], i["metadata"]["uid"]) for i in items}
    out = [f"{i['metadata']['namespace']}: {i['kind']} {i['metadata']['name']}" for i in items
           if (i["metadata"]["namespace"], i["metadata"]["uid"]) not in named]
    out += [f"{ns}: recorded {o['kind']} {o['name']} missing" for ns, r in recs.items()
            for p in r["packages"].values() for o in p["objects"] if (ns, o["uid"]) not in have]
    return sorted(out)


def catalog(kube_server: Any, *args: str, user: str = "admin", state: Path | None = None,
            input: str | None = None) -> Result:
    env = {"KUBECONFIG": str(kube_server.kubeconfig(user))}
    if state is not None:
        env["XDG_STATE_HOME"] = str(state)
    return run_cli(*args, env=env, input=input)
