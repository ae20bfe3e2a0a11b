"""The ``schema`` rule: validation against JSON Schemas generated from Tekton's CRDs.

The schemas live in ``catalog_cli/schemas/`` (written by ``scripts/gen_schemas.py``;
a test keeps them equal to a fresh generation). Each is compiled once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources as importlib_resources
from typing import TYPE_CHECKING, Any

from .model import Issue, LintContext, Resource

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

#: (kind, version) pairs that have a schema; the file is ``<kind>.<version>.json``.
SCHEMAS = frozenset(
    {("Task", "v1"), ("Task", "v1beta1"), ("Pipeline", "v1"), ("Pipeline", "v1beta1"),
     ("StepAction", "v1alpha1"), ("StepAction", "v1beta1"), ("TaskRun", "v1"), ("TaskRun", "v1beta1"),
     ("PipelineRun", "v1"), ("PipelineRun", "v1beta1")}
)
#: Errors reported per object; past this the object is wrong throughout and more is noise.
MAX_ERRORS = 20


def load_schema(kind: str, version: str) -> dict[str, Any]:
    """The generated JSON Schema of one kind and version."""
    name = f"{kind.lower()}.{version}.json"
    text = (importlib_resources.files("catalog_cli") / "schemas" / name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator(kind: str, version: str) -> Validator:
    """A jsonschema validator, built on first use and kept for the process."""
    from jsonschema import Draft202012Validator  # lazily: only invalid objects need it

    return Draft202012Validator(load_schema(kind, version))


@cache
def fast_validator(kind: str, version: str) -> Callable[[Any], bool]:
    """A yes/no validator compiled to closures: about ten times jsonschema's speed.

    Most objects are valid, so this answers for them; jsonschema runs only on the
    invalid ones, to say what is wrong. The generated schemas use few keywords
    (see :data:`_KEYWORDS`); a schema with any other falls back to jsonschema.
    """
    schema = load_schema(kind, version)
    try:
        return _compile(schema)
    except _Unsupported:
        return validator(kind, version).is_valid


def check_schema(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    """Validate ``res`` against the schema of its kind and apiVersion."""
    if (res.kind, res.version) not in SCHEMAS or not res.api_version.startswith("tekton.dev/"):
        return
    if fast_validator(res.kind, res.version)(res.data):
        return
    errors = validator(res.kind, res.version).iter_errors(res.data)
    for n, err in enumerate(sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])):
        if n == MAX_ERRORS:
            yield Issue("schema", (), f"more schema errors not shown (first {MAX_ERRORS} reported)")
            return
        path = tuple(err.absolute_path)
        if _filled_in(err, path):
            continue
        where = ".".join(str(p) for p in path) or "(top level)"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            # Point at the unexpected key itself, one per key.
            # jsonschema types a subschema as possibly a boolean; this one has properties.
            allowed = err.schema.get("properties", {}) if isinstance(err.schema, Mapping) else {}
            folded = {str(k).lower() for k in allowed} if _decoded_by_webhook(path) else set()
            for key in err.instance:
                if key not in allowed and str(key).lower() not in folded:
                    yield Issue("schema", (*path, key), f"{where}: unknown field '{key}'")
            continue
        yield Issue("schema", path, f"{where}: {_message(err)}")


def _decoded_by_webhook(path: tuple[str | int, ...]) -> bool:
    """Whether ``path`` lies in an inline spec the CRD leaves open (a Pipeline's taskSpec, a
    run's taskSpec or pipelineSpec): there the API server keeps every field, and Tekton's
    webhook decodes them with Go's encoding/json, which matches field names without regard
    to case (``mountpath`` is ``mountPath``) and refuses only names that match none."""
    return "taskSpec" in path or "pipelineSpec" in path


def _filled_in(err: ValidationError, path: tuple[str | int, ...]) -> bool:
    """An error said elsewhere, or a ``required`` field the API server will find there
    anyway: Tekton's defaulting webhook, which runs before the CRD schema is checked,
    writes every field its Go
    types do not mark omitempty (a step's ``name: ""``), so only metadata.name, which
    no webhook fills, is really required. A missing name that matters (a param's) is
    reported by the rules of the webhook itself."""
    if path == ("metadata",) and err.validator == "type":
        return True  # metadata that is no mapping: the metadata check says so, once
    return err.validator == "required" and path != ("metadata",)


def _message(err: ValidationError) -> str:
    if err.validator == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {expected}, got {_describe(err.instance)}"
    if err.validator == "required":
        return str(err.message).replace(" is a required property", " is required")
    if err.validator == "enum" and isinstance(err.validator_value, list):  # an enum is a list
        return f"{err.instance!r} is not one of {', '.join(map(repr, err.validator_value))}"
    return str(err.message)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# --- the fast validator ----------------------------------------------------------------

_KEYWORDS = frozenset({"type", "properties", "additionalProperties", "required", "items", "pattern"})
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description"})


class _Unsupported(Exception):
    """The schema uses a keyword the fast validator does not implement."""


def _type_ok(value: object, types: frozenset[str]) -> bool:
    if value is True or value is False:
        return "boolean" in types
    if isinstance(value, int):
        return "integer" in types or "number" in types
    if isinstance(value, float):
        return "number" in types or ("integer" in types and value.is_integer())
    if isinstance(value, str):
        return "string" in types
    if isinstance(value, dict):
        return "object" in types
    if isinstance(value, list):
        return "array" in types
    return value is None and "null" in types


def _compile(schema: Any) -> Callable[[Any], bool]:
    """One JSON Schema node as a function value → valid? (Draft 2020-12 semantics)."""
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict) or set(schema) - _KEYWORDS - _ANNOTATIONS:
        raise _Unsupported(schema)
    raw_type = schema.get("type")
    types = frozenset([raw_type] if isinstance(raw_type, str) else raw_type or ())
    props = {k: _compile(v) for k, v in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    extra_fn = None if extra is True else _compile(extra)
    closed = extra is False
    required = tuple(schema.get("required", ()))
    items = _compile(schema["items"]) if "items" in schema else None
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

    def check(value: Any) -> bool:
        if types and not _type_ok(value, types):
            return False
        if isinstance(value, dict):
            for key in required:
                if key not in value:
                    return False
            for key, child in value.items():
                fn = props.get(key)
                if fn is not None:
                    if not fn(child):
                        return False
                elif closed or (extra_fn is not None and not extra_fn(child)):
                    return False
        elif isinstance(value, list):
            if items is not None:
                for child in value:
                    if not items(child):
                        return False
        elif isinstance(value, str) and pattern is not None and not pattern.search(value):
            return False
        return True

    return check
