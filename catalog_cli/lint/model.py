"""The lint data model: severities, rules, findings, and the resources they are found in."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

#: A JSON path into a document: mapping keys and sequence indexes.
JsonPath = tuple[str | int, ...]


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``>=`` filters by a minimum."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True)
class RuleInfo:
    """A rule's stable id, default severity and one-line summary (see :mod:`.rules`)."""

    id: str
    severity: Severity
    summary: str
    origin: str  # where the idea comes from: "kubernetes", "tekton", "catlin", "tekton-lint", "catalog"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file. Ordered by file, then line, then rule."""

    file: str
    line: int
    rule: str
    severity: Severity = field(compare=False)
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "line": self.line, "rule": self.rule,
            "severity": str(self.severity), "message": self.message,
        }


@dataclass(frozen=True)
class Issue:
    """What a check reports: a rule, where in the document, and what. The engine adds file and line."""

    rule: str
    path: JsonPath
    message: str
    severity: Severity | None = None  # None: the rule's default


@dataclass(frozen=True)
class LintReport:
    """The outcome of a lint run: findings in report order and how many files were read."""

    findings: tuple[Finding, ...]
    files: int
    #: Objects of a Tekton kind this linter does not check (rule not-checked), counted
    #: whatever the severity filter, so that a run never calls them clean.
    unchecked: int = 0

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the run should fail: any error, or with ``strict`` any warning too."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {
                "files": self.files, "errors": self.errors,
                "warnings": self.warnings, "infos": self.infos, "not_checked": self.unchecked,
            },
            "findings": [f.to_dict() for f in self.findings],
        }


def line_of(node: yaml.Node, path: JsonPath) -> int:
    """The 1-based line of ``path`` in a composed document: the deepest part of it that exists.

    A mapping entry is placed on its key's line, so that ``spec.steps[0].image``
    points at ``image:`` rather than at the value that may follow on the next line.
    """
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            want = str(part)
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == want:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


@dataclass(frozen=True)
class Resource:
    """One Tekton object read from a file, with the node tree that gives its lines.

    ``data`` is the document as YAML gives it; checks must not assume it has the
    right shape (the ``schema`` rule reports that) and read it through :func:`items`,
    :func:`mapping` and :func:`text`.
    """

    file: str
    doc: int
    data: Mapping[str, Any]
    node: yaml.Node = field(repr=False, compare=False)
    #: Not itself a catalog entry: under samples/, spec/ or test*/, or beside the entry in
    #: its resource folder (loader.beside_an_entry).
    helper: bool = False
    #: Views that several checks derive from ``data`` (its scopes), computed once.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def api_version(self) -> str:
        return text(self.data.get("apiVersion"))

    @property
    def kind(self) -> str:
        return text(self.data.get("kind"))

    @property
    def version(self) -> str:
        """The API version without its group: ``v1`` for ``tekton.dev/v1``."""
        return self.api_version.rpartition("/")[2]

    @property
    def metadata(self) -> Mapping[str, Any]:
        return mapping(self.data.get("metadata"))

    @property
    def name(self) -> str:
        return text(self.metadata.get("name"))

    @property
    def labels(self) -> Mapping[str, Any]:
        return mapping(self.metadata.get("labels"))

    @property
    def annotations(self) -> Mapping[str, Any]:
        return mapping(self.metadata.get("annotations"))

    @property
    def spec(self) -> Mapping[str, Any]:
        return mapping(self.data.get("spec"))

    def line(self, path: JsonPath) -> int:
        return line_of(self.node, path)

    @cached_property
    def label(self) -> str:
        """How messages name this resource: ``Task 'git-clone'``."""
        return f"{self.kind} '{self.name}'" if self.name else self.kind


def no_catalog() -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class LintContext:
    """What cross-resource checks may look up: every resource of the run, by kind and name,
    and the names of the Tasks the catalog offers."""

    resources: Sequence[Resource]
    #: The catalog's Task names, asked for only when a Pipeline refers to a Task that is
    #: not among the linted files (opening the user's catalog may mean the network).
    catalog_task_names: Callable[[], Iterable[str]] = field(default=no_catalog, compare=False)

    @cached_property
    def tasks(self) -> dict[str, list[Resource]]:
        """Every linted Task by name; a catalog holds several versions of one name."""
        out: dict[str, list[Resource]] = {}
        for res in self.resources:
            if res.kind == "Task" and res.name:
                out.setdefault(res.name, []).append(res)
        return out

    @cached_property
    def catalog_tasks(self) -> frozenset[str]:
        """Task names the catalog offers: a Pipeline may refer to them without linting
        them alongside (a scaffolded pipeline does)."""
        return frozenset(self.catalog_task_names())


#: A check: reads one resource (and the run's context) and yields what it finds.
Check = Callable[[Resource, LintContext], Iterator[Issue]]


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one: checks read shapes they cannot trust."""
    return value if isinstance(value, Mapping) else {}


def text(value: object) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def items(container: Mapping[str, Any], key: str, base: JsonPath) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """The mapping entries of the list ``container[key]``, each with its JSON path."""
    value = container.get(key)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                yield (*base, key, i), item
