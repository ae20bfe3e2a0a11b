"""Linting Tekton resources: Tasks, Pipelines and StepActions, as files or whole catalogs.

    report = lint_paths(["catalog/"], min_severity=Severity.WARNING)
    for f in report.findings:
        print(f.file, f.line, f.severity, f.rule, f.message)

Three families of rules, all listed with their ids and severities in
:mod:`catalog_cli.lint.rules`:

- validity: the object against a JSON Schema generated from Tekton's own CRDs
  (``schema``), names, removed APIs and PipelineResources;
- catalog hygiene, after tektoncd/catalog's catlin: version label, min Pipelines
  version, annotations, description, the ``<kind>/<name>/<version>/<name>.yaml``
  layout, pinned images, no secrets in env, no params pasted into scripts;
- references, after tekton-lint: undefined and unused params, workspaces and
  results, duplicates, pipeline task graphs and the Tasks they refer to.

Every rule reads both tekton.dev/v1 and v1beta1 shapes. The library returns data
and never prints; ``catalog lint`` renders it.
"""

from __future__ import annotations

from .engine import lint_paths, lint_resources
from .model import Finding, LintReport, RuleInfo, Severity
from .rules import RULES

__all__ = ["RULES", "Finding", "LintReport", "RuleInfo", "Severity", "lint_paths", "lint_resources"]
