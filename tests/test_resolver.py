"""The resolver, specified by scenarios in tests/data/resolver/*.yaml (see their
descriptions), plus what a table cannot say: determinism, the generic protocol, the budget."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import errors, versions
from catalog_cli.errors import NoSolution
from catalog_cli.lockfile import Lock, LockedEntry
from catalog_cli.model import Entry
from catalog_cli.provider import resolve
from catalog_cli.requirements import Requirement, parse_requirement
from catalog_cli.resolver import Resolver
from catalog_cli.sources.memory import MemoryCatalog
from catalog_cli.resources import parse_dependency_annotation

DATA = Path(__file__).parent / "data" / "resolver"
SCENARIOS = sorted(DATA.glob("*.yaml"))


def build_catalog(spec: dict[str, Any]) -> MemoryCatalog:
    """``{[kind/]name: {version: {deps: [lines], minVersion: v}}}`` as entries."""
    entries = []
    for ref, items in spec.items():
        kind_text, _, name = ref.rpartition("/")
        kind = {"": "Task", "pipeline": "Pipeline", "stepaction": "StepAction"}[kind_text]
        for version, body in (items or {}).items():
            body = body or {}
            deps = parse_dependency_annotation("\n".join(body.get("deps", [])), ref)
            path = f"{kind.lower()}/{name}/{version}/{name}.yaml"
            entries.append(Entry(
                name=name, kind=kind, version=str(version), path=path,
                digest="sha256:" + hashlib.sha256(path.encode()).hexdigest(),
                min_pipelines_version=body.get("minVersion"), dependencies=tuple(deps),
            ))
    return MemoryCatalog(entries)


def label(entry: Entry) -> str:
    return f"{entry.name} {entry.version}" if entry.kind == "Task" else f"{entry.kind}/{entry.name} {entry.version}"


def run_scenario(case: dict[str, Any]) -> Any:
    cat = build_catalog(case["catalog"])
    reqs = [parse_requirement(r) for r in case["requirements"]]
    tekton = versions.parse(str(case["tekton"])) if case.get("tekton") else None
    locked = None
    if case.get("locked"):
        locked = Lock((), None, tuple(
            LockedEntry("Task", name, str(v), "", "memory") for name, v in case["locked"].items()))
    kwargs = {"max_steps": case["max_steps"]} if "max_steps" in case else {}
    return resolve(cat, reqs, tekton, locked, **kwargs)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(getattr(errors, expect["error"])) as info:
            run_scenario(case)
        assert type(info.value).__name__ in (expect["error"], "NoSolution")
        assert str(info.value) == expect["message"].rstrip("\n")
        return
    res = run_scenario(case)
    assert [label(e) for e in res.entries] == expect["resolved"]
    for ref, lines in (expect.get("why") or {}).items():
        kind_text, _, name = ref.rpartition("/")
        assert res.why(name, kind_text or None) == lines


def test_every_scenario_says_what_it_shows() -> None:
    assert len(SCENARIOS) >= 15
    for path in SCENARIOS:
        case = yaml.safe_load(path.read_text())
        assert case.get("description"), path
        if "error" in case["expect"]:
            assert case["expect"]["message"] != "PIN", path


# -- beyond the table ------------------------------------------------------------------
class Fake:
    """An honest in-memory provider with nothing of catalogs: integer package keys,
    candidates ``(key, version)``, requirements ``(key, low, high)`` (inclusive)."""

    def __init__(self, deps: dict[tuple[int, int], list[tuple[int, int, int]]], broken: set[tuple[int, int]] = frozenset()):
        self.deps = deps
        self.broken = broken
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def identify(self, requirement: tuple[int, int, int], parent: object) -> int:
        return requirement[0]

    def candidates(self, key: int) -> Sequence[tuple[int, int]]:
        self._count("candidates")
        return sorted((c for c in self.deps if c[0] == key), reverse=True)

    def allows(self, requirement: tuple[int, int, int], candidate: tuple[int, int]) -> bool:
        return requirement[1] <= candidate[1] <= requirement[2]

    def dependencies(self, candidate: tuple[int, int]) -> Sequence[tuple[int, int, int]]:
        self._count("dependencies")
        return self.deps[candidate]

    def unavailable(self, candidate: tuple[int, int]) -> str | None:
        return "is broken" if candidate in self.broken else None

    def preferred(self, key: int) -> None:
        return None

    def name(self, key: int) -> str:
        return f"pkg{key}"

    def version(self, candidate: tuple[int, int]) -> str:
        return str(candidate[1])

    def describe(self, requirement: tuple[int, int, int]) -> str:
        return f"{requirement[1]}..{requirement[2]}"


def test_generic_resolver_backtracks_with_any_keys() -> None:
    deps = {(1, 1): [(3, 1, 1)], (1, 2): [(3, 2, 2)], (2, 1): [(3, 1, 1)], (3, 1): [], (3, 2): []}
    fake = Fake(deps)
    result = Resolver(fake).resolve([(1, 0, 9), (2, 0, 9)])
    assert result.chosen == {3: (3, 1), 1: (1, 1), 2: (2, 1)}
    assert result.dependencies == {3: (), 1: (3,), 2: (3,)}
    # pkg2 (one candidate) is decided before pkg1 (two): fewest candidates first.
    assert result.required_by[3] == ((2, (3, 1, 1)), (1, (3, 1, 1)))
    assert fake.calls["candidates"] == 3  # once per package
    assert fake.calls["dependencies"] <= len(deps)  # once per candidate at most


def test_generic_explanation_describes_sets_as_intervals() -> None:
    deps = {(1, v): [(2, v, v)] for v in range(1, 6)}
    deps.update({(2, v): [] for v in range(1, 6)})
    with pytest.raises(NoSolution) as info:
        Resolver(Fake(deps, broken={(2, 2), (2, 3), (2, 4), (2, 5)})).resolve([(1, 2, 5)])
    assert str(info.value) == (
        "Because pkg1 2 depends on pkg2 2..2 and pkg1 3 depends on pkg2 3..3, "
        "pkg1 >=2 <=3 requires pkg2 >=2 <=3.\n"
        "And because pkg1 4 depends on pkg2 4..4 and pkg1 5 depends on pkg2 5..5, pkg1 >=2 requires pkg2 >=2.\n"
        "So, because pkg2 >=2 is broken and you asked for pkg1 2..5, the requirements cannot be satisfied.")
    assert info.value.incompatibility.is_failure


def test_same_input_same_result_whatever_the_order() -> None:
    path = DATA / "diamond.yaml"
    case = yaml.safe_load(path.read_text())
    first = [e.ref for e in run_scenario(case).entries]
    case["catalog"] = dict(reversed(list(case["catalog"].items())))
    assert [e.ref for e in run_scenario(case).entries] == first
    assert [e.ref for e in run_scenario(case).entries] == first


def _chain(packages: int, per: int, *, tekton: bool = True) -> MemoryCatalog:
    """p0 -> p1 -> ...; each version needs its own range of the next; the last needs a
    newer Tekton than the cluster (unless not ``tekton``): the conflict shows only at
    the bottom."""
    return MemoryCatalog(_chain_entries(packages, per, tekton=tekton))


def _chain_entries(packages: int, per: int, *, tekton: bool = True) -> list[Entry]:
    entries = []
    for i in range(packages):
        for v in range(per):
            deps = (parse_dependency_annotation(f"p{i + 1} <={v}.0", "x") if i + 1 < packages else [])
            entries.append(Entry(f"p{i}", "Task", f"{v}.0", f"p{i}/{v}.yaml", "sha256:0",
                                 min_pipelines_version="0.70" if tekton and i + 1 == packages else None,
                                 dependencies=tuple(deps)))
    return entries


def test_adversarial_conflict_is_quick_and_explained() -> None:
    """A chain 100 deep fails at its bottom: one fact states the dependency of every
    version of a package, the chain of steps of one kind is told in one line, and the
    whole derivation stays available for --verbose."""
    start = time.perf_counter()
    with pytest.raises(NoSolution) as info:
        resolve(_chain(100, 25), [Requirement("p0")], versions.parse("0.50"))
    assert time.perf_counter() - start < 5
    lines = str(info.value).splitlines()
    assert len(lines) <= 16
    assert lines[0].startswith("Because every version of p0 depends on p1 <=24.0")
    assert any(line.startswith("And so on, in ") and "p95, p97." in line for line in lines)
    assert lines[-2].startswith("So, because every version of p99 needs Tekton >=0.70 while the cluster runs 0.50")
    assert lines[-1] == "(shortened: --verbose shows every step)"
    full = info.value.full.splitlines()
    assert len(full) > 40 and not any(line.startswith("And so on") for line in full)


def test_a_proof_still_too_long_ends_with_its_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_LINES, the first and last lines and the facts other than dependencies;
    with dependencies alone, a sentence, not "dependencies and: ." (a regression)."""
    from catalog_cli.resolver import report

    monkeypatch.setattr(report, "MAX_LINES", 4)
    with pytest.raises(NoSolution) as info:
        resolve(_chain(100, 25), [Requirement("p0")], versions.parse("0.50"))
    lines = str(info.value).splitlines()
    assert any(line.startswith("... (") for line in lines)
    assert lines[-2] == ("The conflict comes down to dependencies and: every version of p99 needs "
                         "Tekton >=0.70 while the cluster runs 0.50.")
    q = parse_dependency_annotation("p99 >=20.0", "q")
    cat = MemoryCatalog([*_chain_entries(100, 25, tekton=False),
                         Entry("q", "Task", "1.0", "q/1.yaml", "sha256:0", dependencies=tuple(q))])
    with pytest.raises(NoSolution) as info:
        resolve(cat, [parse_requirement("p0@<=5.0"), parse_requirement("q")])
    lines = str(info.value).splitlines()
    assert any(line.startswith("... (") for line in lines)
    assert lines[-2] == "The conflict comes down to dependencies alone: the ranges above cannot all hold."


def test_wall_time_budget() -> None:
    with pytest.raises(errors.ResolutionError) as info:
        resolve(_chain(100, 25), [Requirement("p0")], versions.parse("0.50"), max_seconds=0)
    assert str(info.value).startswith("gave up after 0 s (64 steps) without finding a solution")


def test_resolution_is_a_mapping_in_install_order() -> None:
    res = run_scenario(yaml.safe_load((DATA / "transitive.yaml").read_text()))
    assert list(res) == [("StepAction", "git-clone"), ("Task", "git-clone"), ("Task", "kubectl-deploy"),
                         ("Pipeline", "build-deploy")]
    assert res[("Task", "git-clone")].version == "0.2"
    assert len(res) == 4 and res.requirements == (Requirement("build-deploy"),)
    with pytest.raises(errors.NotFound):
        res.why("kaniko")
