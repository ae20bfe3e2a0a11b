"""Tekton bundles in OCI registries, through oras-py (the ORAS project's Python client).

A Tekton bundle is an OCI image whose layers each hold one resource: a gzipped tar
of one file with the resource's YAML, annotated ``dev.tekton.image.apiVersion``,
``dev.tekton.image.kind`` (lower case) and ``dev.tekton.image.name``; at most 20
layers (the bundles resolver's contract). ``publish`` pushes each resource version
of a catalog as ``REGISTRY/REPO/NAME:VERSION``; ``open_bundle`` pulls one back as a
catalog that ``install`` can use, with every blob checked against its digest.

Plain HTTP is used only for loopback registries (127.0.0.1, localhost, ::1) or with
``insecure=True``; TLS is verified otherwise. oras-py's own retries (up to two
minutes of sleeping) and log lines are replaced by this module's bounded retries
and errors: the library never prints.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass
from typing import Any

from . import PREFIX, yamlio
from .errors import DigestMismatch, InputError, NotFound, RemoteError
from .model import Entry, PolicyRule

ANNOTATION_API_VERSION = "dev.tekton.image.apiVersion"
ANNOTATION_KIND = "dev.tekton.image.kind"
ANNOTATION_NAME = "dev.tekton.image.name"
MAX_LAYERS = 20
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
RBAC_ANNOTATION = f"{PREFIX}/rbac"
DIGEST_ANNOTATION = f"{PREFIX}/digest"
MAX_LAYER_BYTES = 4 * 1024 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class BundleRef:
    registry: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def host(self) -> str:
        return self.registry.rsplit(":", 1)[0] if self.registry.count(":") == 1 else self.registry

    def __str__(self) -> str:
        tail = f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}"
        return f"{self.registry}/{self.repository}{tail}"

    def with_digest(self, digest: str) -> BundleRef:
        return BundleRef(self.registry, self.repository, None, digest)


def parse_ref(text: str, *, need_tag: bool = True) -> BundleRef:
    """``[oci://]REGISTRY/REPO[:TAG|@sha256:...]``; the registry part is required."""
    raw = text[len("oci://"):] if text.startswith("oci://") else text
    registry, sep, rest = raw.partition("/")
    if not sep or not rest or not ("." in registry or ":" in registry or registry == "localhost"):
        raise InputError("expected REGISTRY/REPOSITORY[:TAG|@DIGEST], e.g. 127.0.0.1:5000/tasks/git-clone:0.2", text)
    digest = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not digest.startswith("sha256:") or len(digest) != 71:
            raise InputError("a digest is sha256: and 64 hex digits", text)
    tag = None
    if ":" in rest.rsplit("/", 1)[-1]:
        rest, _, tag = rest.rpartition(":")
    if not rest or rest != rest.lower() or " " in rest:
        raise InputError("a repository is lower case, without spaces", text)
    if need_tag and tag is None and digest is None:
        tag = "latest"
    return BundleRef(registry, rest, tag, digest)


def plain_http(registry: str, insecure: bool = False) -> bool:
    """Whether to speak plain HTTP to ``registry``: loopback, or when asked."""
    host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    return insecure or host in LOOPBACK


def _registry(ref: BundleRef, insecure: bool) -> Any:
    """An oras-py Registry with our timeouts and bounded retries, and silent."""
    import oras.logger  # type: ignore[import-untyped]
    import oras.provider  # type: ignore[import-untyped]
    import requests
    from requests.adapters import HTTPAdapter

    from .sources.http import BACKOFF, RETRIES, RETRIES_ENV, TIMEOUT, TIMEOUT_ENV, _env_number

    oras.logger.logger.log_handler = []  # oras-py logs to stderr by default
    timeout = _env_number(TIMEOUT_ENV, TIMEOUT)
    retries = int(_env_number(RETRIES_ENV, RETRIES))
    # Without oras-py's own retry decorator (five tries, sleeping up to 83 s each).
    raw = getattr(oras.provider.Registry.do_request, "__wrapped__", oras.provider.Registry.do_request)

    class _Adapter(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs["timeout"] = kwargs.get("timeout") or timeout
            return super().send(request, **kwargs)

    class _Registry(oras.provider.Registry):  # type: ignore[misc]
        def do_request(self, url: str, method: str = "GET", data: Any = None, headers: Any = None,
                       json: Any = None, stream: bool = False) -> Any:
            reason = ""
            for attempt in range(retries + 1):
                if attempt:
                    time.sleep(BACKOFF * 2 ** (attempt - 1))
                try:
                    resp = raw(self, url, method, data, dict(headers or {}), json, stream)
                except requests.exceptions.ReadTimeout:
                    raise RemoteError(f"no answer within {timeout:g} s", str(ref)) from None
                except requests.exceptions.RequestException as exc:
                    reason = type(exc).__name__
                    continue
                except ValueError as exc:  # oras-py: "Cannot respond to request for authentication."
                    raise RemoteError(f"registry refused the credentials: {exc}", str(ref)) from None
                if resp.status_code == 429 or resp.status_code >= 500:
                    reason = f"HTTP {resp.status_code}"
                    continue
                return resp
            raise RemoteError(f"cannot reach the registry: {reason} ({retries + 1} attempts)", str(ref))

    reg = _Registry(hostname=ref.registry, insecure=plain_http(ref.registry, insecure))
    adapter = _Adapter(max_retries=0)
    reg.session.mount("http://", adapter)
    reg.session.mount("https://", adapter)
    return reg


def _check(resp: Any, what: str, ref: BundleRef) -> Any:
    if resp.status_code == 404:
        raise NotFound(f"{what}: not found in the registry", str(ref))
    if resp.status_code not in (200, 201, 202):
        raise RemoteError(f"{what}: registry answered HTTP {resp.status_code}", str(ref))
    return resp


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
    """The one file of a bundle layer (gzipped or plain tar), within the size limit."""
    try:
        raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
    except (OSError, EOFError) as exc:
        raise InputError(f"layer is not valid gzip: {exc}", where) from exc
    if len(raw) > MAX_LAYER_BYTES + 4096:
        raise InputError(f"layer is over {MAX_LAYER_BYTES:,} bytes", where)
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            files = [m for m in tar.getmembers() if m.isreg()]
            if len(files) != 1:
                raise InputError(f"a bundle layer holds one file, this one {len(files)}", where)
            f = tar.extractfile(files[0])
            assert f is not None
            return f.read()
    except tarfile.TarError as exc:
        raise InputError(f"layer is not a tar archive: {exc}", where) from exc


@dataclass(frozen=True)
class Resource:
    """One resource to put in a bundle: its file's bytes and what the layer says of it."""

    data: bytes
    api_version: str
    kind: str
    name: str


def resource_of(data: bytes, where: str) -> Resource:
    docs = yamlio.loads_all(data.decode("utf-8"), where)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise InputError("a bundle layer holds exactly one Tekton resource", where)
    doc = docs[0]
    name = (doc.get("metadata") or {}).get("name")
    if not doc.get("apiVersion") or not doc.get("kind") or not name:
        raise InputError("a resource needs apiVersion, kind and metadata.name", where)
    return Resource(data, str(doc["apiVersion"]), str(doc["kind"]), str(name))


def push_bundle(ref: BundleRef, resources: list[Resource], annotations: dict[str, str] | None = None,
                *, insecure: bool = False) -> str:
    """Push one bundle (one layer per resource); returns its manifest digest."""
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
    reg = _registry(ref, insecure)
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
        try:
            resp = reg.push(str(ref), files=files, manifest_config=f"{config}:{CONFIG_MEDIA_TYPE}",
                            annotation_file=str(ann), disable_path_validation=True, quiet=True)
        except ValueError as exc:  # oras-py reports refused uploads so
            raise RemoteError(f"push refused: {exc}", str(ref)) from None
    digest = resp.headers.get("Docker-Content-Digest")
    return str(digest) if digest else ""


# -- publishing a catalog -------------------------------------------------------------------
@dataclass(frozen=True)
class Pushed:
    name: str
    kind: str
    version: str
    ref: str
    digest: str


def publish(catalog: Any, target: str, names: list[str], *, all_versions: bool = False,
            insecure: bool = False, on_push: Any = None) -> list[Pushed]:
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
        ref = BundleRef(base.registry, f"{base.repository}/{e.name}", e.version)
        annotations = {
            "org.opencontainers.image.title": e.name,
            "org.opencontainers.image.version": e.version,
            "org.opencontainers.image.description": e.description,
            DIGEST_ANNOTATION: e.digest,
            RBAC_ANNOTATION: json.dumps([r.to_dict() for r in e.rbac], separators=(",", ":")),
        }
        digest = push_bundle(ref, [res], annotations, insecure=insecure)
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
    ref: BundleRef  # with the manifest digest
    annotations: dict[str, str]
    layers: tuple[Layer, ...]


def pull(text: str, *, insecure: bool = False) -> Bundle:
    """Fetch a bundle: the manifest, then each layer, each checked against its digest."""
    ref = parse_ref(text)
    reg = _registry(ref, insecure)
    container = reg.get_container(str(ref))
    url = f"{reg.prefix}://{container.manifest_url()}"
    accept = {"Accept": f"{MANIFEST_MEDIA_TYPE}, application/vnd.docker.distribution.manifest.v2+json"}
    resp = _check(reg.do_request(url, "GET", headers=accept), "manifest", ref)
    body = resp.content
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if ref.digest and ref.digest != digest:
        raise DigestMismatch(f"manifest digest {digest} is not the one asked for", str(ref))
    manifest = json.loads(body)
    layers = []
    for i, layer in enumerate(manifest.get("layers") or []):
        ann = layer.get("annotations") or {}
        where = f"{ref} layer {i}"
        if not all(ann.get(k) for k in (ANNOTATION_API_VERSION, ANNOTATION_KIND, ANNOTATION_NAME)):
            raise InputError("layer lacks the dev.tekton.image.* annotations: not a Tekton bundle", where)
        if int(layer.get("size") or 0) > MAX_LAYER_BYTES:
            raise InputError(f"layer is over {MAX_LAYER_BYTES:,} bytes", where)
        blob = _check(reg.get_blob(container, layer["digest"]), where, ref).content
        got = "sha256:" + hashlib.sha256(blob).hexdigest()
        if got != layer["digest"]:
            raise DigestMismatch(f"blob digest {got} does not match the manifest ({layer['digest']})", where)
        layers.append(Layer(ann[ANNOTATION_API_VERSION], ann[ANNOTATION_KIND], ann[ANNOTATION_NAME],
                            read_layer(blob, where)))
    if not layers:
        raise InputError("bundle has no layers", str(ref))
    return Bundle(ref.with_digest(digest), dict(manifest.get("annotations") or {}), tuple(layers))


class _MemoryFiles:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, rel: str, digest: str | None = None) -> bytes:
        if rel not in self.files:
            raise NotFound("not in the bundle", rel)
        return self.files[rel]


def open_bundle(text: str, *, insecure: bool = False) -> tuple[Any, list[str]]:
    """A catalog holding a bundle's resources, and the requirement for each of them.

    Its location is the bundle reference pinned by digest, which ``install`` records
    as the source; each entry's digest is the sha256 of its resource file."""
    from . import resources, versions
    from .sources.cache import open_cache
    from .sources.folder import IndexCatalog as Catalog

    bundle = pull(text, insecure=insecure)
    rules: tuple[PolicyRule, ...] = ()
    if bundle.annotations.get(RBAC_ANNOTATION):
        try:
            rules = resources.parse_rbac(json.loads(bundle.annotations[RBAC_ANNOTATION]), RBAC_ANNOTATION)
        except ValueError as exc:
            raise InputError(f"bad {RBAC_ANNOTATION} annotation: {exc}", str(bundle.ref)) from exc
    files: dict[str, bytes] = {}
    entries: dict[str, tuple[Entry, ...]] = {}
    for layer in bundle.layers:
        res = resource_of(layer.data, f"{bundle.ref} {layer.kind}/{layer.name}")
        doc = yamlio.loads_all(layer.data.decode("utf-8"), layer.name)[0]
        fields = resources.entry_fields(doc)
        label = fields.pop("version_label")
        version = str(label) if label and versions.is_version(str(label)) else (
            bundle.annotations.get("org.opencontainers.image.version") or "0.0.0")
        rel = f"{res.kind.lower()}/{res.name}/{version}/{res.name}.yaml"
        files[rel] = layer.data
        entry = Entry(name=res.name, kind=res.kind, version=version, path=rel,
                      digest="sha256:" + hashlib.sha256(layer.data).hexdigest(),
                      dependencies=resources.dependencies(doc, rel),
                      rbac=rules if len(bundle.layers) == 1 else (), **fields)
        entries[res.name] = (*entries.get(res.name, ()), entry)
    location = f"oci://{bundle.ref}"
    db = open_cache(location, str(bundle.ref.digest), lambda: (entries, []))
    reqs = [f"{e.kind.lower()}/{e.name}@{e.version}" for items in entries.values() for e in items]
    return Catalog(location, _MemoryFiles(files), db, None), reqs


# -- rendering pipelines against bundles ------------------------------------------------------
def bundle_task_refs(objects: list[dict[str, Any]], base: str,
                     keep: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Pipelines whose ``taskRef: {name: X}`` become ``resolver: bundles`` references to
    ``BASE/X:VERSION``, X's version being the one rendered beside it (its version label);
    the Tasks so referenced (and their ServiceAccount, Role and RoleBinding) are left
    out unless named in ``keep``."""
    import copy

    from .manifests import PACKAGE_LABEL
    from .model import VERSION_LABEL

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
