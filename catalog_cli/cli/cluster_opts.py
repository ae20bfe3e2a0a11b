"""Options of the commands that talk to a cluster, kubectl's spelling."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from .common import CatalogOption, OutputOption
from .output import Format

if TYPE_CHECKING:
    from ..actions.common import Options
    from ..cluster.base import Cluster
    from ..cluster.client import KubeCluster
    from ..settings import Settings

NamespaceOption = typer.Option(
    [], "--namespace", "-n", help="Namespace; repeat for several. Default: the context's namespace."
)
ContextOption = typer.Option(None, "--context", help="Kubeconfig context to use.")
AllNamespacesOption = typer.Option(
    False, "--all-namespaces", "-A", help="Every namespace catalog installed into (needs the right to list "
                                          "ConfigMaps cluster-wide).")
KubeconfigOption = typer.Option(None, "--kubeconfig", envvar="KUBECONFIG", help="Path of the kubeconfig.")
DryRunOption = typer.Option(
    None, "--dry-run", help="client: only show what would change; server: have the API server check it."
)
ForceOption = typer.Option(False, "--force", help="Overwrite objects someone edited since we installed them.")
TektonVersionOption = typer.Option(
    None, "--tekton-version", help="Resolve for this Tekton Pipelines version instead of the cluster's."
)


def connect(kubeconfig: str | None, context: str | None, timeout: float = 30.0) -> KubeCluster:
    from ..cluster.client import KubeCluster

    # KUBECONFIG may list several files; the client takes the first, as kubectl merges them.
    path = kubeconfig.split(":")[0] if kubeconfig else None
    return KubeCluster(path, context, timeout=timeout)


AllowSensitiveOption = typer.Option(
    False, "--allow-sensitive-rbac",
    help="Grant rbac.yaml rules that amount to escalation (reading Secrets, running pods, exec, RBAC changes) "
         "from sources not trusted for them.")


def options(cluster: Cluster, namespaces: list[str], settings: Settings, *, dry_run: str | None = None,
            force: bool = False, adopt: bool = False, tekton_version: str | None = None,
            allow_sensitive_rbac: bool = False, create_namespace: bool = False) -> Options:
    from ..actions.common import Options
    from ..errors import InputError

    if dry_run not in (None, "client", "server", "none"):
        raise InputError(f"--dry-run must be client or server, not {dry_run!r}")
    ns = tuple(dict.fromkeys(namespaces)) or (cluster.default_namespace,)
    from ..repos import trusted_for_sensitive_rbac

    return Options(ns, force=force, adopt=adopt, dry_run=None if dry_run == "none" else dry_run,
                   tekton_version=tekton_version, allow_sensitive_rbac=allow_sensitive_rbac,
                   trusted=trusted_for_sensitive_rbac(settings), settings=settings,
                   create_namespace=create_namespace)


FromOption = typer.Option(
    None, "--from", metavar="REPO",
    help="Take the entries from this repo (builtin: the built-in catalog). Default: the repo each was installed from.")


@dataclass(frozen=True)
class Moving:
    """The options every verb that moves installed entries takes (upgrade, rollback)."""

    namespace: list[str]
    dry_run: str | None
    force: bool
    allow_sensitive_rbac: bool
    from_: str | None
    tekton_version: str | None
    catalog: str | None
    context: str | None
    kubeconfig: str | None
    output: Format


#: (parameter, type, option) of Moving, as the commands' signatures show them.
_MOVING: list[tuple[str, object, object]] = [
    ("namespace", list[str], NamespaceOption), ("dry_run", str | None, DryRunOption),
    ("force", bool, ForceOption), ("allow_sensitive_rbac", bool, AllowSensitiveOption),
    ("from_", str | None, FromOption), ("tekton_version", str | None, TektonVersionOption),
    ("catalog", str | None, CatalogOption), ("context", str | None, ContextOption),
    ("kubeconfig", str | None, KubeconfigOption), ("output", Format, OutputOption),
]


def moving_command(fn: Callable[..., None]) -> Callable[..., None]:
    """A command whose last parameter, ``moving``, gathers the options of :class:`Moving`:
    Typer sees them one by one in the signature (so ``--help`` lists them), the command
    receives them as one object, and they are declared once for every such command."""
    sig = inspect.signature(fn)
    own = [p for name, p in sig.parameters.items() if name != "moving"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
              for name, kind, option in _MOVING]

    @functools.wraps(fn)
    def command(*args: object, **kwargs: object) -> None:
        # Typer passes each option as the type _MOVING declares; mypy sees only ``object``.
        moving = Moving(**{name: kwargs.pop(name) for name, _, _ in _MOVING})  # type: ignore[arg-type]
        fn(*args, **kwargs, moving=moving)

    # What inspect.signature (and so Typer) reads; functions have no such declared attribute.
    command.__signature__ = sig.replace(parameters=[*own, *shared])  # type: ignore[attr-defined]
    command.__annotations__ = {**{k: v for k, v in fn.__annotations__.items() if k != "moving"},
                               **{name: kind for name, kind, _ in _MOVING}}
    return command
