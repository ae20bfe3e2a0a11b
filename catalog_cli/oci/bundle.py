"""The Tekton bundle format, over the registry edge in :mod:`.registry`.

A Tekton bundle is an OCI image whose layers each hold one resource: a gzipped tar
of one file with the resource's YAML, annotated ``dev.tekton.image.apiVersion``,
``dev.tekton.image.kind`` (lower case) and ``dev.tekton.image.name``; at most 20
layers (the bundles resolver's contract). ``publish`` pushes each resource version
of a catalog as ``REGISTRY/REPO/NAME:VERSION``; ``pull`` fetches one back with every
blob checked against its digest (:func:`catalog_cli.sources.bundle.open_bundle` makes
it a catalog that ``install`` can use).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import PREFIX, yamlio
from ..errors import InputError
from ..model import Entry
from ..settings import Settings
from .registry import ImageRef, client, fetch_blob, fetch_manifest, parse_ref
from .registry import push as push_image

if TYPE_CHECKING:
    from ..sources.base import Catalog  # sources/bundle.py imports this module

ANNOTATION_API_VERSION = "dev.tekton.image.apiVersion"
ANNOTATION_KIND = "dev.tekton.image.kind"
ANNOTATION_NAME = "dev.tekton.image.name"
MAX_LAYERS = 20
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
RBAC_ANNOTATION = f"{PREFIX}/rbac"
DIGEST_ANNOTATION = f"{PREFIX}/digest"
MAX_LAYER_BYTES = 4 * 1024 * 1024
#: A layer's tar around its one file: headers, padding, the end-of-archive blocks
#: (tarfile pads to 10 KiB records).
LAYER_SLACK = 64 * 1024


# -- layers ------------------------------------------------------------------------------
def layer_bytes(filename: str, data: bytes) -> tuple[bytes, str]:
    """A gzipped tar of one file, reproducible (no times, no owners); and its diff id."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(filename)
        info.size, info.mode, info.mtime = len(data), 0o644, 0
        tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), "sha256:" + hashlib.sha256(raw).hexdigest()


def read_layer(blob: bytes, where: str) -> bytes:
    """The one file of a bundle layer (gzipped or plain tar), within the size limit:
    measured as it decompresses, headers checked before tarfile reads them (see
    :mod:`catalog_cli.archives`), so a small blob cannot expand into gigabytes."""
    from ..archives import Inflating, open_tar_stream

    data, files = b"", 0
    try:
        raw = Inflating(io.BytesIO(blob), MAX_LAYER_BYTES + LAYER_SLACK, where)
        with open_tar_stream(raw, where) as tar:
            for member in tar:
                if member.isreg():
                    files += 1
                    f = tar.extractfile(member)
                    if files == 1 and f is not None:
                        data = f.read()
    except tarfile.TarError as exc:
        raise InputError(f"layer is not a tar archive: {exc}", where) from exc
    if files != 1:
        raise InputError(f"a bundle layer holds one file, this one {files}", where)
    return data


@dataclass(frozen=True)
class BundleLayer:
    """One resource to put in a bundle: its file's bytes and what the layer says of it."""

    data: bytes
    api_version: str
    kind: str
    name: str


def resource_of(data: bytes, where: str) -> BundleLayer:
    docs = yamlio.loads_all(data.decode("utf-8"), where)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise InputError("a bundle layer holds exactly one Tekton resource", where)
    doc = docs[0]
    name = (doc.get("metadata") or {}).get("name")
    if not doc.get("apiVersion") or not doc.get("kind") or not name:
        raise InputError("a resource needs apiVersion, kind and metadata.name", where)
    return BundleLayer(data, str(doc["apiVersion"]), str(doc["kind"]), str(name))


def push_bundle(ref: ImageRef, resources: list[BundleLayer], annotations: dict[str, str] | None = None,
                *, insecure: bool = False, settings: Settings | None = None) -> str:
    """Push one bundle (one layer per resource); returns its manifest digest. ``settings``
    gives the registry client its timeouts and retries (default: theirs)."""
    import tempfile
    from pathlib import Path

    if not resources:
        raise InputError("nothing to put in the bundle", str(ref))
    if len(resources) > MAX_LAYERS:
        raise InputError(f"a Tekton bundle holds at most {MAX_LAYERS} resources, not {len(resources)}", str(ref))
    seen = set()
    for r in resources:
        key = (r.api_version, r.kind.lower(), r.name)
        if key in seen:
            raise InputError(f"two {r.kind}s named {r.name} in one bundle", str(ref))
        seen.add(key)
    reg = client(ref, insecure, settings)
    with tempfile.TemporaryDirectory(prefix="catalog-bundle-") as tmp:
        files, per_layer, diff_ids = [], {}, []
        for i, r in enumerate(resources):
            blob, diff_id = layer_bytes(r.name, r.data)
            path = Path(tmp) / f"{i:02d}-{r.kind.lower()}-{r.name}.tar.gz"
            path.write_bytes(blob)
            files.append(f"{path}:{LAYER_MEDIA_TYPE}")
            per_layer[str(path)] = {ANNOTATION_API_VERSION: r.api_version,
                                    ANNOTATION_KIND: r.kind.lower(), ANNOTATION_NAME: r.name}
            diff_ids.append(diff_id)
        per_layer["$manifest"] = dict(annotations or {})
        ann = Path(tmp) / "annotations.json"
        ann.write_text(json.dumps(per_layer))
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"architecture": "", "os": "", "config": {},
                                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}))
        return push_image(reg, ref, files, f"{config}:{CONFIG_MEDIA_TYPE}", str(ann))


# -- publishing a catalog -------------------------------------------------------------------
@dataclass(frozen=True)
class Pushed:
    name: str
    kind: str
    version: str
    ref: str
    digest: str


def publish(catalog: Catalog, target: str, names: list[str], *, all_versions: bool = False,
            insecure: bool = False, on_push: Callable[[Pushed], None] | None = None,
            settings: Settings | None = None) -> list[Pushed]:
    """Push each chosen entry as ``TARGET/NAME:VERSION``, one resource per bundle.

    The file pushed is the catalog's own (digest-checked on read), so the layer holds
    the bytes whose sha256 the index names; the manifest carries that digest and the
    entry's RBAC rules as annotations."""
    base = parse_ref(target, need_tag=False)
    if base.tag or base.digest:
        raise InputError("--oci takes REGISTRY/REPOSITORY; tags are the versions", target)
    entries: list[Entry] = []
    for name in names or catalog.names():
        for kind in catalog.kinds(name):
            items = catalog.versions(name, kind)
            entries += list(items) if all_versions else [catalog.get(name, None, kind)]
    out = []
    for e in entries:
        data = catalog.read_file(e.path, e.digest)
        res = resource_of(data, e.path)
        ref = ImageRef(base.registry, f"{base.repository}/{e.name}", e.version)
        annotations = {
            "org.opencontainers.image.title": e.name,
            "org.opencontainers.image.version": e.version,
            "org.opencontainers.image.description": e.description,
            DIGEST_ANNOTATION: e.digest,
            RBAC_ANNOTATION: json.dumps([r.to_dict() for r in e.rbac], separators=(",", ":")),
        }
        digest = push_bundle(ref, [res], annotations, insecure=insecure, settings=settings)
        pushed = Pushed(e.name, e.kind, e.version, str(ref), digest)
        if on_push:
            on_push(pushed)
        out.append(pushed)
    return out


# -- pulling -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    api_version: str
    kind: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Bundle:
    ref: ImageRef  # with the manifest digest
    annotations: dict[str, str]
    layers: tuple[Layer, ...]


def pull(text: str, *, insecure: bool = False, settings: Settings | None = None) -> Bundle:
    """Fetch a bundle: the manifest, then each layer, each checked against its digest."""
    ref = parse_ref(text)
    reg = client(ref, insecure, settings)
    body, digest = fetch_manifest(reg, ref)
    manifest = json.loads(body)
    layers = []
    for i, layer in enumerate(manifest.get("layers") or []):
        ann = layer.get("annotations") or {}
        where = f"{ref} layer {i}"
        if not all(ann.get(k) for k in (ANNOTATION_API_VERSION, ANNOTATION_KIND, ANNOTATION_NAME)):
            raise InputError("layer lacks the dev.tekton.image.* annotations: not a Tekton bundle", where)
        size = layer.get("size")
        if not isinstance(size, int) or size < 0:
            raise InputError("layer has no size in the manifest", where)
        if size > MAX_LAYER_BYTES:
            raise InputError(f"layer is over {MAX_LAYER_BYTES:,} bytes", where)
        blob = fetch_blob(reg, ref, layer["digest"], size, where)
        layers.append(Layer(ann[ANNOTATION_API_VERSION], ann[ANNOTATION_KIND], ann[ANNOTATION_NAME],
                            read_layer(blob, where)))
    if not layers:
        raise InputError("bundle has no layers", str(ref))
    return Bundle(ref.with_digest(digest), dict(manifest.get("annotations") or {}), tuple(layers))


# -- rendering pipelines against bundles ------------------------------------------------------
def bundle_task_refs(objects: list[dict[str, Any]], base: str,
                     keep: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Pipelines whose ``taskRef: {name: X}`` become ``resolver: bundles`` references to
    ``BASE/X:VERSION``, X's version being the one rendered beside it (its version label);
    the Tasks so referenced, or already fetched from ``BASE/X`` by the bundles resolver
    (and their ServiceAccount, Role and RoleBinding), are left out unless named in ``keep``."""
    from ..refs import ResolverRef, parse_ref as parse_task_ref
    import copy

    from ..manifests import PACKAGE_LABEL
    from ..model import VERSION_LABEL

    versions_of = {}
    for o in objects:
        labels = (o.get("metadata") or {}).get("labels") or {}
        if o.get("kind") == "Task" and labels.get(PACKAGE_LABEL) and labels.get(VERSION_LABEL):
            versions_of[str(labels[PACKAGE_LABEL])] = str(labels[VERSION_LABEL])
    target = parse_ref(base, need_tag=False)
    if target.tag or target.digest:
        raise InputError("--bundles takes REGISTRY/REPOSITORY; tags are the versions", base)
    via_bundle: set[str] = set()
    out = []
    for obj in objects:
        if obj.get("kind") != "Pipeline":
            out.append(obj)
            continue
        obj = copy.deepcopy(obj)
        spec = obj.get("spec") or {}
        for task in [*(spec.get("tasks") or []), *(spec.get("finally") or [])]:
            ref = task.get("taskRef") if isinstance(task, dict) else None
            fetched = parse_task_ref(ref, "Task")
            if (isinstance(fetched, ResolverRef) and fetched.resolver == "bundles" and fetched.image
                    and fetched.image.base == f"{target.registry}/{target.repository}/{fetched.name}"):
                via_bundle.add(fetched.name)
            name = ref.get("name") if isinstance(ref, dict) else None
            if (not isinstance(ref, dict) or name not in versions_of or ref.get("resolver")
                    or ref.get("kind") not in (None, "Task")):
                continue
            bundle = f"{target.registry}/{target.repository}/{name}:{versions_of[name]}"
            task["taskRef"] = {"resolver": "bundles", "params": [
                {"name": "bundle", "value": bundle}, {"name": "name", "value": name},
                {"name": "kind", "value": "task"}]}
            via_bundle.add(name)
        out.append(obj)
    dropped = via_bundle - keep
    pipelines = {(o.get("metadata") or {}).get("name") for o in out if o.get("kind") == "Pipeline"}

    def replaced(obj: dict[str, Any]) -> bool:
        pkg = ((obj.get("metadata") or {}).get("labels") or {}).get(PACKAGE_LABEL)
        return (obj.get("kind") in ("Task", "ServiceAccount", "Role", "RoleBinding")
                and pkg in dropped and pkg not in pipelines)

    return [o for o in out if not replaced(o)]
