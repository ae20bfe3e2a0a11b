"""Which resolver references are dependencies: catalog_cli.known (the cases are
tests/data/refs/known.yaml) and provider.locate, which also asks the catalog at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import versions
from catalog_cli.known import Known, KnownCatalog, normal_url
from catalog_cli.model import Dependency, Entry
from catalog_cli.provider import locate, resolve
from catalog_cli.refs import ResolverRef
from catalog_cli.requirements import parse_requirement
from catalog_cli.sources.layered import Layered
from catalog_cli.sources.memory import MemoryCatalog

CASES = yaml.safe_load((Path(__file__).parent / "data" / "refs" / "known.yaml").read_text())
KNOWN = Known((
    KnownCatalog("acme", ("/srv/acme", "https://git.example.com/acme/catalog.git"), ("registry.example.com/acme",)),
    KnownCatalog("team", ("https://team.example.com/catalog",)),
    KnownCatalog("builtin"),
), ("run.example/cat",))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_where_a_reference_points(case: dict[str, Any]) -> None:
    ref = ResolverRef.from_dict(case["ref"], "Task")
    pointer = KNOWN.locate(ref)
    if "external" in case:
        assert pointer.external is not None and case["external"] in pointer.external
    else:
        assert (pointer.repo, pointer.external) == (case["repo"], None)


@pytest.mark.parametrize(("a", "b"), [
    ("https://Git.Example.com/acme/catalog.git", "http://git.example.com/acme/catalog/"),
    ("file:///srv/acme/", "/srv/acme"),
    ("https://user@host/x", "https://host/x"),
    ("git@github.com:tektoncd/catalog.git", "https://github.com/tektoncd/catalog"),
    ("alice:tok@github.com:/tektoncd/catalog", "ssh://github.com/tektoncd/catalog.git"),
])
def test_locations_compare_without_scheme_user_or_git_suffix(a: str, b: str) -> None:
    assert normal_url(a) == normal_url(b)


def test_a_location_that_does_not_parse_is_compared_as_written() -> None:
    assert normal_url("https://host:port/x") == "https://host:port/x"  # no traceback


# -- against a catalog --------------------------------------------------------------------
def _entry(name: str, version: str, *deps: Dependency, kind: str = "Task") -> Entry:
    return Entry(name, kind, version, f"{kind.lower()}/{name}/{version}/{name}.yaml",
                 f"sha256:{name}-{version}", dependencies=deps)


def _via(resolver: str, **params: str) -> ResolverRef:
    return ResolverRef.from_dict({"resolver": resolver, "params": params}, "Task")


def _dep(ref: ResolverRef) -> Dependency:
    return Dependency(ref.name, ref.range or "*", ref.kind, ref)


HUB_ACME = _dep(_via("hub", catalog="acme", name="yq-update", version="0.1"))
CLUSTER = _dep(_via("cluster", name="kubectl-deploy", namespace="ci"))
EXTERNAL = _dep(_via("hub", name="golangci-lint", version="0.2"))
HUB_BUILTIN = _dep(_via("hub", catalog="builtin", name="yq-update", version="0.2"))


@pytest.fixture
def layered() -> Layered:
    acme = MemoryCatalog([_entry("yq-update", "0.1"), _entry("yq-update", "0.2"),
                          _entry("ci", "1.0", HUB_ACME, CLUSTER, EXTERNAL, kind="Pipeline")], name="acme")
    builtin = MemoryCatalog([_entry("kubectl-deploy", "0.2"), _entry("yq-update", "0.2")], name="builtin")
    return Layered([acme, builtin])


def test_locate_asks_the_catalog_for_the_name(layered: Layered) -> None:
    assert locate(layered, HUB_ACME, KNOWN).external is None
    assert locate(layered, CLUSTER, KNOWN).external is None
    assert "the hub's default catalog" in str(locate(layered, EXTERNAL, KNOWN).external)
    # builtin's yq-update is hidden here by acme's: following it would install acme's.
    hidden = locate(layered, HUB_BUILTIN, KNOWN)
    assert hidden.repo == "builtin" and hidden.external == "another repo's yq-update hides builtin's here"
    missing = _dep(_via("hub", catalog="builtin", name="kaniko", version="0.1"))
    assert locate(layered, missing, KNOWN).external == "the catalog at hand has no Task kaniko from builtin"
    absent = _dep(_via("cluster", name="nobody"))
    assert locate(layered, absent, KNOWN).external == "no catalog here has a Task nobody"
    assert locate(layered, Dependency("yq-update"), None).external is None  # by name: always


def test_known_references_are_resolved_with_their_version_and_external_ones_are_not(layered: Layered) -> None:
    res = resolve(layered, [parse_requirement("ci")], known=KNOWN)
    assert {k: e.version for k, e in res.items()} == {
        ("Task", "yq-update"): "0.1", ("Task", "kubectl-deploy"): "0.2", ("Pipeline", "ci"): "1.0"}
    assert res.why("yq-update") == [
        "yq-update 0.1: required by ci 1.0 (=0.1.0) via hub, which you asked for (ci)",
        "yq-update 0.1: the newest version satisfying =0.1.0",
    ]
    assert res.resolved[("Task", "kubectl-deploy")].required_by[0].via == "cluster"


def test_without_known_catalogs_only_the_cluster_resolver_is_followed(layered: Layered) -> None:
    res = resolve(layered, [parse_requirement("ci")])
    assert set(res) == {("Task", "kubectl-deploy"), ("Pipeline", "ci")}


def test_a_version_no_catalog_has_is_a_conflict_explained(layered: Layered) -> None:
    from catalog_cli.errors import ResolutionError

    too_new = _dep(_via("hub", catalog="acme", name="yq-update", version="0.9"))
    cat = MemoryCatalog([_entry("yq-update", "0.2"), _entry("ci", "1.0", too_new, kind="Pipeline")], name="acme")
    with pytest.raises(ResolutionError, match="yq-update"):
        resolve(cat, [parse_requirement("ci")], versions.parse("0.60.0"), known=KNOWN)
