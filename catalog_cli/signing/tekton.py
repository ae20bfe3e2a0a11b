"""``tekton.dev/signature``: Tekton Pipelines' Trusted Resources signature of a v1 Task or
Pipeline, computed as Tekton computes it when it verifies a resolved resource.

What Tekton does (tektoncd/pipeline: ``pkg/reconciler/*/resources/*ref.go``,
``pkg/trustedresources/verify.go``, ``Checksum`` in ``pkg/apis/pipeline/v1``, and
``checksum.PrepareObjectMeta``), re-stated:

1. the resolved object is defaulted first (``SetDefaults``, since Tekton v0.59): a
   param's ``type`` from its properties or default (else ``string``), a result's
   ``type`` (``object`` with properties, else ``string``), properties' types
   (``string``), and a pipeline task's ``taskRef.kind`` (``Task``, unless it names a
   resolver);
2. its metadata is cut to name, generateName, namespace, labels and annotations, less
   ``tekton.dev/signature``, ``kubectl-client-side-apply`` and
   ``kubectl.kubernetes.io/last-applied-configuration``;
3. ``{kind, apiVersion: tekton.dev/v1, metadata, spec}`` goes through Go's
   ``json.Marshal`` (struct field order, ``omitempty``: :mod:`.tekton_types`,
   :mod:`.gojson`) and SHA-256 of those bytes is the checksum;
4. the annotation holds base64 (standard, padded) of a DER ECDSA signature over
   SHA-256 *of the checksum* (sigstore's verifier hashes the message it is handed).

Tekton releases up to v1.9 build with k8s.io/apimachinery older than 0.34, whose
``ObjectMeta`` writes ``"creationTimestamp":null``; from v1.10 it is left out. The
two give different checksums, so a signature is made for one or the other
(:class:`Serialisation`); :func:`verify` accepts either and says which.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..errors import InputError, SignatureError
from . import gojson
from .keys import PrivateKey, PublicKey
from .tekton_types import SCALARS, fields

SIGNATURE_ANNOTATION = "tekton.dev/signature"
#: Annotations Tekton leaves out of the checksum.
DROPPED_ANNOTATIONS = ("kubectl-client-side-apply", "kubectl.kubernetes.io/last-applied-configuration",
                       SIGNATURE_ANNOTATION)
API_VERSION = "tekton.dev/v1"
KINDS = {"Task": "TaskSpec", "Pipeline": "PipelineSpec"}
_OBJECT_META = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
                "ownerReferences", "finalizers", "managedFields"}
_ABSENT: Any = object()  # a key not in the mapping (Go keeps the zero value), unlike null


class Serialisation(Enum):
    """Which Tekton Pipelines releases a signature is for (their metadata differs)."""

    CURRENT = "v1.10 and later"
    BEFORE_1_10 = "v0.59 to v1.9"

    @classmethod
    def for_version(cls, version: str) -> Serialisation:
        """The serialisation Tekton Pipelines ``version`` (``1.9``, ``v0.62.3``) hashes."""
        parts = version.lstrip("v").split(".")
        try:
            major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
        except ValueError:
            raise InputError(f"{version!r} is not a Tekton Pipelines version (like 1.10 or v0.62)") from None
        if (major, minor) < (0, 59):
            raise InputError(f"Tekton Pipelines {version} hashes resources before defaulting them; "
                             "catalog signs for v0.59 and later")
        return cls.CURRENT if (major, minor) >= (1, 10) else cls.BEFORE_1_10


@dataclass(frozen=True)
class Verified:
    """A resource whose signature verified: by which key, for which Tekton releases."""

    kind: str
    name: str
    keyid: str
    serialisation: Serialisation


class _Refused(ValueError):
    """A field that cannot be serialised as Tekton would: (path, reason)."""


def _need(ok: bool, path: str, what: str) -> None:
    if not ok:
        raise _Refused(f"{path}: {what}")


def _string(data: object, path: str) -> str:
    _need(isinstance(data, str), path, f"expected a string, found {type(data).__name__} (quote it: Tekton "
          "would not decode it)")
    assert isinstance(data, str)
    _need("\b" not in data and "\f" not in data, path,
          "holds a backspace or form feed, which Go releases escape differently")
    try:
        return gojson.string(data)
    except ValueError as exc:
        raise _Refused(f"{path}: {exc}") from None


def _param_value(data: Any, path: str) -> str:
    if data is _ABSENT:
        raise _Refused(f"{path}: a value is required (Tekton cannot serialise a param without one)")
    if data is None:
        return '""'  # Go's ParamValue reads null as the empty string
    if isinstance(data, bool):
        return '"true"' if data else '"false"'
    if isinstance(data, int):
        return f'"{data}"'
    if isinstance(data, list):
        return "[" + ",".join(_string(v, f"{path}[{i}]") for i, v in enumerate(data)) + "]"
    if isinstance(data, dict):
        return "{" + ",".join(f"{_string(k, path)}:{_string(data[k], f'{path}.{k}')}" for k in sorted(data)) + "}"
    return _string(data, path)


def _omitted(data: Any, typ: str) -> bool:
    """Whether ``omitempty`` drops this value (never for a struct, as in Go)."""
    if data is _ABSENT or data is None:
        return typ[:1] == "*" or typ[:2] in ("[]", "{}") or typ in ("str", "bool", "int")
    if typ[:2] in ("[]", "{}"):
        return isinstance(data, (list, dict)) and not data
    return (typ == "str" and data == "") or (typ == "bool" and data is False) or (
        typ == "int" and data == 0 and not isinstance(data, bool))


def _encode(data: Any, typ: str, path: str) -> str:
    if typ[:1] == "*":
        return "null" if data is None or data is _ABSENT else _encode(data, typ[1:], path)
    if typ[:2] in ("[]", "{}"):
        if data is None or data is _ABSENT:
            return "null"
        if typ[:2] == "[]":
            _need(isinstance(data, list), path, f"expected a list, found {type(data).__name__}")
            return "[" + ",".join(_item(v, typ[2:], f"{path}[{i}]") for i, v in enumerate(data)) + "]"
        _need(isinstance(data, dict), path, f"expected a mapping, found {type(data).__name__}")
        _need(all(isinstance(k, str) for k in data), path, "has a key that is not a string")
        return "{" + ",".join(f"{_string(k, path)}:{_item(data[k], typ[2:], f'{path}.{k}')}"
                              for k in sorted(data)) + "}"
    if typ not in SCALARS:
        return _struct(data, typ, path)
    absent = data is None or data is _ABSENT
    if typ == "str":
        return '""' if absent else _string(data, path)
    if typ == "bool":
        _need(absent or isinstance(data, bool), path, "expected true or false")
        return "true" if data is True else "false"
    if typ in ("int", "intorstr"):
        if typ == "intorstr" and isinstance(data, str):
            return _string(data, path)
        _need(absent or (isinstance(data, int) and not isinstance(data, bool)), path, "expected an integer")
        return "0" if absent else str(data)
    if typ == "quantity":
        # A YAML number is read by Go as the JSON number it becomes: the same digits as
        # Python's repr for a float in plain notation (both are shortest round-trips).
        plain = isinstance(data, float) and "e" not in repr(data) and math.isfinite(data)
        _need(absent or plain or (isinstance(data, (str, int)) and not isinstance(data, bool)), path,
              "expected a quantity (a string like 500m or 1Gi)")
        try:
            return '"0"' if absent else gojson.quantity(str(data))
        except ValueError as exc:
            raise _Refused(f"{path}: {exc}") from None
    if typ == "duration":
        try:
            return gojson.duration(data if isinstance(data, str) else "")
        except ValueError as exc:
            raise _Refused(f"{path}: {exc}") from None
    if typ == "paramvalue":
        return _param_value(data, path)
    _need(absent, path, "a custom task's raw spec is not signed by catalog")  # rawext
    return "null"


def _item(data: Any, typ: str, path: str) -> str:
    _need(data is not None, path, "null items are not signed (Go would read a zero value)")
    return _encode(data, typ, path)


def _struct(data: Any, name: str, path: str) -> str:
    if data is None or data is _ABSENT:
        data = {}
    _need(isinstance(data, dict), path, f"expected a mapping ({name}), found {type(data).__name__}")
    known = fields(name)
    unknown = set(data) - {f.name for f in known}
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise _Refused(f"{path}.{key}: not a field of Tekton's {name}, or one catalog cannot sign "
                       "(Tekton would drop it, or hash it in a way not reproduced here)")
    out = []
    for f in known:
        value = data.get(f.name, _ABSENT)
        if f.omitempty and _omitted(value, f.type):
            continue
        out.append(f"{gojson.string(f.name)}:{_encode(value, f.type, f'{path}.{f.name}')}")
    return "{" + ",".join(out) + "}"


# -- SetDefaults, as Tekton v1 applies it before hashing --------------------------------

def _property_defaults(spec: dict[str, Any]) -> None:
    props = spec.get("properties")
    if isinstance(props, dict):
        for key, prop in props.items():
            if prop is None:
                props[key] = {"type": "string"}
            elif isinstance(prop, dict) and not prop.get("type"):
                prop["type"] = "string"


def _param_defaults(params: Any) -> None:
    for p in params if isinstance(params, list) else []:
        if not isinstance(p, dict):
            continue
        default = p.get("default")
        if not p.get("type"):
            if p.get("properties") is not None:
                p["type"] = "object"
            elif isinstance(default, list) and all(isinstance(v, str) for v in default):
                p["type"] = "array"
            elif isinstance(default, dict) and all(isinstance(v, str) for v in default.values()):
                p["type"] = "object"
            else:
                p["type"] = "string"
        _property_defaults(p)


def _task_spec_defaults(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    _param_defaults(spec.get("params"))
    results = spec.get("results")
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict):
            if not result.get("type"):
                result["type"] = "object" if result.get("properties") is not None else "string"
            _property_defaults(result)


def _pipeline_spec_defaults(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    _param_defaults(spec.get("params"))
    tasks = [t for key in ("tasks", "finally") if isinstance(spec.get(key), list) for t in spec[key]]
    for task in tasks:
        if not isinstance(task, dict):
            continue
        ref = task.get("taskRef")
        if isinstance(ref, dict) and not ref.get("kind") and not ref.get("resolver"):
            ref["kind"] = "Task"
        _task_spec_defaults(task.get("taskSpec"))


# -- the checksum, the signature, and verification --------------------------------------

def describe(doc: Any) -> str:
    """``Kind/name`` of a document, for messages."""
    if not isinstance(doc, dict):
        return "a document that is not a mapping"
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{doc.get('kind', '?')}/{name or '?'}"


def check_kind(doc: Any, where: str) -> str:
    """The kind of a v1 Task or Pipeline; one line refusing anything else."""
    if not isinstance(doc, dict) or doc.get("apiVersion") != API_VERSION or doc.get("kind") not in KINDS:
        what = f"{doc.get('apiVersion')} {doc.get('kind')}" if isinstance(doc, dict) else "not a mapping"
        raise InputError(f"{describe(doc)} is {what}: catalog signs {API_VERSION} Task and Pipeline only", where)
    return str(doc["kind"])


def _metadata(meta: Any, serialisation: Serialisation) -> str:
    _need(isinstance(meta, dict), "metadata", "expected a mapping with at least a name")
    unknown = sorted(set(meta) - _OBJECT_META)
    _need(not unknown, f"metadata.{unknown[0] if unknown else ''}", "not a field of Kubernetes' ObjectMeta")
    out = [f"{gojson.string(k)}:{_string(meta[k], f'metadata.{k}')}"
           for k in ("name", "generateName", "namespace") if meta.get(k) not in (None, "")]
    if serialisation is Serialisation.BEFORE_1_10:
        out.append('"creationTimestamp":null')
    annotations = meta.get("annotations") or {}
    _need(isinstance(annotations, dict), "metadata.annotations", "expected a mapping")
    kept = {k: v for k, v in annotations.items() if k not in DROPPED_ANNOTATIONS}
    for key, value in (("labels", meta.get("labels")), ("annotations", kept)):
        if not _omitted(value, "{}str"):
            out.append(f'"{key}":{_encode(value, "{}str", f"metadata.{key}")}')
    return "{" + ",".join(out) + "}"


def canonical_json(doc: Any, where: str, serialisation: Serialisation = Serialisation.CURRENT) -> bytes:
    """The bytes Tekton hashes for ``doc`` (a parsed v1 Task or Pipeline)."""
    kind = check_kind(doc, where)
    unknown = sorted(set(doc) - {"apiVersion", "kind", "metadata", "spec"})
    spec = copy.deepcopy(doc.get("spec"))
    (_task_spec_defaults if kind == "Task" else _pipeline_spec_defaults)(spec)
    try:
        _need(not unknown, unknown[0] if unknown else "", f"not a field of a Tekton {kind}")
        text = (f'{{"kind":"{kind}","apiVersion":"{API_VERSION}","metadata":'
                f'{_metadata(doc.get("metadata"), serialisation)},"spec":{_struct(spec, KINDS[kind], "spec")}}}')
    except _Refused as exc:
        raise InputError(f"{describe(doc)}: {exc}", where) from None
    return text.encode("utf-8")


def checksum(doc: Any, where: str, serialisation: Serialisation = Serialisation.CURRENT) -> bytes:
    """SHA-256 of :func:`canonical_json`: what Tekton's ``Checksum()`` returns."""
    return hashlib.sha256(canonical_json(doc, where, serialisation)).digest()


def signature(doc: Any, key: PrivateKey, where: str, serialisation: Serialisation = Serialisation.CURRENT) -> str:
    """The value of ``tekton.dev/signature`` for ``doc`` signed by ``key``."""
    return base64.b64encode(key.sign(checksum(doc, where, serialisation))).decode("ascii")


def verify(doc: Any, trusted: Sequence[PublicKey], where: str) -> Verified:
    """Check ``doc``'s ``tekton.dev/signature`` against ``trusted`` keys, for either
    serialisation; a :class:`SignatureError` (``unsigned``, ``malformed`` or
    ``bad-signature``) naming the object otherwise."""
    kind, label = check_kind(doc, where), describe(doc)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    annotations = meta.get("annotations")
    value = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        raise SignatureError(f"{label} has no {SIGNATURE_ANNOTATION} annotation", where, reason="unsigned")
    try:
        sig = base64.b64decode(value if isinstance(value, str) else "?", validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{label}: {SIGNATURE_ANNOTATION} is not base64", where, reason="malformed") from None
    for serialisation in Serialisation:
        digest = checksum(doc, where, serialisation)
        for key in trusted:
            if key.verify(sig, digest):
                return Verified(kind, str(meta.get("name") or ""), key.keyid, serialisation)
    keyids = ", ".join(k.keyid for k in trusted)
    raise SignatureError(f"{label}: the signature does not verify with {keyids}: the resource changed after "
                         "signing, or another key signed it", where, reason="bad-signature")
