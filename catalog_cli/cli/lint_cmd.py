"""``catalog lint PATH...``: check Tasks, Pipelines and StepActions before they are published."""

from __future__ import annotations

import enum
import sys
from typing import TYPE_CHECKING

import typer

from .common import settings_of
from ..words import plural
from .output import Format, emit, note, safe

if TYPE_CHECKING:
    from ..lint import LintReport


class MinSeverity(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"


class LintFormat(str, enum.Enum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)


def lint(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., metavar="PATH...", help="Files or directories (searched for *.yaml, *.yml)."),
    output: LintFormat = typer.Option(LintFormat.table, "--output", "-o", help="Output format.", case_sensitive=False),
    severity: MinSeverity = typer.Option(MinSeverity.info, "--severity", help="Lowest severity to report.", case_sensitive=False),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings as well as errors."),
) -> None:
    """Lint Tekton resources as Tekton's webhook checks them, plus catalog metadata and hygiene.

    Tasks, Pipelines, StepActions, TaskRuns, PipelineRuns and Triggers objects are
    checked; other Tekton kinds are reported as not checked (info). Errors are what
    Tekton or the API server refuses (or a catalog entry must have); warnings are
    accepted by Tekton but wrong or risky. Directories are searched recursively;
    files there that hold no Tekton kind are skipped. Exit status: 0 clean, 1 when an
    error (with --strict: or a warning) is reported, 2 or 3 for bad arguments.
    """
    from ..actions.lint import lint as run
    from ..lint import Severity

    report = run(paths, settings_of(ctx), min_severity=Severity.parse(severity.value))
    emit(report.to_dict(), Format(output.value), table=lambda: _table(report))
    note(_summary(report))
    if report.failed(strict=strict):
        raise typer.Exit(1)


def _table(report: LintReport) -> None:
    # One finding a line, "file:line" first, as compilers do, so editors can jump to it.
    sys.stdout.write("".join(
        safe(f"{f.file}:{f.line}  {f.severity!s:<7}  {f.rule}  {f.message}") + "\n" for f in report.findings
    ))


def _summary(report: LintReport) -> str:
    parts = [plural(report.files, "file"), plural(report.errors, "error"), plural(report.warnings, "warning")]
    if report.infos:
        parts.append(plural(report.infos, "info"))
    if report.unchecked:
        # Said even under --severity warning: these objects were read, not found clean.
        parts.append(f"{plural(report.unchecked, 'object')} of a kind lint does not check")
    return ", ".join(parts)
