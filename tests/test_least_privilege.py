"""A user holding exactly the rights ``install`` asked for, on the real API server: they
can install, and then see, compare and remove what they installed (status, list
--installed, diff, uninstall) without any right more."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.cluster.base import Access
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

from .clusterkit import catalog, exists

pytestmark = pytest.mark.kube


class AskedCluster(FakeCluster):
    """A FakeCluster that answers every rights question yes but ``escalate`` and ``bind``
    (as for a user without them), and remembers each question: what install asks for."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespaces={namespace}, forbidden={("escalate", "Role"), ("bind", "Role")})
        self.asked: set[Access] = set()

    def can_i(self, access: Access) -> bool:
        self.asked.add(access)
        return super().can_i(access)


def asked_rules(names: list[str], namespace: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The RBAC rules that grant exactly what ``install NAMES -n NAMESPACE`` asks for, into
    an empty namespace."""
    cluster = AskedCluster(namespace)
    settings = Settings.from_env().but(state_home=tmp_path / "asked")
    install(open_catalog(None, settings), cluster, names, Options((namespace,), settings=settings))
    verbs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in cluster.asked:
        if a.verb in ("escalate", "bind"):
            continue
        assert a.namespace == namespace, a
        verbs[(a.group, a.resource)].add(a.verb)
    return [{"apiGroups": [group], "resources": [resource], "verbs": sorted(v)}
            for (group, resource), v in sorted(verbs.items())]


def test_exactly_the_rights_install_asked_for_are_enough_to_see_and_remove_it(
        kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    ns = kube_namespace
    rules = asked_rules(["kubectl-deploy", "git-clone"], ns, tmp_path)
    # Nothing but the record's ConfigMap verbs and what the four kinds need; no Pipelines.
    assert not any("pipelines" in r["resources"] or "*" in r["verbs"] for r in rules), rules
    kube_server.grant(ns, rules)

    def alice(*args: str) -> Any:
        return catalog(kube_server, *args, user="limited", state=tmp_path / "state")

    r = alice("install", "kubectl-deploy", "git-clone", "-n", ns)
    assert r.code == 0, r.err

    r = alice("status", "-n", ns, "-o", "json")
    assert r.code == 0, r.err
    assert sorted((row["name"], row["drift"]) for row in r.json()) == [("git-clone", []), ("kubectl-deploy", [])]

    r = alice("list", "--installed", "-n", ns, "-o", "name")
    assert r.code == 0, r.err
    assert r.out.split() == ["git-clone", "kubectl-deploy"]

    r = alice("diff", "kubectl-deploy", "-n", ns)
    assert r.code == 0, r.out + r.err
    kube_server.kubectl("patch", "task", "kubectl-deploy", "-n", ns, "--type", "json", "-p",
                        '[{"op": "add", "path": "/spec/params/0/default", "value": "by hand"}]')
    r = alice("diff", "kubectl-deploy", "-n", ns)
    assert r.code == 1, r.err
    removed = [line for line in r.out.splitlines() if line.startswith("-") and "default: by hand" in line]
    assert len(removed) == 1, r.out

    r = alice("uninstall", "git-clone", "-n", ns)
    assert r.code == 0, r.err
    r = alice("uninstall", "kubectl-deploy", "-n", ns, "--force")
    assert r.code == 0, r.err
    assert not exists(kube_server, "task", "kubectl-deploy", ns)
    assert not exists(kube_server, "configmap", "catalog-installs", ns)
