"""Typed, immutable views of what a catalog holds. Parsed once at the edge (index.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import PREFIX

if TYPE_CHECKING:
    from .refs import ResolverRef

#: Annotation listing a resource's dependencies, one ``[kind/]name range`` per line.
DEPENDENCIES_ANNOTATION = f"{PREFIX}/dependencies"
VERSION_LABEL = "app.kubernetes.io/version"
MIN_VERSION_ANNOTATION = "tekton.dev/pipelines.minVersion"

#: Folder name in the tektoncd/catalog layout -> Tekton kind.
KIND_DIRS = {"task": "Task", "pipeline": "Pipeline", "stepaction": "StepAction", "template": "Template"}
#: Which kind a bare name means when several kinds share it (``kind/name`` picks one).
KIND_ORDER = {"Task": 0, "Pipeline": 1, "StepAction": 2, "Template": 3}


def canonical_kind(text: str) -> str | None:
    """``task``, ``Task``, ``tasks`` -> ``Task``; None when it names no kind we know."""
    t = text.lower().rstrip("s")
    return next((k for k in KIND_ORDER if k.lower() == t), None)


@dataclass(frozen=True)
class Dependency:
    """Another catalog entry this one needs; ``range`` is a version range, ``*`` for any.

    ``via`` is the resolver reference the resource makes to it (``refs``), when it names
    it that way rather than by name in the namespace: the range is then the version
    the reference fetches. Whether it points into a catalog this tool knows (and is
    resolved) or is external (only shown) is for ``provider.locate`` to say, since it
    depends on the repos configured where it is read, not on the index."""

    name: str
    range: str = "*"
    kind: str | None = None
    via: ResolverRef | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "range": self.range}
        if self.kind:
            d["kind"] = self.kind
        if self.via is not None:
            d["via"] = self.via.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Dependency:
        kind = d.get("kind")
        via = None
        if isinstance(d.get("via"), dict):
            from .refs import ResolverRef  # here: few entries have one, and refs costs start-up

            via = ResolverRef.from_dict(d["via"], kind or "Task")
        return cls(str(d["name"]), str(d.get("range", "*")), kind, via)


@dataclass(frozen=True)
class PolicyRule:
    """One Kubernetes RBAC rule, as the ServiceAccount running a resource needs it."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "apiGroups": list(self.api_groups),
            "resources": list(self.resources),
            "verbs": list(self.verbs),
        }
        if self.resource_names:
            d["resourceNames"] = list(self.resource_names)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PolicyRule:
        return cls(
            tuple(d.get("apiGroups") or ()),
            tuple(d.get("resources") or ()),
            tuple(d.get("verbs") or ()),
            tuple(d.get("resourceNames") or ()),
        )

    @property
    def wildcards(self) -> list[str]:
        """The fields of this rule that grant ``*``: never allowed in what we install."""
        return [
            name
            for name, values in (("apiGroups", self.api_groups), ("resources", self.resources),
                                 ("verbs", self.verbs))
            if any("*" in v for v in values)
        ]


@dataclass(frozen=True)
class FileDigest:
    """A file of an entry (its resource or one beside it) and its sha256."""

    path: str
    digest: str


@dataclass(frozen=True)
class Entry:
    """One version of one resource, as an index records it."""

    name: str
    kind: str
    version: str
    path: str
    digest: str
    description: str = ""
    display_name: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    min_pipelines_version: str | None = None
    deprecated: bool = False
    dependencies: tuple[Dependency, ...] = ()
    rbac: tuple[PolicyRule, ...] = ()
    files: tuple[FileDigest, ...] = field(default=(), repr=False)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "path": self.path,
            "digest": self.digest,
            "description": self.description,
            "displayName": self.display_name,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "platforms": list(self.platforms),
            "minPipelinesVersion": self.min_pipelines_version,
            "deprecated": self.deprecated,
            "dependencies": [d.to_dict() for d in self.dependencies],
            "rbac": [r.to_dict() for r in self.rbac],
            "files": [{"path": f.path, "digest": f.digest} for f in self.files],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(
            name=d["name"],
            kind=d["kind"],
            version=str(d["version"]),
            path=d["path"],
            digest=d["digest"],
            description=d.get("description") or "",
            display_name=d.get("displayName") or "",
            categories=tuple(d.get("categories") or ()),
            tags=tuple(d.get("tags") or ()),
            platforms=tuple(d.get("platforms") or ()),
            min_pipelines_version=d.get("minPipelinesVersion"),
            deprecated=bool(d.get("deprecated", False)),
            dependencies=tuple(Dependency.from_dict(x) for x in d.get("dependencies") or ()),
            rbac=tuple(PolicyRule.from_dict(x) for x in d.get("rbac") or ()),
            files=tuple(FileDigest(f["path"], f["digest"]) for f in d.get("files") or ()),
        )


@dataclass(frozen=True)
class Param:
    """A parameter of a resource's interface, as ``info`` shows it."""

    name: str
    type: str
    description: str
    default: object = None  # as the resource says: a string, a list or a mapping
    has_default: bool = False


@dataclass(frozen=True)
class Named:
    """A workspace or a result: a name, a description, maybe optional."""

    name: str
    description: str
    optional: bool = False


@dataclass(frozen=True)
class ResourceDetail:
    """What ``info`` shows beyond the index: the interface read from the resource file,
    the rules of the rbac.yaml beside it (what install grants, whatever the index says)
    and, one line each, where the index's rules or dependencies differ from the files'."""

    entry: Entry
    params: tuple[Param, ...]
    workspaces: tuple[Named, ...]
    results: tuple[Named, ...]
    description: str
    rules: tuple[PolicyRule, ...] = ()
    mismatches: tuple[str, ...] = ()
