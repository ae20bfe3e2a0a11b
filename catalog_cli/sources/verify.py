"""Is an entry's file what its index entry says? The one place that decides.

A catalog (folder, HTTP repo, OCI bundle, mirror) is written by someone else, who
may control the index and the files alike: digests then match and prove nothing
about what the files are. The index is what search, the resolver and ``info``
show; the files are what gets applied. So every catalog reads an entry through
:func:`load_entry`, which refuses, with one line naming the file:

- a document of another kind than its entry, an apiVersion Tekton does not serve
  for that kind, or another ``metadata.name`` (a ClusterRoleBinding to
  cluster-admin indexed as a Task stops here);
- rules in the index that are not those of the rbac.yaml beside the document (the
  rules installed come from rbac.yaml, so the index must not show others);
- dependencies in the index that are not those the document declares and makes.

Entry names are checked against their keys when the index is read (``index.check_key``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import PREFIX, resources, yamlio
from ..errors import CatalogError, EntryMismatch, InputError
from ..model import Dependency, Entry, PolicyRule, ResourceDetail
from .base import Verified

#: The apiVersions served for each kind a catalog may hold: Tekton's own from its CRDs
#: (shared/corpus/tekton-crds: Task and Pipeline v1 and v1beta1, StepAction v1alpha1 and
#: v1beta1), and this tool's for scaffolding templates, which are never installed.
API_VERSIONS: dict[str, frozenset[str]] = {
    "Task": frozenset({"tekton.dev/v1", "tekton.dev/v1beta1"}),
    "Pipeline": frozenset({"tekton.dev/v1", "tekton.dev/v1beta1"}),
    "StepAction": frozenset({"tekton.dev/v1alpha1", "tekton.dev/v1beta1"}),
    "Template": frozenset({f"{PREFIX}/v1"}),
}
#: The kinds ``install`` makes (all namespaced); a Template only feeds ``scaffold``.
INSTALLABLE = frozenset({"Task", "Pipeline", "StepAction"})
RBAC_FILE = "rbac.yaml"

#: How a catalog reads one of its files: ``read(rel, digest)``, digest-checked.
Reader = Callable[[str, "str | None"], bytes]


def rbac_path(entry: Entry) -> str:
    """The rbac.yaml that may stand beside ``entry``'s document."""
    folder, sep, _ = entry.path.rpartition("/")
    return f"{folder}{sep}{RBAC_FILE}"


def _text(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", rel) from exc


def _describe(doc: dict[str, Any]) -> str:
    """What a document is, in a few words: ``a ClusterRoleBinding (rbac.authorization.k8s.io/v1) 'x'``."""
    meta, _, _ = resources.metadata(doc)
    kind = doc.get("kind")
    what = f"a {kind}" if isinstance(kind, str) and kind else "a document with no kind"
    if kind == "Secret" and doc.get("type"):
        what += f" of type {doc['type']}"
    return f"{what} ({doc.get('apiVersion')}) {meta.get('name')!r}"


def check_document(entry: Entry, doc: object) -> dict[str, Any]:
    """``doc`` when its kind, apiVersion and name are those ``entry`` says; else EntryMismatch."""
    where = entry.path
    if not isinstance(doc, dict):
        raise EntryMismatch(f"the index says {entry.kind} {entry.name}, the file holds no resource "
                            f"(a YAML {type(doc).__name__}): refused", where)
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if kind != entry.kind:
        raise EntryMismatch(f"the index says {entry.kind} {entry.name}, the file holds {_describe(doc)}: refused",
                            where)
    served = API_VERSIONS.get(entry.kind, frozenset())
    if api not in served:
        raise EntryMismatch(f"apiVersion {api!r} is not one Tekton serves for a {kind} "
                            f"({', '.join(sorted(served))}): refused", where)
    name = resources.metadata(doc)[0].get("name")
    if name != entry.name:
        raise EntryMismatch(f"metadata.name is {name!r}, the index says {entry.name!r}: refused", where)
    return doc


def read_document(read: Reader, entry: Entry) -> dict[str, Any]:
    """The first YAML document of ``entry``'s file (digest-checked), checked against ``entry``."""
    docs = yamlio.loads_all(_text(read(entry.path, entry.digest), entry.path), entry.path)
    if not docs:
        raise EntryMismatch(f"the index says {entry.kind} {entry.name}, the file is empty: refused", entry.path)
    return check_document(entry, docs[0])


def read_rules(read: Reader, entry: Entry) -> tuple[PolicyRule, ...]:
    """The rules of the rbac.yaml beside ``entry``'s document when its index entry names
    that file (with the digest it is checked against); none when it does not."""
    rel = rbac_path(entry)
    digest = next((f.digest for f in entry.files if f.path == rel), None)
    if digest is None:
        return ()
    docs = yamlio.loads_all(_text(read(rel, digest), rel), rel)
    if len(docs) != 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", rel)
    return resources.parse_rbac(docs[0], rel)


def rules_text(rules: tuple[PolicyRule, ...]) -> str:
    """Rules on one line: ``apps deployments: get,patch; "" services: create``, or ``no rules``."""
    if not rules:
        return "no rules"

    def one(r: PolicyRule) -> str:
        groups = ",".join(g or '""' for g in r.api_groups) or '""'
        names = f" ({','.join(r.resource_names)})" if r.resource_names else ""
        return f"{groups} {','.join(r.resources)}: {','.join(r.verbs)}{names}"

    return "; ".join(one(r) for r in rules)


def _dependencies_text(deps: tuple[Dependency, ...]) -> str:
    return ", ".join(f"{d.kind + '/' if d.kind else ''}{d.name} {d.range}" for d in deps) or "none"


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return sorted(a, key=repr) == sorted(b, key=repr)  # the order of rules or dependencies means nothing


def mismatches(entry: Entry, doc: dict[str, Any], rules: tuple[PolicyRule, ...]) -> list[EntryMismatch]:
    """Where the index's rules and dependencies differ from what the files say."""
    out = []
    if not _same(entry.rbac, rules):
        rel = rbac_path(entry)
        has_file = any(f.path == rel for f in entry.files)
        files_say = f"{RBAC_FILE} says {rules_text(rules)}" if has_file else f"there is no {RBAC_FILE}"
        out.append(EntryMismatch(f"the index says {rules_text(entry.rbac)}, {files_say}: refused", rel))
    try:
        derived = resources.dependencies(doc, entry.path)
    except CatalogError:
        derived = ()  # as `catalog index` does: an unreadable annotation declares nothing
    if not _same(entry.dependencies, derived):
        out.append(EntryMismatch(f"the index says dependencies {_dependencies_text(entry.dependencies)}, "
                                 f"the file says {_dependencies_text(derived)}: refused", entry.path))
    return out


def load_entry(read: Reader, entry: Entry) -> Verified:
    """``entry``'s document and rules, read with ``read`` and checked: what may be installed."""
    doc = read_document(read, entry)
    rules = read_rules(read, entry)
    for problem in mismatches(entry, doc, rules):
        raise problem
    return Verified(entry, doc, rules)


def detail_of(read: Reader, entry: Entry) -> ResourceDetail:
    """What ``info`` shows: the checked document's interface, the rules of rbac.yaml
    itself, and (rather than an error) where the index says otherwise."""
    doc = read_document(read, entry)
    rules = read_rules(read, entry)
    found = tuple(str(m) for m in mismatches(entry, doc, rules))
    return resources.detail(entry, doc, rules=rules, mismatches=found)
