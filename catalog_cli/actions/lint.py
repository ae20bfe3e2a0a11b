"""``catalog lint``: lint files, knowing which Tasks the user's catalog offers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import CatalogError
from ..lint import LintReport, Severity, lint_paths
from ..settings import Settings
from ..sources import open_catalog


def lint(paths: Iterable[str | Path], settings: Settings, *,
         min_severity: Severity = Severity.INFO) -> LintReport:
    """Lint ``paths``; a Pipeline may refer to any Task of the default catalog (every
    configured repo, then the built-in one) without that Task being linted too."""

    def catalog_tasks() -> frozenset[str]:
        try:
            cat = open_catalog(None, settings)
            return frozenset(n for n in cat.names() if "Task" in cat.kinds(n))
        except CatalogError:
            # The user's repos (a broken repos.yaml, a server down and nothing cached)
            # are not what is being linted: without them, references to catalog Tasks
            # are reported as unknown. Anything else is a bug and must show.
            return frozenset()

    return lint_paths(paths, min_severity=min_severity, catalog_tasks=catalog_tasks)
