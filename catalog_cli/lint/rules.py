"""Every lint rule: its stable id, default severity and what it means.

Ids are kebab-case and never change meaning; new checks get new ids. The
``origin`` says where the idea comes from: ``kubernetes`` (what the API server
rejects), ``tekton`` (what Tekton's admission webhook rejects, read from its
validation code under its default feature flags), ``catlin`` (tektoncd/catalog's
own linter and review rules), ``tekton-lint`` (IBM's npm linter) or ``catalog``
(this project).

Severity says how sure and how bad: an ``error`` is what Tekton or the API server
refuses (or, for catalog rules, what a catalog must have); a ``warning`` is what
Tekton accepts but is wrong or risky (hygiene); an ``info`` is advice, or a note that
something was not checked. What Tekton accepts is never an error here.

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
    duplicate-key         error    a mapping gives one key twice (YAML readers keep the last
                                   silently; Kubernetes' reader refuses the object).
    unknown-api           error    a known Tekton kind under an apiVersion it was never served
                                   in (tekton.dev/v2).
    not-checked           info     a Tekton kind this linter does not check (CustomRun,
                                   ResolutionRequest, Pipelines-as-Code Repository, Dashboard
                                   Extension, ...): said, so that the file is not taken as clean.
    template-file         info     not YAML as it is, but a template ({{ ... }}, Helm or Go):
                                   lint what it renders.

Kubernetes and Tekton validity
    schema                error    the object does not validate against the JSON Schema
                                   generated from Tekton's CRD for its apiVersion and kind (Task,
                                   Pipeline, StepAction, TaskRun, PipelineRun: unknown fields,
                                   wrong types, missing metadata.name; not the other required
                                   fields, which Tekton's defaulting fills in), or a v1beta1
                                   Triggers object has a field its Go types lack, or its metadata
                                   is no mapping. An unknown field the CRD's schema covers is
                                   refused by the API server under strict field validation
                                   (kubectl's default) and otherwise dropped; one it leaves open
                                   (a run's inline spec, all of a Triggers object) is refused by
                                   the webhook, which decodes strictly.
    removed-api           error    an apiVersion Tekton no longer serves (tekton.dev/v1alpha1
                                   Task or Pipeline) or a removed kind (PipelineResource,
                                   Condition, ClusterTask).
    deprecated-resources  error    PipelineResources in a Task or Pipeline (spec.resources,
                                   spec.inputs/outputs, pipeline task resources) or Conditions
                                   on a pipeline task: removed from Tekton, use workspaces,
                                   params, results and when expressions.
    v1beta1-api           info     tekton.dev/v1beta1 is deprecated; write tekton.dev/v1.
    invalid-name          error    a name Kubernetes or Tekton rejects: metadata.name (DNS-1123
                                   subdomain of at most 63; an EventListener's at most 60), step,
                                   sidecar and pipeline task names (DNS-1123 label), param names
                                   (object params and keys without dots), result names.
    kebab-case            warning  metadata.name and workspace names that are valid but not
                                   lowercase kebab-case (tekton-lint's prefer-kebab-case).
                                   Param and result names may be UPPER_CASE, as in the catalog.
    duplicate-name        error    two params, workspaces, results, steps, sidecars, volumes or
                                   pipeline tasks (tasks and finally together) with one name.
    duplicate-env         warning  one env variable twice in a step, sidecar or stepTemplate
                                   (Kubernetes keeps the last; Tekton accepts it).
    duplicate-resource    warning  the same kind and name twice in one file or one folder: applied
                                   together, the second silently replaces the first (Tekton
                                   accepts each). Only there: a catalog holds every version of a
                                   Task, one per version folder, all with the same name.
    undefined-volume      warning  a volumeMount naming no volume of the Task: Tekton accepts the
                                   Task, and a run fails unless its podTemplate adds the volume.

Tekton's admission webhook (tektoncd/pipeline pkg/apis/pipeline/v1/*_validation.go,
tektoncd/triggers pkg/apis/triggers/v1beta1/*_validation.go)
    missing-steps         error    a Task (or inline task) with no steps.
    missing-image         error    a step (without ref, and no stepTemplate image), sidecar or
                                   StepAction with no image.
    script-with-command   error    a step, sidecar or StepAction with both script and command.
    step-ref-conflict     error    a step with a StepAction ref that also sets image, command,
                                   args, script, workingDir, env, volumeMounts or results; or
                                   step params without a ref.
    invalid-ref           error    a taskRef, pipelineRef or step ref that is neither a valid
                                   name nor a resolver with params, or a custom task ref without
                                   kind and group/version.
    ref-or-spec           error    a pipeline task, TaskRun or PipelineRun without exactly one of
                                   ref and inline spec; an inline task with steps and a kind.
    invalid-on-error      error    onError other than continue or stopAndFail (steps, pipeline
                                   tasks), or continue together with retries.
    invalid-timeout       error    a step timeout that is negative or no duration (90s, 1h30m).
    reserved-name         error    a volumeMount under /tekton/ (but /tekton/home), a volume name
                                   starting tekton-internal-, a sidecar named tekton-log-results.
    workspace-mount-clash error    a workspace mounted where another workspace or a volumeMount is.
    invalid-param-type    error    a param type other than string, array or object; a default
                                   whose type (as Tekton reads it: an unquoted true or 1000 is a
                                   string) is not the declared one; an object param without
                                   properties or with non-string ones; enum misuse.
    invalid-result        error    a result type other than string, array or object, an object
                                   result without properties, a value not $(steps.s.results.r).
    invalid-variable      error    $(params.a.b.c) (over two dotted parts), an unknown
                                   $(context...) variable, a key an object param lacks, a pipeline
                                   param value or when with a prefix Tekton does not have
                                   ($(date): write ${VAR} for shell), a StepAction volumeMount
                                   name that is not one param reference.
    forbidden-variable    error    an array param outside a lone command/args entry, an object
                                   param used whole, a step result outside env/command/args,
                                   $(params...) in a StepAction script.
    invalid-when          error    a when operator other than in/notin, no values, or CEL mixed
                                   with input/operator/values.
    missing-tasks         error    a Pipeline with an empty spec, or finally without tasks.
    invalid-finally       error    runAfter in finally; a finally task reading a finally task's
                                   result; $(tasks.x.status) outside finally.
    invalid-matrix        error    a param both in matrix and params, over 256 combinations, a
                                   matrixed task's result read without [*].
    invalid-pipeline-result error  a pipeline result whose value reads no task result, or a
                                   task the pipeline does not have.
    invalid-workspace-binding error a run's workspace with no or several volume sources, or one
                                   missing its claimName, name, secretName or driver.
    invalid-run           error    a run's status, statusMessage, retries or timeouts that Tekton
                                   refuses (tasks + finally over the pipeline's, negative ones).
    invalid-trigger       error    what the Triggers webhook refuses in a TriggerBinding,
                                   TriggerTemplate, Trigger or EventListener.
    alpha-feature         warning  a field Tekton refuses unless an alpha feature flag is on
                                   (enum, CEL when, #!win, concise resolver names, debug, artifacts, ...).

Catalog metadata (catlin); only for catalog entries: not under samples/, spec/ or test*/, nor
beside the entry in its resource folder (pipeline/openwhisk/0.1/tasks/*.yaml)
    missing-version-label error    no label app.kubernetes.io/version.
    missing-min-version   error    no annotation tekton.dev/pipelines.minVersion.
    missing-annotation    warning  no tekton.dev/categories, tags, displayName or platforms.
    missing-description   warning  no spec.description.
    path-mismatch         error    in the layouts the index reads (<kind>/<name>/<version>/<name>.yaml,
                                   plural kind folders, TEP-0115's <kind>/<name>/<name>.yaml): the
                                   kind, the name or the version label disagrees with the path,
                                   or (TEP-0115, where the label is the version) is no version.
                                   Versions compare as the index compares them: v0.2.0 is 0.2.
    duplicate-version     error    two version folders of one resource that are one version
                                   (1.0/ and 1.0.0/): the index keeps only one.
    deprecated            info     the resource is marked tekton.dev/deprecated.
    invalid-category      warning  a tekton.dev/categories entry outside Tekton Hub's list.
    invalid-platform      warning  a tekton.dev/platforms entry that is not os/arch[/variant].

Hygiene (Tekton accepts these; tektoncd/catalog#1381 and tekton-lint count them)
    unpinned-image        warning  an image with neither tag nor digest (it means :latest).
    latest-image          warning  an image tagged :latest.
    image-without-digest  info     an image pinned by tag only; tags can be moved.
    secret-in-env         warning  an env variable named like a password, token, secret or key
                                   with a literal value; use valueFrom.secretKeyRef.
    param-in-script       warning  $(params.x) written into a step script: the value is pasted
                                   into the script text (script injection); pass it through env.
    missing-shebang       warning  a step script without a #! line (tekton-lint's
                                   no-missing-hashbang): Tekton then runs it with sh.

References (tekton-lint)
    undefined-param       error    $(params.x) of a param the Task, Pipeline or StepAction does
                                   not declare (propagated params of inline specs understood); a
                                   warning where Tekton's webhook does not look (sidecars,
                                   volumes): there it is left as written at run time.
    unused-param          warning  a declared param that nothing references.
    undefined-workspace   error    a step or pipeline task workspace binding naming an undeclared
                                   workspace; a warning for $(workspaces.x...) of one (Tekton
                                   accepts it and leaves the text unreplaced).
    unused-workspace      warning  a declared workspace that nothing uses ($(workspaces.x...),
                                   a step binding, its mount path, or a pipeline task binding).
    undefined-result      error    $(results.x.path) or $(step.results.x.path) of an undeclared
                                   result (in a step script, where Tekton checks; a warning
                                   elsewhere).
    unused-result         warning  a declared Task result that no step writes.
    undefined-task-result error    $(tasks.t.results.r) of a task not in the Pipeline, or of a
                                   result that task does not declare.
    missing-runafter-target error  runAfter names a task the Pipeline does not have.
    pipeline-cycle        error    pipeline tasks that depend on each other in a cycle.
    missing-task-ref      warning  taskRef.name of a Task not among the linted files (refs with
                                   a resolver, a bundle or a custom task kind are not checked).
    unknown-task-param    warning  a pipeline task passes a param its Task does not declare
                                   (Tekton ignores it: a typo, most likely).
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
    ("duplicate-key", E, "kubernetes", "a mapping key given twice"),
    ("unknown-api", E, "kubernetes", "a Tekton kind under an apiVersion it never had"),
    ("not-checked", I, "catalog", "a Tekton kind this linter does not check"),
    ("template-file", I, "catalog", "a template, not YAML until rendered"),
    ("schema", E, "kubernetes", "object does not validate against Tekton's CRD schema"),
    ("removed-api", E, "kubernetes", "apiVersion or kind no longer served by Tekton"),
    ("deprecated-resources", E, "tekton", "PipelineResources or Conditions, removed from Tekton"),
    ("v1beta1-api", I, "catlin", "tekton.dev/v1beta1 is deprecated; use tekton.dev/v1"),
    ("invalid-name", E, "kubernetes", "name Kubernetes or Tekton rejects"),
    ("kebab-case", W, "tekton-lint", "name is not lowercase kebab-case"),
    ("duplicate-name", E, "tekton", "two params, workspaces, results, steps or tasks share a name"),
    ("duplicate-env", W, "tekton-lint", "env variable defined twice in one container"),
    ("duplicate-resource", W, "tekton-lint", "same kind and name twice in one file or folder"),
    ("undefined-volume", W, "kubernetes", "volumeMount of an undefined volume"),
    ("missing-steps", E, "tekton", "a Task with no steps"),
    ("missing-image", E, "tekton", "a step, sidecar or StepAction with no image"),
    ("script-with-command", E, "tekton", "script and command in one container"),
    ("step-ref-conflict", E, "tekton", "a StepAction ref mixed with image, script and the like"),
    ("invalid-ref", E, "tekton", "a ref that is neither a name nor a resolver with params"),
    ("ref-or-spec", E, "tekton", "not exactly one of a ref and an inline spec"),
    ("invalid-on-error", E, "tekton", "onError other than continue or stopAndFail"),
    ("invalid-timeout", E, "tekton", "a step timeout that is negative or no duration"),
    ("reserved-name", E, "tekton", "a mount path, volume or sidecar name Tekton reserves"),
    ("workspace-mount-clash", E, "tekton", "a workspace mounted where something else is"),
    ("invalid-param-type", E, "tekton", "a param type or default Tekton rejects"),
    ("invalid-result", E, "tekton", "a result type, properties or value Tekton rejects"),
    ("invalid-variable", E, "tekton", "a $(...) variable Tekton does not know"),
    ("forbidden-variable", E, "tekton", "a variable used where Tekton forbids it"),
    ("invalid-when", E, "tekton", "a when expression Tekton rejects"),
    ("missing-tasks", E, "tekton", "a Pipeline with an empty spec, or finally without tasks"),
    ("invalid-finally", E, "tekton", "finally-task rules Tekton enforces"),
    ("invalid-matrix", E, "tekton", "a matrix Tekton rejects"),
    ("invalid-pipeline-result", E, "tekton", "a pipeline result that reads no task result"),
    ("invalid-workspace-binding", E, "tekton", "a run's workspace binding Tekton rejects"),
    ("invalid-run", E, "tekton", "a TaskRun or PipelineRun field Tekton rejects"),
    ("invalid-trigger", E, "tekton", "what the Triggers webhook rejects"),
    ("alpha-feature", W, "tekton", "a field that needs an alpha feature flag"),
    ("missing-version-label", E, "catlin", "no app.kubernetes.io/version label"),
    ("missing-min-version", E, "catlin", "no tekton.dev/pipelines.minVersion annotation"),
    ("missing-annotation", W, "catlin", "no categories, tags, displayName or platforms annotation"),
    ("missing-description", W, "catlin", "no spec.description"),
    ("path-mismatch", E, "catlin", "kind, name or version disagrees with the catalog path"),
    ("duplicate-version", E, "catalog", "two version folders of one resource with equal versions"),
    ("deprecated", I, "tekton-lint", "resource is marked deprecated"),
    ("invalid-category", W, "catlin", "a category outside Tekton Hub's list"),
    ("invalid-platform", W, "catlin", "a platform that is not os/arch"),
    ("unpinned-image", W, "catlin", "image with neither tag nor digest"),
    ("latest-image", W, "tekton-lint", "image tagged :latest"),
    ("image-without-digest", I, "catlin", "image pinned by tag only"),
    ("secret-in-env", W, "catalog", "secret-like env variable with a literal value"),
    ("param-in-script", W, "catlin", "$(params.x) pasted into a step script (script injection)"),
    ("missing-shebang", W, "tekton-lint", "a step script without a #! line"),
    ("undefined-param", E, "tekton", "reference to an undeclared param"),
    ("unused-param", W, "tekton-lint", "declared param never referenced"),
    ("undefined-workspace", E, "tekton", "reference to an undeclared workspace"),
    ("unused-workspace", W, "catalog", "declared workspace never used"),
    ("undefined-result", E, "tekton", "reference to an undeclared result"),
    ("unused-result", W, "catalog", "declared result never written"),
    ("undefined-task-result", E, "tekton", "reference to a result of an unknown task or result"),
    ("missing-runafter-target", E, "tekton", "runAfter names a missing pipeline task"),
    ("pipeline-cycle", E, "tekton", "pipeline tasks depend on each other in a cycle"),
    ("missing-task-ref", W, "tekton-lint", "taskRef to a Task not among the linted files"),
    ("unknown-task-param", W, "tekton-lint", "pipeline task passes a param its Task lacks"),
    ("missing-task-param", E, "tekton", "pipeline task omits a required param"),
    ("missing-task-workspace", E, "tekton", "pipeline task omits a required workspace"),
    ("migration-invalid", E, "catalog", "migrations.yaml does not parse or names what the versions lack"),
    ("migration-missing", W, "catalog", "a change callers must make that no migration makes"),
]

#: Every rule by id, in documentation order.
RULES: dict[str, RuleInfo] = {
    rid: RuleInfo(rid, sev, summary, origin) for rid, sev, origin, summary in _TABLE
}
