"""Templates as catalog entries: reading one version's manifest and source files.

A template lives in a catalog as ``template/<name>/<version>/`` beside tasks:

    <name>.yaml     the manifest (``apiVersion: catalog.dev/v1``, ``kind: Template``)
    README.md
    files/...       the source files, YAML with ``((placeholders))``

The manifest carries the usual catalog metadata (version label, display name,
tags, ``catalog.dev/dependencies`` with version ranges) and a ``spec`` with
``description``, ``parameters`` (a JSON Schema object for the answers),
``layout`` and ``files``: which source file becomes which generated file, in
which variants, and under which paths earlier versions wrote it (``previously``,
so that ``--update`` merges a file that moved).

``layout`` says what the paths are relative to:

- ``folder`` (the default, what versions before it had): one folder, the
  service's ``.tekton/`` by convention, holding every file and the answers file;
- ``repository``: the service's repository, so that ``.tekton/`` can hold only
  what is applied as it is (``kubectl apply -n NS -f .tekton/``) or what
  Pipelines-as-Code reads, while the answers file, the kustomization and the rest
  live beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from .. import yamlio
from ..errors import InputError
from ..model import Dependency, Entry
from ..provider import Resolvable
from ..resources import metadata

KIND = "Template"
TRIGGERS = "triggers"
PIPELINES_AS_CODE = "pipelines-as-code"
#: How the generated pipeline is started: Tekton Triggers on a git push, or Pipelines-as-Code.
VARIANTS = (TRIGGERS, PIPELINES_AS_CODE)
FOLDER = "folder"
REPOSITORY = "repository"
#: What a template version's paths are relative to (see the module's docstring).
LAYOUTS = (FOLDER, REPOSITORY)
#: The folder Pipelines-as-Code reads, and the default folder of a ``folder`` layout.
TEKTON_DIR = ".tekton"
#: Every template names its service and its namespace; both are checked as DNS-1123 labels.
REQUIRED_PARAMETERS = ("name", "namespace")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
#: A generated file's path: relative, '/'-separated; a part may start with '.' (``.tekton``)
#: but never be '.' or '..' (checked with :func:`out_path_ok`).
OUT_PATH = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]*(/[A-Za-z0-9._][A-Za-z0-9._-]*)*$")
#: The answers file's name (:mod:`.answers` re-exports it): no template may generate it.
ANSWERS_FILE = ".catalog-answers.yaml"


def out_path_ok(path: object) -> bool:
    """Whether ``path`` may name a generated file: relative, inside the folder, and not
    the answers file."""
    return (isinstance(path, str) and bool(OUT_PATH.fullmatch(path))
            and not any(part in (".", "..") for part in path.split("/")) and path != ANSWERS_FILE)


class TemplateSource(Resolvable, Protocol):
    """What scaffolding needs of a catalog: every ``sources.base.Catalog`` is one (see it
    for the contract). Named here, as scaffold works on what it is handed and does not
    import ``sources``: the template's entry, its manifest and files, and what resolving
    the template's dependencies needs."""

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry: ...

    def load_resource(self, entry: Entry) -> dict[str, Any]: ...

    def read_file(self, rel: str, digest: str | None) -> bytes: ...


@dataclass(frozen=True)
class Parameter:
    """One answer a template asks for, as its JSON Schema describes it."""

    name: str
    schema: dict[str, Any]
    required: bool

    @property
    def type(self) -> str:
        return str(self.schema.get("type") or "string")

    @property
    def description(self) -> str:
        return " ".join(str(self.schema.get("description") or "").split())

    @property
    def has_default(self) -> bool:
        return "default" in self.schema


@dataclass(frozen=True)
class TemplateFile:
    """A generated file: its path in the output folder and the source it comes from."""

    path: str
    source: str
    variants: tuple[str, ...]
    description: str = ""
    #: Where earlier versions wrote this file (paths as this version's layout reads them).
    previously: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """One version of a template, parsed and checked."""

    entry: Entry
    description: str
    schema: dict[str, Any]
    files: tuple[TemplateFile, ...]
    layout: str = FOLDER

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def version(self) -> str:
        return self.entry.version

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        return self.entry.dependencies

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        required = set(self.schema.get("required") or ())
        props = self.schema.get("properties") or {}
        return tuple(Parameter(k, v, k in required) for k, v in props.items())

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def files_for(self, variant: str) -> tuple[TemplateFile, ...]:
        return tuple(f for f in self.files if variant in f.variants)


def load(catalog: TemplateSource, name: str, version: str | None = None) -> Template:
    """The template ``name`` at ``version`` (newest stable when None) from ``catalog``."""
    entry = catalog.get(name, version, KIND)
    doc = catalog.load_resource(entry)
    return parse(entry, doc)


def parse(entry: Entry, doc: dict[str, Any]) -> Template:
    """Check a manifest's shape; every problem is an InputError naming the field."""
    where = entry.path
    if doc.get("kind") != KIND:
        raise InputError(f"expected kind {KIND}, found {doc.get('kind')!r}", where)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise InputError("spec must be a mapping", where)
    schema = _check_schema(spec.get("parameters"), f"{where}: spec.parameters")
    files = _files(spec.get("files"), entry, f"{where}: spec.files")
    layout = spec.get("layout", FOLDER)
    if layout not in LAYOUTS:
        raise InputError(f"spec.layout must be one of {', '.join(LAYOUTS)}, not {layout!r}", where)
    meta, _, _ = metadata(doc)
    if meta.get("name") != entry.name:
        raise InputError(f"metadata.name {meta.get('name')!r} differs from {entry.name!r}", where)
    return Template(entry, str(spec.get("description") or "").strip(), schema, files, layout)


def _check_schema(schema: Any, where: str) -> dict[str, Any]:
    import jsonschema

    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise InputError("must be a JSON Schema with type: object", where)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InputError(f"not a valid JSON Schema: {exc.message}", where) from exc
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        raise InputError("must declare its parameters under properties", where)
    for key, prop in props.items():
        if not _PARAM_NAME.match(key):
            raise InputError(f"parameter name {key!r} must be lower case letters, digits and '-'", where)
        if not isinstance(prop, dict) or prop.get("type") not in ("string", "integer", "boolean", "array"):
            raise InputError(f"parameter {key!r}: type must be string, integer, boolean or array", where)
        if prop["type"] == "array" and (prop.get("items") or {}).get("type") != "string":
            raise InputError(f"parameter {key!r}: an array must have items of type string", where)
    missing = [p for p in REQUIRED_PARAMETERS if p not in props]
    if missing:
        raise InputError(f"every template declares the parameters {', '.join(REQUIRED_PARAMETERS)}; "
                         f"missing: {', '.join(missing)}", where)
    if schema.get("additionalProperties") is not False:
        raise InputError("must say additionalProperties: false (unknown answers are typos)", where)
    return schema


def _files(items: Any, entry: Entry, where: str) -> tuple[TemplateFile, ...]:
    if not isinstance(items, list) or not items:
        raise InputError("must list the files to generate", where)
    shipped = {f.path for f in entry.files}
    base = entry.path.rsplit("/", 1)[0]
    out: list[TemplateFile] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise InputError("must be a mapping with path and source", at)
        path, source = item.get("path"), item.get("source")
        if not isinstance(path, str) or not out_path_ok(path):
            raise InputError(f"path {path!r} must be a relative path inside the output folder", at)
        if not isinstance(source, str) or f"{base}/{source}" not in shipped:
            raise InputError(f"source {source!r} is not a file of this template version", at)
        variants = item.get("variants", list(VARIANTS))
        if not isinstance(variants, list) or not variants or any(v not in VARIANTS for v in variants):
            raise InputError(f"variants must be a list of {', '.join(VARIANTS)}", at)
        for v in variants:
            if (path, v) in seen:
                raise InputError(f"{path} is generated twice in variant {v}", at)
            seen.add((path, v))
        before = item.get("previously", [])
        if not isinstance(before, list) or not all(out_path_ok(b) and b != path for b in before):
            raise InputError("previously must list the other relative paths the file had", at)
        out.append(TemplateFile(path, source, tuple(variants), str(item.get("description") or "").strip(),
                                tuple(before)))
    return tuple(out)


def read_source(catalog: TemplateSource, template: Template, file: TemplateFile) -> str:
    """The text of a source file, digest-checked against the index."""
    base = template.entry.path.rsplit("/", 1)[0]
    rel = f"{base}/{file.source}"
    digest = next((f.digest for f in template.entry.files if f.path == rel), None)
    data: bytes = catalog.read_file(rel, digest)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", rel) from exc


def source_documents(catalog: TemplateSource, template: Template, file: TemplateFile) -> list[Any]:
    base = template.entry.path.rsplit("/", 1)[0]
    rel = f"{base}/{file.source}"
    return yamlio.loads_all(read_source(catalog, template, file), rel)
