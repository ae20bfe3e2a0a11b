"""References one Tekton resource makes to another, parsed: by name, or through a
remote resolver that Tekton asks at run time.

A resolver reference is a ``taskRef``, ``pipelineRef`` or step ``ref`` with
``resolver:`` and string ``params`` (Tekton's docs/*-resolver.md)::

    resolver  params read here                                   immutable when
    hub       catalog, type, kind, name, version, url            never: a version, not content
    bundles   bundle, name, kind                                 the bundle names a digest
    git       url | org+repo, revision, pathInRepo, serverURL,   the revision is a commit
              scmType
    cluster   kind, name, namespace                              never
    http      url, digest                                        a digest is given

The v1beta1 ``taskRef: {name, bundle}`` is read as the bundles resolver (``legacy``).
Other resolvers are kept with every param, for what they are.

A parsed reference keeps every param as written; what is recorded (an index, a lock:
:meth:`ResolverRef.identity`) or shown (:meth:`ResolverRef.describe`) never carries the
credentials a location may hold (:func:`shown`).

``known.Known`` says which of them point into a catalog this tool knows; the rest are
*external*: shown, never resolved. Nothing here reads a file, the network or the
configuration: ``.tekton/`` tools and the index build on the same parse.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import versions

#: A resolver's ``kind`` param -> Tekton kind.
KINDS = {"task": "Task", "pipeline": "Pipeline", "stepaction": "StepAction"}
#: The params that say what a reference points at (the rest, such as ``cache`` or the
#: name of a token's Secret, say how to fetch it). An index records only these.
IDENTITY: dict[str, tuple[str, ...]] = {
    "hub": ("catalog", "type", "kind", "name", "version", "url"),
    "bundles": ("bundle", "name", "kind"),
    "git": ("url", "org", "repo", "revision", "pathInRepo", "serverURL", "scmType"),
    "cluster": ("kind", "name", "namespace"),
    "http": ("url", "digest"),
}
#: The params that name a location, which may carry credentials (``user:token@``, a
#: token in the query): recorded and shown only without them (see :func:`shown`).
LOCATIONS: dict[str, tuple[str, ...]] = {
    "hub": ("url",), "bundles": ("bundle",), "git": ("url", "serverURL"), "http": ("url",)}
#: A resource's name as catalogs hold them (and Kubernetes takes them): a DNS label.
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_DIGEST = re.compile(r"^sha(?:256:[0-9a-f]{64}|512:[0-9a-f]{128})$")
_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
#: Param names whose values are secrets, for resolvers this module does not know.
_SECRET_NAME = re.compile(r"token|secret|password|passwd|credential|auth|key", re.IGNORECASE)
_CONSTRAINT = re.compile(r"^(?P<op>!=|>=|<=|=|>|<|~>)?\s*(?P<v>v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?)$")


def is_commit(text: str) -> bool:
    """A full git commit id (SHA-1 or SHA-256)."""
    return bool(_COMMIT.match(text))


def is_digest(text: str, resolver: str = "http") -> bool:
    """A content digest as ``resolver`` takes one: ``sha256:<64 hex>`` for a bundle (OCI
    manifests), also ``sha512:<128 hex>`` for http."""
    return bool((_SHA256 if resolver == "bundles" else _DIGEST).match(text))


def shown(value: str) -> str:
    """A location (URL, scp-like git address, bundle) fit to record or show: without a
    ``user:password@`` part and, for a URL, without query or fragment (tokens and
    signed URLs travel there). Unchanged when it carries none of them."""
    if "://" in value:
        try:
            parts = urlsplit(value)
        except ValueError:  # an IPv6 host without its closing bracket
            return "(a URL that does not parse)"
        if "@" not in parts.netloc and not parts.query and not parts.fragment:
            return value
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    head = value.split("/", 1)[0]  # user:password@registry/..., user@host:path
    return value[len(head.rpartition("@")[0]) + 1:] if "@" in head else value


def _shown_params(resolver: str, params: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``params`` without credentials: locations shown (:func:`shown`); for a resolver
    not known here, URLs shown and secret-named params left out."""
    if resolver in LOCATIONS:
        return tuple((k, shown(v) if k in LOCATIONS[resolver] else v) for k, v in params)
    return tuple((k, shown(v)) for k, v in params if not _SECRET_NAME.search(k))


def _text(value: object) -> str | None:
    """A param value as Tekton reads it: a string (an unquoted YAML number or boolean
    is taken as written); None for a list or a mapping."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


@dataclass(frozen=True)
class Image:
    """``REGISTRY/REPOSITORY[:TAG][@DIGEST]``, split as written (not validated)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def base(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        return self.base + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def split_image(text: str) -> Image | None:
    """The parts of a bundle reference; None when it has no ``REGISTRY/`` part."""
    rest, _, digest = text.strip().partition("@")
    registry, sep, path = rest.partition("/")
    if not sep or not path:
        return None
    tag = None
    if ":" in path.rsplit("/", 1)[-1]:
        path, _, tag = path.rpartition(":")
    return Image(registry, path, tag or None, digest or None)


def hub_range(text: str) -> str | None:
    """A hub ``version`` as a range of this tool: ``0.9`` -> ``=0.9.0``; a constraint
    (hashicorp/go-version: ``>= 0.7``, ``>=0.1, <0.3``, ``~> 1.2``) translated; None
    for one it cannot translate exactly (``!=``, alternatives)."""
    parts = [p.strip() for p in text.split(",")]
    out = []
    for part in parts:
        m = _CONSTRAINT.match(part)
        if not m:
            return None
        op, v = m["op"] or "=", versions.parse(m["v"]).sem
        if op == "!=":
            return None
        if op == "~>":  # go-version: the version's segments but the last are fixed
            segments = len(m["v"].lstrip("v").split("-")[0].split("."))
            upper = (f"{v.major + 1}.0.0" if segments <= 2 else f"{v.major}.{v.minor + 1}.0")
            out += [f">={v}", f"<{upper}-0"]
        else:
            out.append(f"{op}{v}")
    return " ".join(out)


@dataclass(frozen=True)
class ResolverRef:
    """A reference through a resolver: ``resolver`` (hub, bundles, git, cluster, http or
    another's name), the Tekton ``kind`` and ``name`` it fetches (``name`` empty when the
    reference does not say), and every string param as written, in order."""

    resolver: str
    kind: str
    name: str
    params: tuple[tuple[str, str], ...] = ()
    legacy: bool = False  # the v1beta1 ``taskRef.bundle`` field

    def param(self, key: str) -> str | None:
        return next((v for k, v in self.params if k == key), None)

    # -- what each resolver's params say ------------------------------------------------
    @property
    def catalog(self) -> str | None:
        """hub: the catalog (an Artifact Hub repository or a Tekton Hub catalog)."""
        return self.param("catalog") if self.resolver == "hub" else None

    @property
    def bundle(self) -> str | None:
        return self.param("bundle") if self.resolver == "bundles" else None

    @property
    def image(self) -> Image | None:
        return split_image(self.bundle) if self.bundle else None

    @property
    def url(self) -> str | None:
        return self.param("url") if self.resolver in ("git", "http", "hub") else None

    @property
    def revision(self) -> str | None:
        return self.param("revision") if self.resolver == "git" else None

    @property
    def path_in_repo(self) -> str | None:
        return self.param("pathInRepo") if self.resolver == "git" else None

    @property
    def namespace(self) -> str | None:
        return self.param("namespace") if self.resolver == "cluster" else None

    @property
    def parameterised(self) -> bool:
        """Whether a param is a ``$(...)`` variable: known only when the run starts."""
        return any("$(" in v for _, v in self.params)

    @property
    def pin(self) -> str | None:
        """The content this reference already pins: a bundle's digest, a git commit, an
        http digest; None when what it fetches may change (or the digest is malformed)."""
        if self.resolver == "bundles":
            digest = self.image.digest if self.image else None
            return digest if digest and is_digest(digest, "bundles") else None
        if self.resolver == "git":
            rev = self.revision or ""
            return rev if _COMMIT.match(rev) else None
        if self.resolver == "http":
            digest = self.param("digest") or ""
            return digest if _DIGEST.match(digest) else None
        return None

    @property
    def version(self) -> str | None:
        """The one version it names, as written: a hub version, a bundle's tag, a git
        path's version folder or a version tag as revision; None for none or a constraint."""
        if self.resolver == "hub":
            v = self.param("version")
        elif self.resolver == "bundles":
            v = self.image.tag if self.image else None
        elif self.resolver in ("git", "http"):
            path = self.path_in_repo or _url_path(self.url or "")
            parts = path.strip("/").split("/")
            v = parts[-2] if len(parts) >= 3 and versions.is_version(parts[-2]) else self.revision
        else:
            v = None
        return v if v is not None and versions.is_version(v) else None

    @property
    def range(self) -> str | None:
        """The versions it may fetch, as a range (``*`` when it names none); None when a
        hub constraint cannot be translated."""
        if self.version is not None:
            return f"={versions.parse(self.version).sem}"
        if self.resolver == "hub" and self.param("version"):
            return hub_range(self.param("version") or "")
        return "*"

    # -- derived references ----------------------------------------------------------------
    def identity(self) -> ResolverRef:
        """Only the params that say what it points at (see IDENTITY; another resolver's
        are all kept but those named as secrets), locations without credentials
        (:func:`shown`): what an index or a lock records, and what is asked of git or a
        registry."""
        keep = IDENTITY.get(self.resolver)
        params = self.params if keep is None else tuple((k, v) for k, v in self.params if k in keep)
        return ResolverRef(self.resolver, self.kind, self.name, _shown_params(self.resolver, params), self.legacy)

    def pinned(self, pin: str) -> ResolverRef:
        """The same reference pinned to ``pin``: a bundle's tag kept beside the digest
        (``REG/REPO:TAG@sha256:...``), a git revision replaced by the commit."""
        if self.resolver == "bundles" and self.image is not None:
            key, value = "bundle", f"{_unpinned(self.image)}@{pin}"
        elif self.resolver in ("git", "http"):
            key, value = ("revision" if self.resolver == "git" else "digest"), pin
        else:
            return self
        params = tuple((k, value if k == key else v) for k, v in self.params)
        if key not in dict(self.params):
            params += ((key, value),)
        return ResolverRef(self.resolver, self.kind, self.name, params, self.legacy)

    def describe(self) -> str:
        """One line: ``hub tekton-catalog-tasks/git-clone 0.9``, ``bundles REG/REPO:TAG``,
        ``git URL@REVISION:PATH``, ``cluster NAMESPACE/NAME``; never a credential."""
        params: dict[str, str] = {}
        for k, v in _shown_params(self.resolver, self.params):
            params.setdefault(k, v)  # the first of a name, as param() reads it
        p = params.get
        if self.resolver == "hub":
            head = f"{p('catalog') or '(default catalog)'}/{self.name}"
            return f"hub {head}" + (f" {p('version')}" if p("version") else "")
        if self.resolver == "bundles":
            return f"bundles {p('bundle')}" + (" (taskRef.bundle)" if self.legacy else "")
        if self.resolver == "git":
            where = p("url") or f"{p('org') or '(default org)'}/{p('repo')}"
            return f"git {where}@{p('revision') or '(default revision)'}:{p('pathInRepo') or '?'}"
        if self.resolver == "cluster":
            return f"cluster {p('namespace') or '(default namespace)'}/{self.name}"
        if self.resolver == "http":
            return f"http {p('url')}"
        return f"{self.resolver} " + " ".join(f"{k}={v}" for k, v in params.items())

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"resolver": self.resolver, "params": dict(self.params)}
        if self.legacy:
            d["legacy"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], kind: str) -> ResolverRef:
        """The inverse of :meth:`to_dict`; ``kind`` is the reference's default kind."""
        raw = {"resolver": d.get("resolver"), "params": [{"name": k, "value": v}
                                                         for k, v in (d.get("params") or {}).items()]}
        ref = parse_ref(raw, kind)
        assert isinstance(ref, ResolverRef)  # a mapping with a resolver always is one
        return ResolverRef(ref.resolver, ref.kind, ref.name, ref.params, bool(d.get("legacy")))


def _unpinned(image: Image) -> str:
    return str(Image(image.registry, image.repository, image.tag))


def _url_path(url: str) -> str:
    return url.split("://", 1)[-1].partition("/")[2].split("?", 1)[0]


@dataclass(frozen=True)
class LocalRef:
    """A reference by name to what the namespace itself holds (``kind`` as written:
    Task, ClusterTask, a custom task's kind...)."""

    kind: str
    name: str


def parse_ref(raw: object, default_kind: str) -> ResolverRef | LocalRef | None:
    """A ``taskRef``/``pipelineRef``/step ``ref`` as written; ``default_kind`` is what its
    place refers to (Task, Pipeline, StepAction). None when it names nothing."""
    if not isinstance(raw, Mapping):
        return None
    written_kind = _text(raw.get("kind")) or default_kind
    if raw.get("resolver") is not None:
        resolver = _text(raw.get("resolver")) or ""
        params: list[tuple[str, str]] = []
        for _, p in _items(raw.get("params")):
            value = _text(p.get("value"))
            if isinstance(p.get("name"), str) and value is not None:
                params.append((p["name"], value))
        return _resolver_ref(resolver, default_kind, tuple(params))
    name = _text(raw.get("name"))
    bundle = _text(raw.get("bundle"))
    if bundle:
        legacy = (("bundle", bundle), ("name", name or ""), ("kind", written_kind.lower()))
        return ResolverRef("bundles", KINDS.get(written_kind.lower(), written_kind), name or "", legacy, True)
    return LocalRef(written_kind, name) if name else None


def _resolver_ref(resolver: str, default_kind: str, params: tuple[tuple[str, str], ...]) -> ResolverRef:
    values = dict(params)
    kind = default_kind
    if resolver in ("hub", "bundles", "cluster") and values.get("kind"):
        kind = KINDS.get(values["kind"].lower(), values["kind"])
    name = values.get("name", "")
    if resolver in ("git", "http"):  # the file names the resource: <kind>/<name>/<version>/<name>.yaml
        path = values.get("pathInRepo", "") if resolver == "git" else _url_path(values.get("url", ""))
        stem = posixpath.basename(path)
        name = stem.rsplit(".", 1)[0] if stem.endswith((".yaml", ".yml")) else ""
    return ResolverRef(resolver, kind, name, params)


# -- every reference of a document ------------------------------------------------------
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    """One reference and where it is in its document."""

    path: Path
    ref: ResolverRef | LocalRef

    @property
    def where(self) -> str:
        """``spec.tasks[0].taskRef``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


def _items(value: object) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for i, item in enumerate(value if isinstance(value, list) else ()):
        if isinstance(item, Mapping):
            yield i, item


def _task_spec(spec: object, at: Path) -> Iterator[Site]:
    if isinstance(spec, Mapping):
        for i, step in _items(spec.get("steps")):
            yield from _site(step.get("ref"), "StepAction", (*at, "steps", i, "ref"))


def _pipeline_spec(spec: object, at: Path) -> Iterator[Site]:
    if not isinstance(spec, Mapping):
        return
    for section in ("tasks", "finally"):
        for i, task in _items(spec.get(section)):
            here = (*at, section, i)
            yield from _site(task.get("taskRef"), "Task", (*here, "taskRef"))
            yield from _site(task.get("pipelineRef"), "Pipeline", (*here, "pipelineRef"))
            yield from _task_spec(task.get("taskSpec"), (*here, "taskSpec"))
            yield from _pipeline_spec(task.get("pipelineSpec"), (*here, "pipelineSpec"))


def _site(raw: object, default_kind: str, at: Path) -> Iterator[Site]:
    ref = parse_ref(raw, default_kind)
    if ref is not None:
        yield Site(at, ref)


def find_refs(doc: object, at: Path = ()) -> list[Site]:
    """Every reference a Task, Pipeline, PipelineRun, TaskRun or TriggerTemplate makes,
    embedded specs included, in document order."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("spec"), Mapping):
        return []
    spec, kind, here = doc["spec"], doc.get("kind"), (*at, "spec")
    if kind == "Task":
        return list(_task_spec(spec, here))
    if kind == "Pipeline":
        return list(_pipeline_spec(spec, here))
    if kind == "TaskRun":
        return [*_site(spec.get("taskRef"), "Task", (*here, "taskRef")), *_task_spec(spec.get("taskSpec"), (*here, "taskSpec"))]
    if kind == "PipelineRun":
        return [*_site(spec.get("pipelineRef"), "Pipeline", (*here, "pipelineRef")),
                *_pipeline_spec(spec.get("pipelineSpec"), (*here, "pipelineSpec"))]
    if kind == "TriggerTemplate":
        return [s for i, t in _items(spec.get("resourcetemplates")) for s in find_refs(t, (*here, "resourcetemplates", i))]
    return []

