"""Pieces of Tekton's validation that tasks, pipelines and runs share: types, refs, ``when``.

Mirrors ``ParamValue.UnmarshalJSON`` and ``ParamSpec.SetDefaults`` (param_types.go),
``validateRef`` (container_validation.go), ``WhenExpression`` validation
(when_validation.go) and workspace bindings (workspace_validation.go).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .model import Issue, JsonPath, items, mapping, text

_URL_LIKE = re.compile(r"[\w-]+://*")
#: Kubernetes' qualified name: an optional DNS-subdomain prefix and a name of at most 63.
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_WHEN_OPERATORS = ("in", "notin")
_VOLUME_SOURCES = ("persistentVolumeClaim", "volumeClaimTemplate", "emptyDir", "configMap", "secret", "projected", "csi")
_DURATION = re.compile(r"^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def tekton_type(value: object) -> str:
    """The type Tekton gives a param value: a list of strings is an array, a mapping of
    strings an object, and anything else, even ``true``, ``1000`` or ``[1, 2]``, a string."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "array"
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return "object"
    return "string"


def param_type(decl: Mapping[str, Any]) -> str:
    """A param declaration's type after Tekton's defaulting (``ParamSpec.SetDefaults``)."""
    declared = decl.get("type")
    if isinstance(declared, str) and declared:
        return declared
    if decl.get("properties") is not None:
        return "object"
    default = decl.get("default")
    return "string" if default is None else tekton_type(default)


def check_ref(ref: Mapping[str, Any], path: JsonPath, what: str) -> Iterator[Issue]:
    """``validateRef``: a name, or a resolver with params; never both, never neither."""
    name, resolver, params = text(ref.get("name")), text(ref.get("resolver")), ref.get("params")
    if resolver or params is not None:
        if params is not None:
            if name:
                yield Issue("invalid-ref", (*path, "name"), f"{what}: a ref takes a name or resolver params, not both")
            if not resolver:
                yield Issue("invalid-ref", path, f"{what}: ref params need a resolver")
            yield from duplicate_params(list(items(ref, "params", path)), what)
        if resolver and name:
            if _URL_LIKE.search(name):
                yield Issue("alpha-feature", (*path, "name"), f"{what}: a URL as ref name needs the enable-concise-resolver-syntax feature flag")
            else:
                yield Issue("invalid-ref", (*path, "name"), f"{what}: with a resolver, the ref name must be a URL (or use params)")
    elif name:
        if _URL_LIKE.search(name):
            yield Issue("alpha-feature", (*path, "name"), f"{what}: a URL as ref name needs the enable-concise-resolver-syntax feature flag")
            yield Issue("invalid-ref", path, f"{what}: a URL ref name needs a resolver")
        elif "$(" not in name and not _QUALIFIED.match(name):
            yield Issue("invalid-ref", (*path, "name"), f"{what}: ref name '{name}' is not a valid Kubernetes name")
    elif "bundle" not in ref:
        yield Issue("invalid-ref", path, f"{what}: ref has no name and no resolver")


def duplicate_params(params: list[tuple[JsonPath, Mapping[str, Any]]], what: str, *, fold_case: bool = False) -> Iterator[Issue]:
    """Params passed twice in one list (``validateDuplicateParameters``, ``ValidateParameters``)."""
    seen: set[str] = set()
    for path, param in params:
        name = text(param.get("name"))
        key = name.lower() if fold_case else name
        if key in seen:
            yield Issue("duplicate-name", (*path, "name"), f"{what} passes param '{name}' twice")
        seen.add(key)


def check_when(when: list[Any], path: JsonPath, what: str) -> Iterator[Issue]:
    """Each ``when`` expression: in or notin with values, or (alpha) a CEL expression alone."""
    for wpath, expr in items({"when": when}, "when", path[:-1]):
        if expr.get("cel"):
            yield Issue("alpha-feature", (*wpath, "cel"), f"{what}: CEL in when needs the enable-cel-in-whenexpression feature flag")
            if expr.get("input") or expr.get("operator") or expr.get("values"):
                yield Issue("invalid-when", wpath, f"{what}: a when expression takes cel or input/operator/values, not both")
            continue
        if not any(expr.get(k) for k in ("input", "operator", "values")):
            yield Issue("invalid-when", wpath, f"{what}: an empty when expression")
            continue
        operator = expr.get("operator")
        if operator not in _WHEN_OPERATORS:
            yield Issue("invalid-when", (*wpath, "operator"), f"{what}: when operator {operator!r} is not in or notin")
        elif not expr.get("values"):
            yield Issue("invalid-when", wpath, f"{what}: a when expression needs values")
    for i, expr in enumerate(when):
        if not isinstance(expr, Mapping):
            yield Issue("invalid-when", (*path, i), f"{what}: a when expression must be a mapping")


def check_bindings(bindings: Iterable[tuple[JsonPath, Mapping[str, Any]]], what: str) -> Iterator[Issue]:
    """A run's workspace bindings: exactly one volume source each, names unique (any case)."""
    seen: set[str] = set()
    for path, binding in bindings:
        name = text(binding.get("name"))
        if name.lower() in seen:
            yield Issue("duplicate-name", (*path, "name"), f"{what} binds workspace '{name}' twice")
        seen.add(name.lower())
        sources = [k for k in _VOLUME_SOURCES if binding.get(k) is not None]
        if len(sources) != 1:
            how = "none" if not sources else " and ".join(sources)
            yield Issue("invalid-workspace-binding", path, f"{what}: workspace '{name}' needs exactly one volume source, has {how}")
            continue
        source = mapping(binding.get(sources[0]))
        needed = {"persistentVolumeClaim": "claimName", "configMap": "name", "secret": "secretName", "csi": "driver"}.get(sources[0])
        if needed and not source.get(needed):
            yield Issue("invalid-workspace-binding", (*path, sources[0]), f"{what}: workspace '{name}': {sources[0]} needs {needed}")
        if sources[0] == "projected" and not source.get("sources"):
            yield Issue("invalid-workspace-binding", (*path, sources[0]), f"{what}: workspace '{name}': projected needs sources")


def duration(value: object) -> float | None:
    """Seconds in a Go duration (``1h30m``, ``-5s``, ``0``), or None when it is not one."""
    if not isinstance(value, str):
        return None
    if value in ("0", "-0", "+0"):
        return 0.0
    m = _DURATION.match(value)
    if m is None:
        return None
    total = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
    return -total if m.group(1) == "-" else total
