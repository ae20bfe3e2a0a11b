"""Options of the commands that talk to a cluster, kubectl's spelling."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ..actions.common import Options
    from ..cluster.base import Cluster
    from ..cluster.client import KubeCluster
    from ..settings import Settings

NamespaceOption = typer.Option(
    [], "--namespace", "-n", help="Namespace; repeat for several. Default: the context's namespace."
)
ContextOption = typer.Option(None, "--context", help="Kubeconfig context to use.")
KubeconfigOption = typer.Option(None, "--kubeconfig", envvar="KUBECONFIG", help="Path of the kubeconfig.")
DryRunOption = typer.Option(
    None, "--dry-run", help="client: only show what would change; server: have the API server check it."
)
ForceOption = typer.Option(False, "--force", help="Overwrite objects someone edited since we installed them.")
TektonVersionOption = typer.Option(
    None, "--tekton-version", help="Resolve for this Tekton Pipelines version instead of the cluster's."
)


def connect(kubeconfig: str | None, context: str | None) -> KubeCluster:
    from ..cluster.client import KubeCluster

    # KUBECONFIG may list several files; the client takes the first, as kubectl merges them.
    path = kubeconfig.split(":")[0] if kubeconfig else None
    return KubeCluster(path, context)


AllowSensitiveOption = typer.Option(
    False, "--allow-sensitive-rbac",
    help="Grant rbac.yaml rules that amount to escalation (reading Secrets, running pods, exec, RBAC changes) "
         "from sources not trusted for them.")


def options(cluster: Cluster, namespaces: list[str], settings: Settings, *, dry_run: str | None = None,
            force: bool = False, adopt: bool = False, tekton_version: str | None = None,
            allow_sensitive_rbac: bool = False) -> Options:
    from ..actions.common import Options
    from ..errors import InputError

    if dry_run not in (None, "client", "server", "none"):
        raise InputError(f"--dry-run must be client or server, not {dry_run!r}")
    ns = tuple(dict.fromkeys(namespaces)) or (cluster.default_namespace,)
    from ..repos import trusted_for_sensitive_rbac

    return Options(ns, force=force, adopt=adopt, dry_run=None if dry_run == "none" else dry_run,
                   tekton_version=tekton_version, allow_sensitive_rbac=allow_sensitive_rbac,
                   trusted=trusted_for_sensitive_rbac(settings), settings=settings)
