"""Every lint rule: its stable id, default severity and what it means.

Ids are kebab-case and never change meaning; new checks get new ids. The
``origin`` says where the idea comes from: ``kubernetes`` (what the API server or
Tekton's webhook rejects), ``catlin`` (tektoncd/catalog's own linter and review
rules), ``tekton-lint`` (IBM's npm linter) or ``catalog`` (this project).

Files and parsing
    yaml-syntax           error    the file is not valid YAML (line of the problem), holds an
                                   alias bomb or recursive alias, or cannot be read as UTF-8.
    not-tekton            error    a file named on the command line holds no Tekton resource
                                   (empty, or only other kinds; files found by walking a
                                   directory are skipped quietly instead), or anywhere: a
                                   tekton.dev apiVersion with an unknown kind, or a Task,
                                   Pipeline or StepAction without apiVersion.
    lint-crash            error    a check failed on an input it did not expect; reported
                                   instead of stopping the run (a bug in this linter).

Kubernetes and Tekton validity
    schema                error    the object does not validate against the JSON Schema
                                   generated from Tekton's CRD for its apiVersion and kind
                                   (unknown fields, wrong types, missing required fields,
                                   missing metadata.name).
    removed-api           error    an apiVersion Tekton no longer serves (tekton.dev/v1alpha1
                                   Task or Pipeline) or a removed kind (PipelineResource,
                                   Condition, ClusterTask).
    deprecated-resources  error    PipelineResources in a Task or Pipeline (spec.resources,
                                   spec.inputs/outputs, pipeline task resources) or Conditions
                                   on a pipeline task: removed from Tekton, use workspaces,
                                   params, results and when expressions.
    v1beta1-api           info     tekton.dev/v1beta1 is deprecated; write tekton.dev/v1.
    invalid-name          error    a name Kubernetes or Tekton rejects: metadata.name (DNS-1123
                                   subdomain), step, sidecar and pipeline task names (DNS-1123
                                   label), param names, result names.
    kebab-case            warning  metadata.name and workspace names that are valid but not
                                   lowercase kebab-case (tekton-lint's prefer-kebab-case).
                                   Param and result names may be UPPER_CASE, as in the catalog.
    duplicate-name        error    two params, workspaces, results, steps, sidecars, volumes or
                                   pipeline tasks (tasks and finally together) with one name.
    duplicate-env         error    one env variable twice in a step, sidecar or stepTemplate.
    duplicate-resource    error    the same kind and name twice in one file or one folder. Only
                                   there: a catalog keeps every version of a Task, one per
                                   version folder, all with the same name.
    undefined-volume      error    a volumeMount naming no volume of the Task.

Catalog metadata (catlin); not applied to helper resources under samples/ or tests/
    missing-version-label error    no label app.kubernetes.io/version.
    missing-min-version   error    no annotation tekton.dev/pipelines.minVersion.
    missing-annotation    warning  no tekton.dev/categories, tags, displayName or platforms.
    missing-description   warning  no spec.description.
    path-mismatch         error    in the layout <kind>/<name>/<version>/<name>.yaml: the kind,
                                   the name or the version label disagrees with the path.
    deprecated            info     the resource is marked tekton.dev/deprecated.

Images and secrets
    unpinned-image        error    an image with neither tag nor digest (it means :latest).
    latest-image          error    an image tagged :latest.
    image-without-digest  info     an image pinned by tag only; tags can be moved.
    secret-in-env         error    an env variable named like a password, token, secret or key
                                   with a literal value; use valueFrom.secretKeyRef.
    param-in-script       warning  $(params.x) written into a step script: the value is pasted
                                   into the script text (injection); pass it through env.

References (tekton-lint)
    undefined-param       error    $(params.x) of a param the Task, Pipeline or StepAction does
                                   not declare (propagated params of inline specs understood).
    unused-param          warning  a declared param that nothing references.
    invalid-param-type    error    a param default (or pipeline task param value) whose type is
                                   not the declared one, or not a string, array of strings or
                                   object of strings (a bare true or 1 must be quoted).
    undefined-workspace   error    $(workspaces.x...) or a step/pipeline task workspace binding
                                   naming an undeclared workspace.
    unused-workspace      warning  a declared workspace that nothing uses ($(workspaces.x...),
                                   a step binding, its mount path, or a pipeline task binding).
    undefined-result      error    $(results.x.path) or $(step.results.x.path) of an undeclared
                                   result.
    unused-result         warning  a declared Task result that no step writes.
    undefined-task-result error    $(tasks.t.results.r) of a task not in the Pipeline, or of a
                                   result that task does not declare.
    missing-runafter-target error  runAfter names a task the Pipeline does not have.
    pipeline-cycle        error    pipeline tasks that depend on each other in a cycle.
    missing-task-ref      warning  taskRef.name of a Task not among the linted files (refs with
                                   a resolver, a bundle or a custom task kind are not checked).
    unknown-task-param    error    a pipeline task passes a param its Task does not declare.
    missing-task-param    error    a pipeline task omits a param its Task requires.
    missing-task-workspace error   a pipeline task binds no workspace to a required (not
                                   optional) workspace of its Task.

Migrations (a version folder's migrations.yaml, against this version and the one before)
    migration-invalid     error    the file does not parse, or an operation names a param,
                                   workspace or result a version lacks.
    migration-missing     warning  a change callers must make (a required param or workspace
                                   added, a param or result gone) that no operation makes.
"""

from __future__ import annotations

from .model import RuleInfo, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_TABLE: list[tuple[str, Severity, str, str]] = [
    ("yaml-syntax", E, "kubernetes", "file is not valid YAML or cannot be read"),
    ("not-tekton", E, "catalog", "no Tekton resource where one is expected, or an unknown kind"),
    ("lint-crash", E, "catalog", "a check failed on unexpected input (a linter bug)"),
    ("schema", E, "kubernetes", "object does not validate against Tekton's CRD schema"),
    ("removed-api", E, "kubernetes", "apiVersion or kind no longer served by Tekton"),
    ("deprecated-resources", E, "catlin", "PipelineResources or Conditions, removed from Tekton"),
    ("v1beta1-api", I, "catlin", "tekton.dev/v1beta1 is deprecated; use tekton.dev/v1"),
    ("invalid-name", E, "kubernetes", "name Kubernetes or Tekton rejects"),
    ("kebab-case", W, "tekton-lint", "name is not lowercase kebab-case"),
    ("duplicate-name", E, "tekton-lint", "two params, workspaces, results, steps or tasks share a name"),
    ("duplicate-env", E, "tekton-lint", "env variable defined twice in one container"),
    ("duplicate-resource", E, "tekton-lint", "same kind and name twice in one file or folder"),
    ("undefined-volume", E, "tekton-lint", "volumeMount of an undefined volume"),
    ("missing-version-label", E, "catlin", "no app.kubernetes.io/version label"),
    ("missing-min-version", E, "catlin", "no tekton.dev/pipelines.minVersion annotation"),
    ("missing-annotation", W, "catlin", "no categories, tags, displayName or platforms annotation"),
    ("missing-description", W, "catlin", "no spec.description"),
    ("path-mismatch", E, "catlin", "kind, name or version disagrees with the catalog path"),
    ("deprecated", I, "tekton-lint", "resource is marked deprecated"),
    ("unpinned-image", E, "catlin", "image with neither tag nor digest"),
    ("latest-image", E, "tekton-lint", "image tagged :latest"),
    ("image-without-digest", I, "catlin", "image pinned by tag only"),
    ("secret-in-env", E, "catalog", "secret-like env variable with a literal value"),
    ("param-in-script", W, "catlin", "$(params.x) pasted into a step script"),
    ("undefined-param", E, "tekton-lint", "reference to an undeclared param"),
    ("unused-param", W, "tekton-lint", "declared param never referenced"),
    ("invalid-param-type", E, "tekton-lint", "param value of the wrong type"),
    ("undefined-workspace", E, "tekton-lint", "reference to an undeclared workspace"),
    ("unused-workspace", W, "catalog", "declared workspace never used"),
    ("undefined-result", E, "tekton-lint", "reference to an undeclared result"),
    ("unused-result", W, "catalog", "declared result never written"),
    ("undefined-task-result", E, "tekton-lint", "reference to a result of an unknown task or result"),
    ("missing-runafter-target", E, "tekton-lint", "runAfter names a missing pipeline task"),
    ("pipeline-cycle", E, "tekton-lint", "pipeline tasks depend on each other in a cycle"),
    ("missing-task-ref", W, "tekton-lint", "taskRef to a Task not among the linted files"),
    ("unknown-task-param", E, "tekton-lint", "pipeline task passes a param its Task lacks"),
    ("missing-task-param", E, "tekton-lint", "pipeline task omits a required param"),
    ("missing-task-workspace", E, "tekton-lint", "pipeline task omits a required workspace"),
    ("migration-invalid", E, "catalog", "migrations.yaml does not parse or names what the versions lack"),
    ("migration-missing", W, "catalog", "a change callers must make that no migration makes"),
]

#: Every rule by id, in documentation order.
RULES: dict[str, RuleInfo] = {
    rid: RuleInfo(rid, sev, summary, origin) for rid, sev, origin, summary in _TABLE
}
