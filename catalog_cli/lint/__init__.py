"""Linting Tekton resources: Tasks, Pipelines, StepActions, runs and Triggers, as files or catalogs.

    report = lint_paths(["catalog/"], min_severity=Severity.WARNING)
    for f in report.findings:
        print(f.file, f.line, f.severity, f.rule, f.message)

Four families of rules, all listed with their ids and severities in
:mod:`catalog_cli.lint.rules`:

- what Tekton refuses: the object against a JSON Schema generated from Tekton's
  CRDs (``schema``), and the checks of Tekton's admission webhook, mirrored from its
  validation code (:mod:`.tekton_task`, :mod:`.tekton_pipeline`, :mod:`.tekton_runs`,
  :mod:`.triggers`); removed APIs and PipelineResources;
- catalog metadata, after tektoncd/catalog's catlin: version label, min Pipelines
  version, annotations, Hub categories, platforms, description, the
  ``<kind>/<name>/<version>/<name>.yaml`` layout;
- hygiene Tekton accepts: mutable image tags, secrets in env, params pasted into
  scripts, scripts without ``#!``;
- references, after tekton-lint: undefined and unused params, workspaces and
  results, duplicates, pipeline task graphs and the Tasks they refer to.

Only what Tekton refuses (or a catalog entry must have) is an error. Every rule
reads both tekton.dev/v1 and v1beta1 shapes. The library returns data and never
prints; ``catalog lint`` renders it.
"""

from __future__ import annotations

from .engine import lint_paths, lint_resources
from .model import Finding, LintReport, RuleInfo, Severity
from .rules import RULES

__all__ = ["RULES", "Finding", "LintReport", "RuleInfo", "Severity", "lint_paths", "lint_resources"]
