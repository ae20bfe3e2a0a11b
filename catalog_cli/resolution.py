"""A resolution as install, lock and ``why`` use it: the chosen entry of each package,
who required it and with what range, and ``why`` in words.

Built by ``provider.resolve()`` from the generic resolver's result, or read back
from a lock file (``Chosen``), so ``why`` works the same on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from . import versions
from .errors import NotFound
from .model import KIND_ORDER, Entry
from .requirements import Key, Requirement
from .versions import Version


@dataclass(frozen=True)
class Link:
    """One reason an entry is needed: who asked (None: the user) and with what range."""

    by: Key | None
    range: str  # as written; "*" for any
    requirement: str | None = None  # the user's text, when ``by`` is None
    via: str | None = None  # the resolver ``by`` refers to it through (hub, bundles...), if any


@dataclass(frozen=True)
class Resolved:
    entry: Entry
    required_by: tuple[Link, ...]
    dependencies: tuple[Key, ...]
    newest: str | None = None  # the newest version every requirer and the cluster allow


class Resolution(Mapping[Key, Entry]):
    """The chosen entry of each (kind, name), dependencies before dependents."""

    def __init__(self, items: Mapping[Key, Resolved], requirements: Sequence[Requirement],
                 tekton_version: Version | None, source: str, steps: int = 0) -> None:
        self.resolved = dict(items)
        self.requirements = tuple(requirements)
        self.tekton_version = tekton_version
        self.source = source
        self.steps = steps

    def __getitem__(self, key: Key) -> Entry:
        return self.resolved[key].entry

    def __iter__(self) -> Iterator[Key]:
        return iter(self.resolved)

    def __len__(self) -> int:
        return len(self.resolved)

    @property
    def entries(self) -> list[Entry]:
        """In install order."""
        return [r.entry for r in self.resolved.values()]

    def find(self, name: str, kind: str | None = None) -> Key:
        return find_key(self.resolved, name, kind)

    def why(self, name: str, kind: str | None = None) -> list[str]:
        """Each chain of requirers from the user's requirements to ``name``, and why
        this version: one line each."""
        key = self.find(name, kind)
        item = self.resolved[key]
        chosen = Chosen(item.entry.version, item.required_by,
                        {k: (v.entry.version, v.required_by) for k, v in self.resolved.items()})
        return explain_choice(key, chosen, self.tekton_version, item.newest)


@dataclass(frozen=True)
class Chosen:
    """What ``why`` needs of a resolution (from memory or from a lock file)."""

    version: str
    required_by: tuple[Link, ...]
    graph: Mapping[Key, tuple[str, tuple[Link, ...]]]


def find_key(items: Mapping[Key, object], name: str, kind: str | None = None) -> Key:
    matches = [k for k in items if k[1] == name and (kind is None or k[0] == kind)]
    if not matches:
        raise NotFound(f"{name} is not part of the resolution")
    return min(matches, key=lambda k: KIND_ORDER.get(k[0], 9))


def chains(key: Key, graph: Mapping[Key, tuple[str, tuple[Link, ...]]]) -> list[list[Link]]:
    """Every path of requirers from a user requirement down to ``key`` (user first)."""
    out: list[list[Link]] = []

    def walk(k: Key, below: list[Link], seen: frozenset[Key]) -> None:
        for link in graph[k][1]:
            if link.by is None:
                out.append([link, *below])
            elif link.by not in seen and len(out) < 50:
                walk(link.by, [link, *below], seen | {link.by})

    walk(key, [], frozenset({key}))
    return out


def explain_choice(key: Key, chosen: Chosen, tekton: Version | str | None,
                   newest: str | None, newer: Sequence[Entry] = ()) -> list[str]:
    """``why`` in words: one line per chain of requirers, then one on the version, then
    one for each ``newer`` version of the catalog (newest first) naming what rules it out."""

    def label(k: Key) -> str:
        # The kind only when a name has two kinds here (a git-clone Task and StepAction).
        shadowed = any(o[1] == k[1] and KIND_ORDER.get(o[0], 9) < KIND_ORDER.get(k[0], 9)
                       for o in chosen.graph)
        return f"{k[0] + '/' if shadowed else ''}{k[1]} {chosen.graph[k][0]}"

    def by(link: Link) -> str:
        assert link.by is not None
        via = f" via {link.via}" if link.via else ""
        return label(link.by) + ("" if link.range in ("", "*") else f" ({link.range})") + via

    lines = []
    for path in chains(key, chosen.graph):
        user, links = path[0], path[:0:-1]  # links: the nearest requirer first
        if not links:
            lines.append(f"{label(key)}: you asked for {user.requirement}")
            continue
        text = f"required by {by(links[0])}"
        text += "".join(f", which is required by {by(link)}" for link in links[1:])
        lines.append(f"{label(key)}: {text}, which you asked for ({user.requirement})")
    rngs = sorted({ln.range for ln in chosen.required_by if ln.range not in ("", "*")})
    limits = " and ".join(rngs + ([f"Tekton {tekton}"] if tekton else []))
    under = f" satisfying {limits}" if limits else ""
    if newest is None:  # not known (a lock file read without its catalog)
        lines.append(f"{label(key)}: the locked version{under}")
    elif newest == chosen.version:
        lines.append(f"{label(key)}: the newest version{under}")
    elif newer:
        lines.append(f"{label(key)}: not the newest version{under} ({newest} is)")
    else:
        lines.append(f"{label(key)}: not the newest version{under} ({newest} is): "
                     "it was locked, or the other requirements rule the newer ones out")
    shown = list(newer)[:MAX_NEWER]
    for entry in shown:
        lines.append(f"{key[1]} {entry.version}: {ruled_out(entry, chosen, tekton, by)}")
    if len(newer) > len(shown):
        lines.append(f"{key[1]}: {len(newer) - len(shown)} more newer versions, ruled out likewise or more")
    return lines


#: How many newer versions ``why`` accounts for, newest first.
MAX_NEWER = 3


def ruled_out(entry: Entry, chosen: Chosen, tekton: Version | str | None,
              by: Callable[[Link], str]) -> str:
    """What keeps a newer ``entry`` out: the requirements whose range excludes it and
    the cluster's Tekton version, each named; or, when nothing does, that the lock
    kept its version."""
    from . import ranges

    version = versions.parse(entry.version)
    reasons = []
    for link in chosen.required_by:
        if link.range in ("", "*") or ranges.parse(link.range).allows(version):
            continue
        reasons.append(f"your requirement {link.requirement}" if link.by is None else by(link))
    need = entry.min_pipelines_version
    if tekton is not None and need and versions.is_version(need) and versions.parse(need) > versions.parse(str(tekton)):
        reasons.append(f"Tekton {tekton} (it needs >={need})")
    if reasons:
        return "ruled out by " + " and by ".join(reasons)
    return (f"allowed by every requirement; the lock keeps {chosen.version} "
            "(`catalog lock --upgrade` re-resolves for the newest)")
