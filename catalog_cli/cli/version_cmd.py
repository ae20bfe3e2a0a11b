"""``catalog version``: the client's version, and the Tekton Pipelines version of the cluster."""

from __future__ import annotations

import typer

from .cluster_opts import ContextOption, KubeconfigOption, connect
from .common import OutputOption
from .output import Format, emit, out

#: Seconds a ``version`` waits for the API server: it is asked in passing.
PATIENCE = 5.0


def version(
    client: bool = typer.Option(False, "--client", help="Only the client's version: ask no cluster."),
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """Print catalog's version and, with a cluster at hand, the Tekton Pipelines version it
    runs (from ConfigMap tekton-pipelines/pipelines-info, the controller's or the Task CRD's
    labels). Never fails for want of a cluster: it says what it could not find."""
    from ..actions.version import versions

    found = versions(None if client else (lambda: connect(kubeconfig, context, timeout=PATIENCE)))

    def table() -> None:
        lines = [f"Client:   catalog {found.client}"]
        if not client:
            where = f"{found.server} (context {found.context})" if found.context else (found.server or "")
            if found.server is None:
                lines.append(f"Cluster:  none ({found.problem})")
            else:
                lines.append(f"Cluster:  {where}" + (f": {found.problem}" if found.problem else ""))
            lines.append(f"Tekton:   {found.tekton} ({found.tekton_source})" if found.tekton
                         else "Tekton:   not found")
        out("\n".join(lines))

    emit(found.to_dict(), output, table=table, names=lambda: [found.client])


def register(app: typer.Typer) -> None:
    app.command()(version)
