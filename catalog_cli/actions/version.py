"""``catalog version``: this client's version and, with a cluster at hand, its Tekton's.

It never fails: a missing kubeconfig, an API server that does not answer or a cluster
without Tekton are answers too ("not found", and why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..cluster.base import TEKTON_NAMESPACE, Cluster
from ..errors import CatalogError


@dataclass(frozen=True)
class Versions:
    client: str
    #: The API server asked, and the kubeconfig context that named it; None without one.
    server: str | None = None
    context: str | None = None
    #: Tekton Pipelines' version as the cluster says it, and where it was read.
    tekton: str | None = None
    tekton_source: str | None = None
    #: Why no cluster could be asked, when none was.
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        cluster = None if self.server is None else {"server": self.server, "context": self.context}
        tekton = None if self.tekton is None else {"version": self.tekton, "source": self.tekton_source}
        return {"client": {"version": self.client}, "cluster": cluster, "tekton": tekton,
                "problem": self.problem}


def versions(connect: Callable[[], Cluster] | None, namespace: str = TEKTON_NAMESPACE) -> Versions:
    """The client's version; with ``connect`` (None: the client only), the cluster's
    Tekton Pipelines version as :meth:`Cluster.find_tekton` finds it in ``namespace``."""
    if connect is None:
        return Versions(__version__)
    try:
        cluster = connect()
    except CatalogError as exc:
        return Versions(__version__, problem=str(exc))
    try:
        found = cluster.find_tekton(namespace)
    except CatalogError as exc:
        return Versions(__version__, cluster.host, cluster.context or None, problem=str(exc))
    version, source = found if found else (None, None)
    return Versions(__version__, cluster.host, cluster.context or None, version, source)
