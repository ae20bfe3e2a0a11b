"""The Tekton bundle format, over the registry edge in :mod:`.registry`.

A Tekton bundle is an image whose layers each hold one Tekton resource (a Task, a
Pipeline, a StepAction), annotated ``dev.tekton.image.apiVersion``,
``dev.tekton.image.kind`` (lower case) and ``dev.tekton.image.name``; at most 20
layers (Tekton's bundle contract, docs/tekton-bundle-contracts.md).

``publish`` pushes each Tekton resource version of a catalog as
``REGISTRY/REPO/NAME:VERSION``: OCI media types, a gzipped tar of one file with the
catalog's own YAML bytes per layer. Templates are not Tekton resources: they are left
out, and said so (:class:`Published`); a catalog's templates travel as the catalog
itself (index.yaml over HTTP, or ``mirror export``).

``pull`` fetches one back with every blob checked against its digest, and reads what
Tekton's bundles resolver reads (pkg/remote/oci, pkg/resolution/resolver/bundle):

- OCI or Docker media types (``tkn bundle push`` writes Docker's);
- a layer that is a tar of one file, or, failing that, the layer's own bytes
  ("raw"), either of them gzipped or not;
- YAML or JSON documents (``tkn bundle push`` writes JSON);
- ``dev.tekton.image.apiVersion`` as the resource's apiVersion (the contract) or as
  its version alone (what ``tkn bundle push`` writes, ``v1``).

Each layer's document must be what its annotations say. :func:`catalog_cli.sources.bundle.open_bundle`
makes a pulled bundle a catalog that ``install`` can use.
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
from .registry import ImageRef, Registry, client, fetch_blob, fetch_manifest, parse_ref
from .registry import push as push_image

if TYPE_CHECKING:
    from ..signing.keys import PrivateKey
    from ..sources.base import Catalog  # sources/bundle.py imports this module

ANNOTATION_API_VERSION = "dev.tekton.image.apiVersion"
ANNOTATION_KIND = "dev.tekton.image.kind"
ANNOTATION_NAME = "dev.tekton.image.name"
MAX_LAYERS = 20
#: What a Tekton bundle may hold (the contract: "Only Tekton CRDs").
BUNDLE_KINDS = ("Task", "Pipeline", "StepAction")
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
    """The resource of a bundle layer: the one file of a tar, or (as Tekton's resolver
    falls back to) the layer's own bytes when they are no tar; either gzipped or plain.
    Within the size limit: measured as it decompresses, tar headers checked before
    tarfile reads them (see :mod:`catalog_cli.archives`), so a small blob cannot expand
    into gigabytes."""
    from ..archives import Inflating, open_tar_stream

    head = _head(Inflating(io.BytesIO(blob), MAX_LAYER_BYTES + LAYER_SLACK, where), tarfile.BLOCKSIZE)
    if not _is_tar(head):
        return Inflating(io.BytesIO(blob), MAX_LAYER_BYTES, where).read()
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


def _head(stream: io.RawIOBase, size: int) -> bytes:
    """The first ``size`` bytes of ``stream`` (fewer at its end)."""
    out = b""
    while len(out) < size:
        chunk = stream.read(size - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _is_tar(head: bytes) -> bool:
    """Whether a layer starting with ``head`` is a tar: a whole header block whose
    checksum holds (a YAML or JSON document never has one), or the zero block of an
    empty tar."""
    if len(head) < tarfile.BLOCKSIZE:
        return False
    if not head.strip(b"\0"):
        return True
    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


@dataclass(frozen=True)
class BundleLayer:
    """One resource to put in a bundle: its file's bytes and what the layer says of it."""

    data: bytes
    api_version: str
    kind: str
    name: str


def resource_of(data: bytes, where: str) -> BundleLayer:
    """The one resource ``data`` holds (YAML or JSON), and what it is."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"a bundle layer holds a YAML or JSON document; this one is not UTF-8 text "
                         f"(byte {exc.start})", where) from exc
    docs = yamlio.loads_all(text, where)
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
    #: Where its cosign signature was pushed (``REPO:sha256-<hex>.sig``), and by which key.
    signature: str | None = None
    signed_by: str | None = None


#: Why a Template is not pushed (a note when publishing everything; an error when named).
NOT_A_BUNDLE = ("a Tekton bundle holds only Tasks, Pipelines and StepActions; publish templates as a "
                "catalog (index.yaml on a web server, or catalog mirror export)")


@dataclass(frozen=True)
class Skipped:
    """An entry ``publish`` left out: not a Tekton kind."""

    name: str
    kind: str
    version: str


@dataclass
class Published:
    pushed: list[Pushed]
    skipped: list[Skipped]

    @property
    def note(self) -> str:
        """One line on what was left out and why; empty when nothing was."""
        if not self.skipped:
            return ""
        what = ", ".join(sorted({f"{s.kind.lower()}/{s.name}" for s in self.skipped}))
        return f"not pushed: {what}: {NOT_A_BUNDLE}"


def publish(catalog: Catalog, target: str, names: list[str], *, all_versions: bool = False,
            insecure: bool = False, on_push: Callable[[Pushed], None] | None = None,
            settings: Settings | None = None, sign: PrivateKey | None = None) -> Published:
    """Push each chosen Task, Pipeline and StepAction as ``TARGET/NAME:VERSION``, one
    resource per bundle; other kinds (templates) are left out, or refused when named.

    The file pushed is the catalog's own (digest-checked on read), so the layer holds
    the bytes whose sha256 the index names; the manifest carries that digest and the
    entry's RBAC rules as annotations. With ``sign``, each bundle's digest is signed as
    ``cosign sign --key`` does, right after it is pushed (:mod:`.signatures`)."""
    base = parse_ref(target, need_tag=False)
    if base.tag or base.digest:
        raise InputError("--oci takes REGISTRY/REPOSITORY; tags are the versions", target)
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    for name in names or catalog.names():
        kinds = catalog.kinds(name)
        if names and not any(k in BUNDLE_KINDS for k in kinds):
            raise InputError(f"{name} is a {' and a '.join(kinds)}: {NOT_A_BUNDLE}", name)
        for kind in kinds:
            items = catalog.versions(name, kind)
            chosen = list(items) if all_versions else [catalog.get(name, None, kind)]
            if kind in BUNDLE_KINDS:
                entries += chosen
            else:
                skipped += [Skipped(e.name, e.kind, e.version) for e in chosen]
    out = Published([], skipped)
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
        signature = None
        if sign is not None:
            from .signatures import sign_bundle

            if not digest:  # a registry that does not say it: ask
                digest = fetch_manifest(client(ref, insecure, settings), ref)[1]
            signature = sign_bundle(sign, ref, digest, insecure=insecure, settings=settings)
        pushed = Pushed(e.name, e.kind, e.version, str(ref), digest, signature, sign.keyid if sign else None)
        if on_push:
            on_push(pushed)
        out.pushed.append(pushed)
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


def pull(text: str, *, insecure: bool = False, settings: Settings | None = None,
         check: Callable[[Registry, ImageRef], None] | None = None) -> Bundle:
    """Fetch a bundle: the manifest, then each layer, each checked against its digest.
    ``check`` is called with the reference pinned to the manifest's digest before any
    layer is read (a signature check: nothing unverified is looked at)."""
    ref = parse_ref(text)
    reg = client(ref, insecure, settings)
    body, digest = fetch_manifest(reg, ref)
    if check is not None:
        check(reg, ref.with_digest(digest))
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        raise InputError(f"manifest is not JSON: {exc}", str(ref)) from exc
    items = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise InputError("manifest has no list of layers: not an image manifest", str(ref))
    if len(items) > MAX_LAYERS:
        raise InputError(f"a Tekton bundle holds at most {MAX_LAYERS} resources, this one {len(items)}", str(ref))
    layers = []
    for i, layer in enumerate(items):
        ann = layer.get("annotations") or {}
        where = f"{ref} layer {i}"
        if not all(ann.get(k) for k in (ANNOTATION_API_VERSION, ANNOTATION_KIND, ANNOTATION_NAME)):
            raise InputError("layer lacks the dev.tekton.image.* annotations: not a Tekton bundle", where)
        size = layer.get("size")
        if not isinstance(size, int) or size < 0:
            raise InputError("layer has no size in the manifest", where)
        if size > MAX_LAYER_BYTES:
            raise InputError(f"layer is over {MAX_LAYER_BYTES:,} bytes", where)
        blob = fetch_blob(reg, ref, str(layer.get("digest")), size, where)
        data = read_layer(blob, where)
        _check_annotations(ann, resource_of(data, where), where)
        layers.append(Layer(ann[ANNOTATION_API_VERSION], ann[ANNOTATION_KIND], ann[ANNOTATION_NAME], data))
    if not layers:
        raise InputError("bundle has no layers", str(ref))
    return Bundle(ref.with_digest(digest), dict(manifest.get("annotations") or {}), tuple(layers))


def _check_annotations(ann: dict[str, str], res: BundleLayer, where: str) -> None:
    """The layer's document is what its annotations say (the contract: "the annotations
    and contents all match"); the apiVersion may be given as its version alone, as
    ``tkn bundle push`` writes it."""
    said = (ann[ANNOTATION_API_VERSION], ann[ANNOTATION_KIND], ann[ANNOTATION_NAME])
    if (said[0] not in (res.api_version, res.api_version.rpartition("/")[2]) or said[1] != res.kind.lower()
            or said[2] != res.name):
        raise InputError(f"the layer's annotations say {said[1]} {said[2]} ({said[0]}), its document is "
                         f"{res.kind} {res.name} ({res.api_version})", where)


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
