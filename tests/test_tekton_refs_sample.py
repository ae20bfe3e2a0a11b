"""The sample service repository (tests/data/tekton_refs/sample) against real parts: the
acme catalog in a local git repository and as bundles in the loopback registry. `refs`,
`outdated`, `update --dry-run` (its diff is a golden file), `update`, and a second
`update` with nothing to do, as a user runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli
from .tekton_refs_parts import Acme, make_acme
from .test_oci import registry  # noqa: F401  (a fixture)
from .test_resolve_cli import FAST

GOLDEN = Path(__file__).parent / "data" / "tekton_refs" / "sample-update.diff"


@pytest.fixture(scope="module")
def acme(registry: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Acme:  # noqa: F811
    return make_acme(tmp_path_factory.mktemp("acme"), registry["host"])


@pytest.fixture
def service(acme: Acme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    acme.configure()
    tekton = acme.service(tmp_path / "orders")
    for k, v in FAST.items():
        monkeypatch.setenv(k, v)
    return tekton


def test_refs_lists_every_reference_with_where_it_points(acme: Acme, service: Path) -> None:
    r = run_cli("refs", "-o", "json", cwd=service.parent)
    assert r.code == 0, r.err
    rows = r.json()
    got = {(row["file"].rsplit("/", 1)[-1], row["line"], row["name"]): row for row in rows}
    # (file, line, name) -> (resolver, version, pinned, known by, newest allowed)
    assert {k: (v["resolver"], v["version"], v["pinned"], v["repo"] if v["known"] else "external",
                v["newestAllowed"]) for k, v in got.items()} == {
        ("nightly.yaml", 14, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),
        ("on-pull-request.yaml", 10, "git-clone"): ("hub", "0.1", False, "builtin", "0.2"),
        ("on-pull-request.yaml", 10, "unit-test"): ("file", None, False, "external", None),
        ("on-pull-request.yaml", 12, "orders-ci"): (None, None, False, "external", None),
        ("on-push.yaml", 33, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),
        ("on-push.yaml", 49, "git-clone"): ("bundles", "0.1", False, "acme", "0.2"),  # the alias
        ("on-push.yaml", 61, "kaniko"): ("git", "0.1", False, "acme", "0.1"),
        ("on-push.yaml", 81, "yq-update"): ("hub", "0.2", False, "builtin", "0.2"),
        ("on-push.yaml", 102, "send-to-webhook-slack"): ("hub", "0.1", False, "external", None),
        ("pipeline.yaml", 17, "git-clone"): (None, None, False, "external", None),
        ("pipeline.yaml", 29, "unit-test"): (None, None, False, "external", None),
        ("pipeline.yaml", 36, "maven-jib-build"): (None, None, False, "external", None),
        ("pipeline.yaml", 47, "yq-update"): ("git", "0.1", True, "acme", "0.2"),
    }
    kaniko = got[("on-push.yaml", 61, "kaniko")]
    assert kaniko["range"] == "~0.1" and kaniko["newest"] == "0.2"  # held back by catalog.yaml
    assert got[("pipeline.yaml", 36, "maven-jib-build")]["note"].startswith("a ClusterTask")
    assert got[("on-push.yaml", 102, "send-to-webhook-slack")]["external"] == \
        "hub catalog 'tekton-catalog-tasks' is no configured repo"
    # The table says the same for people.
    table = run_cli("refs", cwd=service.parent).out
    assert "on-push.yaml:61" in table and "external: hub catalog" in table


def test_outdated_shows_what_changed_and_fails_ci(acme: Acme, service: Path) -> None:
    r = run_cli("outdated", "-o", "json", cwd=service.parent)
    assert r.code == 1, r.err
    rows = {(o["file"].rsplit("/", 1)[-1], o["line"]): o for o in r.json()}
    clone = rows[("on-push.yaml", 33)]
    assert (clone["version"], clone["target"], clone["outdated"]) == ("0.1", "0.2", True)
    assert clone["interface"] == ["param submodules added (string, optional)",
                                  "param sparse-checkout-directories added (string, optional)"]
    (changes,) = clone["changelog"]
    assert changes["version"] == "0.2" and any("submodules" in line for line in changes["changes"])
    kaniko = rows[("on-push.yaml", 61)]  # newer, but not allowed: listed, not outdated
    assert (kaniko["target"], kaniko["outdated"]) == ("0.2", False)
    assert "param cache added (string, optional)" in kaniko["interface"]
    people = run_cli("outdated", cwd=service.parent)
    assert people.code == 1 and "0.1 -> 0.2" in people.out and "changes in 0.2:" in people.out


def test_update_dry_run_update_and_again(acme: Acme, service: Path) -> None:
    before = {p: p.read_text() for p in sorted(service.rglob("*.yaml"))}
    dry = run_cli("update", "--dry-run", cwd=service.parent)
    assert dry.code == 0, dry.err
    assert {p: p.read_text() for p in before} == before  # --dry-run writes nothing
    got = acme.symbolic(dry.out)
    if not GOLDEN.exists():  # pragma: no cover - writing the golden file once, by hand
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text()
    assert "addParam {name: submodules" in dry.err and "ClusterTask maven-jib-build -> cluster resolver" in dry.err

    done = run_cli("update", cwd=service.parent)
    assert done.code == 0, done.err
    after = {p: p.read_text() for p in before}
    assert after != before
    assert run_cli("update", "--dry-run", cwd=service.parent).out == ""  # applying the diff is what update did
    again = run_cli("update", cwd=service.parent)
    assert again.code == 0 and "nothing to update" in again.err
    assert {p: p.read_text() for p in before} == after
    assert run_cli("outdated", cwd=service.parent).code == 0  # kaniko is newer upstream, but held by catalog.yaml
