"""Running every check over a set of files and turning issues into sorted findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePath

from . import (
    checks_meta,
    checks_migrations,
    checks_pipeline,
    checks_spec,
    tekton_pipeline,
    tekton_runs,
    tekton_task,
    triggers,
)
from .loader import discover, read
from .model import Check, Finding, Issue, LintContext, LintReport, Resource, Severity, no_catalog
from .rules import RULES
from .. import versions
from ..layout import KIND_FOLDERS
from .schema import check_schema

CHECKS: tuple[Check, ...] = (
    check_schema, *checks_meta.CHECKS, *checks_spec.CHECKS, *checks_pipeline.CHECKS,
    *tekton_task.CHECKS, *tekton_pipeline.CHECKS, *tekton_runs.CHECKS, *triggers.CHECKS, *checks_migrations.CHECKS,
)


def lint_paths(
    paths: Iterable[str | Path], *, min_severity: Severity = Severity.INFO,
    catalog_tasks: Callable[[], Iterable[str]] = no_catalog,
) -> LintReport:
    """Lint the files and directories ``paths`` (directories recursively, *.yaml and *.yml).

    ``catalog_tasks`` gives the names of the Tasks the catalog offers, which Pipelines
    may refer to without their files being linted too; it is called at most once, and
    only when a Pipeline refers to a Task outside ``paths``. By default none is known.

    Raises :class:`~catalog_cli.errors.NotFound` for a path that does not exist and
    :class:`~catalog_cli.errors.InputError` for a directory with no YAML file; every
    problem inside a file, including one that cannot be parsed, is a finding.
    """
    sources = discover(paths)
    resources: list[Resource] = []
    findings: list[Finding] = []
    for src in sources:
        found, problems = read(src)
        resources.extend(found)
        findings.extend(problems)
    findings.extend(lint_resources(resources, catalog_tasks))
    kept = sorted({f for f in findings if f.severity >= min_severity})
    unchecked = sum(1 for f in findings if f.rule == "not-checked")
    return LintReport(tuple(kept), len(sources), unchecked)


def lint_resources(resources: Sequence[Resource],
                   catalog_tasks: Callable[[], Iterable[str]] = no_catalog) -> Iterator[Finding]:
    """Every finding of every check on ``resources``, linted as one set."""
    ctx = LintContext(resources, catalog_tasks)
    for res in resources:
        for check in CHECKS:
            try:
                for issue in check(res, ctx):
                    yield finding(res, issue)
            except Exception as exc:
                yield Finding(
                    res.file, res.line(()), "lint-crash", Severity.ERROR,
                    f"check {check.__name__} failed on {res.label}: {type(exc).__name__}: {exc}",
                )
    yield from duplicate_resources(resources)
    yield from duplicate_versions(resources)


def finding(res: Resource, issue: Issue) -> Finding:
    severity = issue.severity or RULES[issue.rule].severity
    return Finding(res.file, res.line(issue.path), issue.rule, severity, issue.message)


def duplicate_resources(resources: Sequence[Resource]) -> Iterator[Finding]:
    """duplicate-resource: one kind and name twice in one file or one folder.

    Not across folders: a catalog holds each version of a Task in its own folder,
    all under one name, and that is how it should be.
    """
    seen: dict[tuple[str, str, str], Resource] = {}
    for res in resources:
        if not res.name:
            continue
        key = (str(PurePath(res.file).parent), res.kind, res.name)
        first = seen.setdefault(key, res)
        if first is not res:
            where = "earlier in this file" if first.file == res.file else f"in {first.file}"
            yield finding(res, Issue("duplicate-resource", ("metadata", "name"), f"{res.label} is already defined {where}"))


def duplicate_versions(resources: Sequence[Resource]) -> Iterator[Finding]:
    """duplicate-version: two version folders of one resource that are one version
    (``1.0/`` and ``1.0.0/``, ``0.2/`` and ``v0.2/``). The index keeps the first and
    skips the other, and a lock naming one could not tell them apart."""
    seen: dict[tuple[str, versions.Version], str] = {}
    for res in sorted(resources, key=lambda r: Path(r.file).absolute().parts):  # as the index walks
        parts = Path(res.file).absolute().parts
        if not (len(parts) >= 4 and parts[-4] in KIND_FOLDERS and versions.is_version(parts[-2])
                and parts[-1] == f"{parts[-3]}.yaml"):
            continue
        key = (str(Path(*parts[:-2])), versions.parse(parts[-2]))
        first = seen.setdefault(key, parts[-2])
        if first != parts[-2]:
            yield finding(res, Issue("duplicate-version", (), f"version folder '{parts[-2]}' is the same "
                                     f"version as '{first}': the index keeps one and skips the other; "
                                     "remove or renumber one"))
