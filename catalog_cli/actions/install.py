"""install: resolve, then make each entry and its RBAC present in every namespace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..cluster.base import Cluster, ObjectRef
from ..errors import InputError
from ..requirements import parse_requirement
from ..sources.base import Catalog
from . import preflight
from .change import Target, change
from .common import Options, Report, start

if TYPE_CHECKING:
    from ..lockfile import Lock


def install(catalog: Catalog, cluster: Cluster, requirements: Sequence[str], opts: Options,
            on_write: Callable[[ObjectRef, str], None] | None = None, locked: Lock | None = None) -> Report:
    """Install ``requirements`` (or, with ``locked``, exactly what the lock file names)."""
    notes = start(cluster, opts, creates=True)
    tekton = preflight.tekton_version(cluster, opts.tekton_version)
    if locked is not None:
        if requirements:
            raise InputError("with --locked, the lock file says what to install: give no names")
        requirements = [str(r) for r in locked.requirements]
    if not requirements:
        raise InputError("name what to install (NAME[@RANGE]...), or use --locked")
    target = Target(tuple(str(parse_requirement(r)) for r in requirements), locked=locked)
    report, _ = change(catalog, cluster, opts, {ns: target for ns in opts.namespaces}, "install", tekton, on_write)
    report.notes = notes + report.notes
    return report
