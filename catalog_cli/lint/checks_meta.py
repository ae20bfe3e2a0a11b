"""Checks of a resource as a catalog entry (catlin's rules) and of its containers.

Rules: removed-api, v1beta1-api, deprecated-resources, schema (metadata), invalid-name and
kebab-case (metadata.name), missing-version-label, missing-min-version, missing-annotation,
missing-description, path-mismatch, deprecated, invalid-category, invalid-platform,
unpinned-image, latest-image, image-without-digest, secret-in-env, param-in-script,
missing-shebang. See :mod:`.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePath

from .. import versions
from ..layout import KIND_FOLDERS
from .model import Issue, JsonPath, LintContext, Resource, items, mapping, text
from .refs import refs_in_text
from .scopes import DNS_SUBDOMAIN, KEBAB, Scope, pipeline_tasks, scopes

VERSION_LABEL = "app.kubernetes.io/version"
MIN_VERSION = "tekton.dev/pipelines.minVersion"
ANNOTATIONS = ("tekton.dev/categories", "tekton.dev/tags", "tekton.dev/displayName", "tekton.dev/platforms")
CATALOG_KINDS = ("Task", "Pipeline", "StepAction")

#: The categories Tekton Hub lists (tektoncd/hub config.yaml); a resource under any other
#: is not found by category there.
HUB_CATEGORIES = (
    "Automation", "Build Tools", "CLI", "Cloud", "Code Quality", "Continuous Integration", "Deployment",
    "Developer Tools", "Image Build", "Integration & Delivery", "Git", "Kubernetes", "Messaging",
    "Monitoring", "Networking", "Openshift", "Publishing", "Security", "Storage", "Testing",
)
#: os/arch, with an optional variant (linux/arm/v7), as OCI platforms are written.
PLATFORM = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")
MAX_NAME = 63
#: Kinds whose schema rule already requires metadata.name.
_SCHEMA_KINDS = frozenset({"Task", "Pipeline", "StepAction"})

_REMOVED_KINDS = {
    "PipelineResource": "PipelineResources were removed from Tekton; use workspaces, params and results",
    "Condition": "Conditions were removed from Tekton; use when expressions",
    "ClusterTask": "ClusterTasks were removed from Tekton; use a Task and the cluster resolver",
}

# Words that make an env variable a secret, and name endings that make it a mere pointer to one.
_SECRET = re.compile(r"(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|APIKEY|API_KEY|PRIVATE_KEY|ACCESS_KEY|SECRET_KEY|CREDENTIALS?)(_|$)", re.IGNORECASE)
_POINTER = re.compile(r"_(PATH|FILE|FILENAME|DIR|DIRECTORY|NAME|REF|KEY_REF|ENV|TYPE|URL|URI|LOCATION|MOUNT|VOLUME|ID|LENGTH|EXPIRY|TTL|HEADER|FIELD|KEY)$", re.IGNORECASE)


def check_api(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    if res.kind in _REMOVED_KINDS:
        yield Issue("removed-api", ("kind",), f"{res.label}: {_REMOVED_KINDS[res.kind]}")
    elif res.version == "v1alpha1" and res.kind in ("Task", "Pipeline"):
        yield Issue("removed-api", ("apiVersion",), f"{res.label}: tekton.dev/v1alpha1 is no longer served; use tekton.dev/v1")
    elif res.version == "v1beta1" and res.kind in ("Task", "Pipeline"):
        yield Issue("v1beta1-api", ("apiVersion",), f"{res.label}: tekton.dev/v1beta1 is deprecated; use tekton.dev/v1")
    if res.kind not in CATALOG_KINDS:
        return
    for key in ("resources", "inputs", "outputs"):
        # v1beta1's webhook: a Task's resources when set at all, a Pipeline's when not empty.
        value = res.spec.get(key)
        if value is not None and (key == "resources" or res.kind == "Task") and (value or res.kind != "Pipeline"):
            yield Issue(
                "deprecated-resources", ("spec", key),
                f"{res.label} uses PipelineResources (spec.{key}), removed from Tekton; use workspaces, params and results",
            )
    for path, pt in pipeline_tasks(res):
        name = text(pt.get("name"))
        if pt.get("resources") is not None:
            yield Issue("deprecated-resources", (*path, "resources"), f"pipeline task '{name}' passes PipelineResources, removed from Tekton")
        if "conditions" in pt:
            yield Issue("deprecated-resources", (*path, "conditions"), f"pipeline task '{name}' uses Conditions, removed from Tekton; use when expressions")
        spec = mapping(pt.get("taskSpec"))
        if "resources" in spec:
            yield Issue("deprecated-resources", (*path, "taskSpec", "resources"), f"inline task of '{name}' declares PipelineResources, removed from Tekton")


def check_metadata(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    """metadata itself, for every kind: a mapping, with a name Kubernetes and Tekton accept."""
    metadata = res.data.get("metadata")
    if not isinstance(metadata, Mapping):
        what = "missing" if metadata is None else f"a {type(metadata).__name__}, not a mapping"
        yield Issue("schema", ("metadata",), f"{res.label}: metadata is {what}")
        return
    name = res.name
    if not name and res.kind not in _SCHEMA_KINDS and not text(metadata.get("generateName")):
        yield Issue("schema", ("metadata",), f"{res.kind}: metadata has neither name nor generateName")
    if name and not DNS_SUBDOMAIN.match(name):
        yield Issue("invalid-name", ("metadata", "name"), f"name '{name}' is not a DNS-1123 subdomain (lowercase letters, digits, '-', '.')")
    elif len(name) > MAX_NAME:
        yield Issue("invalid-name", ("metadata", "name"), f"name '{name[:20]}...' has {len(name)} characters; Tekton allows {MAX_NAME}")
    elif name and res.kind in CATALOG_KINDS and not KEBAB.match(name):
        yield Issue("kebab-case", ("metadata", "name"), f"name '{name}' is not kebab-case")


def check_catalog_metadata(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    if res.kind not in CATALOG_KINDS:
        return
    for path, workspace in _pipeline_workspaces(res):
        if workspace and not KEBAB.match(workspace):
            yield Issue("kebab-case", (*path, "name"), f"workspace name '{workspace}' is not kebab-case")
    annotations = res.annotations
    if text(annotations.get("tekton.dev/deprecated")).lower() == "true":
        yield Issue("deprecated", ("metadata", "annotations", "tekton.dev/deprecated"), f"{res.label} is marked deprecated")
    if res.helper:
        return
    version = res.labels.get(VERSION_LABEL)
    if not version:
        yield Issue("missing-version-label", ("metadata", "labels"), f"{res.label} has no label {VERSION_LABEL}")
    if not annotations.get(MIN_VERSION):
        yield Issue("missing-min-version", ("metadata", "annotations"), f"{res.label} has no annotation {MIN_VERSION}")
    missing = [a for a in ANNOTATIONS if not annotations.get(a)]
    if missing:
        yield Issue("missing-annotation", ("metadata", "annotations"), f"{res.label} lacks annotation(s) {', '.join(missing)}")
    where = ("metadata", "annotations", "tekton.dev/categories")
    for category in _split(annotations.get("tekton.dev/categories")):
        if category not in HUB_CATEGORIES:
            near = [c for c in HUB_CATEGORIES if c.lower() == category.lower()]
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            yield Issue("invalid-category", where, f"category '{category}' is not one of Tekton Hub's{hint}")
    where = ("metadata", "annotations", "tekton.dev/platforms")
    for platform in _split(annotations.get("tekton.dev/platforms")):
        if not PLATFORM.match(platform):
            yield Issue("invalid-platform", where, f"platform '{platform}' is not os/arch (e.g. linux/amd64)")
    if not text(res.spec.get("description")).strip():
        yield Issue("missing-description", ("spec",), f"{res.label} has no spec.description")
    yield from _path_mismatch(res, version)


def _split(value: object) -> list[str]:
    return [part.strip() for part in text(value).split(",") if part.strip()]


def _pipeline_workspaces(res: Resource) -> Iterator[tuple[JsonPath, str]]:
    if res.kind == "Pipeline":
        for path, decl in items(res.spec, "workspaces", ("spec",)):
            yield path, text(decl.get("name"))


def _path_mismatch(res: Resource, version: object) -> Iterator[Issue]:
    """Checks for files in the layouts the index reads (:mod:`catalog_cli.layout`):
    ``<kind>/<name>/<version>/<name>.yaml`` (singular or plural kind folders, ``v``-prefixed
    version folders) and TEP-0115's ``<kind>/<name>/<name>.yaml``, whose version is its
    label. Folders and labels are compared as versions, as the index does, so that
    v0.2.0 is 0.2.0 to both."""
    parts = Path(res.file).absolute().parts  # as given, the file may be named from inside its folder
    if len(parts) >= 4 and parts[-4] in KIND_FOLDERS and versions.is_version(parts[-2]):
        folder_kind, folder_name, folder_version = parts[-4], parts[-3], parts[-2]
    elif len(parts) >= 3 and parts[-3] in KIND_FOLDERS and parts[-1] == f"{parts[-2]}.yaml":
        folder_kind, folder_name, folder_version = parts[-3], parts[-2], None
    else:
        return
    file_name = parts[-1]
    stem = PurePath(file_name).stem
    if KIND_FOLDERS[folder_kind] != res.kind:
        yield Issue("path-mismatch", ("kind",), f"a {res.kind} in the {folder_kind}/ folder")
    if res.name and res.name != folder_name:
        yield Issue("path-mismatch", ("metadata", "name"), f"name '{res.name}' differs from its folder '{folder_name}'")
    if res.name and res.name != stem and folder_version is not None:
        yield Issue("path-mismatch", ("metadata", "name"), f"name '{res.name}' differs from its file name '{file_name}'")
    where = ("metadata", "labels", VERSION_LABEL)
    if folder_version is None:
        if version and not versions.is_version(str(version)):
            yield Issue(
                "path-mismatch", where,
                f"version label '{version}' is not a version (e.g. 0.1 or v1.2.0): with no version "
                "folder, the index takes the version from it, and skips this file",
            )
    elif version and (not versions.is_version(str(version))
                      or versions.parse(str(version)) != versions.parse(folder_version)):
        yield Issue("path-mismatch", where, f"version label '{version}' differs from its version folder '{folder_version}'")


def check_containers(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    """Images, env secrets and params in scripts, for every step, sidecar and stepTemplate."""
    for scope in scopes(res):
        defaults = _string_defaults(scope)
        for cpath, container, part in scope.containers():
            what = part if part == scope.label else f"{part} of {scope.label}"
            image = container.get("image")
            if isinstance(image, str):
                yield from _image(image, (*cpath, "image"), what, defaults)
            for epath, env in items(container, "env", cpath):
                yield from _secret_env(epath, env, what)
            script = container.get("script")
            if isinstance(script, str) and script and not script.startswith("#!") and not part.startswith("sidecar"):
                yield Issue("missing-shebang", (*cpath, "script"), f"{what}: the script has no #! line, so Tekton runs it with sh")
            if isinstance(script, str) and scope.kind != "StepAction":  # there Tekton refuses it
                used = sorted({r.text for r in refs_in_text(script) if r.root == "params"})
                if used:
                    yield Issue(
                        "param-in-script", (*cpath, "script"),
                        f"{what} pastes {', '.join(used)} into its script; pass params through env instead",
                    )


def _string_defaults(scope: Scope) -> dict[str, tuple[JsonPath, str]]:
    out = {}
    for path, decl in scope.params():
        if isinstance(decl.get("default"), str) and text(decl.get("name")):
            out[text(decl.get("name"))] = ((*path, "default"), decl["default"])
    return out


def _image(image: str, path: JsonPath, where: str, defaults: Mapping[str, tuple[JsonPath, str]]) -> Iterator[Issue]:
    refs = list(refs_in_text(image))
    if refs:
        # image: $(params.IMAGE): judge the param's default, where it is written.
        if len(refs) == 1 and refs[0].text == image.strip() and refs[0].root == "params" and refs[0].name in defaults:
            dpath, default = defaults[refs[0].name]
            yield from _image(default, dpath, f"default of param '{refs[0].name}' (the image of {where})", {})
        return
    rule, message = image_problem(image)
    if rule:
        yield Issue(rule, path, f"{where}: {message}")


def image_problem(image: str) -> tuple[str, str]:
    """The rule an image reference breaks and why, or ``("", "")``."""
    image = image.strip()
    if not image:
        return "", ""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if digest:
        return "", ""
    if tag == "latest":
        return "latest-image", f"image '{image}' is tagged latest; pin a version and a digest"
    if not tag:
        return "unpinned-image", f"image '{image}' has no tag or digest (so it means latest); pin a version"
    return "image-without-digest", f"image '{image}' is pinned by tag only; add its @sha256 digest"


def _secret_env(path: JsonPath, env: Mapping[str, object], what: str) -> Iterator[Issue]:
    name, value = text(env.get("name")), env.get("value")
    if not isinstance(value, str) or not value.strip() or not _SECRET.search(name) or _POINTER.search(name):
        return
    if "$(" in value or value.startswith(("/", "~", ".")) or value.lower() in ("true", "false"):
        return  # a reference or a path, not the secret itself
    yield Issue(
        "secret-in-env", (*path, "value"),
        f"{what} sets {name} to a literal value; read it from a Secret (valueFrom.secretKeyRef)",
    )


CHECKS = (check_api, check_metadata, check_catalog_metadata, check_containers)
