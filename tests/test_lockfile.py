"""catalog.lock: written from a resolution, read back, checked against the catalog."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from catalog_cli import lockfile, versions
from catalog_cli.errors import DigestMismatch, InputError, NotFound, ResolutionError
from catalog_cli.model import Dependency, Entry
from catalog_cli.provider import resolve
from catalog_cli.requirements import Requirement, parse_requirement
from catalog_cli.sources.memory import MemoryCatalog


def _entry(name: str, version: str, *deps: Dependency, kind: str = "Task", digest: str | None = None,
           min_version: str | None = None) -> Entry:
    return Entry(name, kind, version, f"{kind.lower()}/{name}/{version}/{name}.yaml",
                 digest or f"sha256:{name}-{version}", min_pipelines_version=min_version,
                 dependencies=deps)


ENTRIES = [
    _entry("deploy-pipeline", "1.0", Dependency("kubectl-deploy", "^0.2"), Dependency("git-clone", "*", "Task"),
           kind="Pipeline"),
    _entry("kubectl-deploy", "0.2"),
    _entry("kubectl-deploy", "0.3", min_version="0.60.0"),
    _entry("git-clone", "0.1", Dependency("git-clone", "^0.1", "StepAction")),
    _entry("git-clone", "0.1", kind="StepAction"),
]


@pytest.fixture
def cat() -> MemoryCatalog:
    return MemoryCatalog(ENTRIES)


@pytest.fixture
def lock(cat: MemoryCatalog) -> lockfile.Lock:
    res = resolve(cat, [parse_requirement("deploy-pipeline@^1.0")], versions.parse("0.59.0"))
    return lockfile.from_resolution(res)


def test_lock_file_content(lock: lockfile.Lock, tmp_path: Path) -> None:
    path = tmp_path / "catalog.lock"
    lockfile.write(lock, path)
    text = path.read_text()
    assert text.startswith("# Written by `catalog lock`")
    data = yaml.safe_load(text)
    assert data["apiVersion"] == "catalog.dev/v1" and data["kind"] == "Lock"
    assert data["requirements"] == ["deploy-pipeline@^1.0"]
    assert data["tektonVersion"] == "0.59.0"
    assert data["resolved"] == [
        {"kind": "Task", "name": "kubectl-deploy", "version": "0.2", "digest": "sha256:kubectl-deploy-0.2",
         "source": "memory", "dependencies": [],
         "requiredBy": [{"kind": "Pipeline", "name": "deploy-pipeline", "range": "^0.2"}]},
        {"kind": "StepAction", "name": "git-clone", "version": "0.1", "digest": "sha256:git-clone-0.1",
         "source": "memory", "dependencies": [],
         "requiredBy": [{"kind": "Task", "name": "git-clone", "range": "^0.1"}]},
        {"kind": "Task", "name": "git-clone", "version": "0.1", "digest": "sha256:git-clone-0.1",
         "source": "memory", "dependencies": ["StepAction/git-clone"],
         "requiredBy": [{"kind": "Pipeline", "name": "deploy-pipeline", "range": "*"}]},
        {"kind": "Pipeline", "name": "deploy-pipeline", "version": "1.0",
         "digest": "sha256:deploy-pipeline-1.0", "source": "memory",
         "dependencies": ["kubectl-deploy", "Task/git-clone"],
         "requiredBy": [{"requirement": "deploy-pipeline@^1.0"}]},
    ]


def test_round_trip(lock: lockfile.Lock, tmp_path: Path) -> None:
    path = tmp_path / "catalog.lock"
    lockfile.write(lock, path)
    again = lockfile.read(path)
    assert again == lock
    assert again.path == str(path)
    lockfile.write(again, path)
    assert lockfile.dumps(again) == path.read_text()  # same lock, same bytes



def test_a_lock_edited_by_hand_reads_as_the_written_one(lock: lockfile.Lock, tmp_path: Path) -> None:
    """``read`` takes the fast block-YAML reader for what ``write`` wrote and PyYAML for
    anything else: both must give the same lock."""
    path = tmp_path / "catalog.lock"
    lockfile.write(lock, path)
    written = lockfile.read(path)
    text = path.read_text()
    # A comment between fields, an anchor and a flow sequence: the fast reader declines each.
    edited = (text.replace("resolved:", "# a note\nresolved:", 1)
              .replace("tektonVersion: ", "tektonVersion: &t ", 1)
              .replace("requirements:\n- deploy-pipeline@^1.0\n", "requirements: [deploy-pipeline@^1.0]\n", 1))
    assert edited.count("\n") == text.count("\n") and "&t" in edited and "[deploy" in edited
    path.write_text(edited)
    by_hand = lockfile.read(path)
    assert by_hand == written == lock

def test_why_from_the_lock(lock: lockfile.Lock, cat: MemoryCatalog) -> None:
    newest = lockfile.newest_for(cat, lock, "kubectl-deploy")
    assert newest == "0.2"  # 0.3 needs Tekton 0.60
    assert lock.why("kubectl-deploy", newest=newest) == [
        "kubectl-deploy 0.2: required by deploy-pipeline 1.0 (^0.2), which you asked for (deploy-pipeline@^1.0)",
        "kubectl-deploy 0.2: the newest version satisfying ^0.2 and Tekton 0.59.0",
    ]
    assert lock.why("kubectl-deploy")[-1] == "kubectl-deploy 0.2: the locked version satisfying ^0.2 and Tekton 0.59.0"
    with pytest.raises(NotFound):
        lock.why("kaniko")


def test_check_locked_gives_the_entries_in_install_order(lock: lockfile.Lock, cat: MemoryCatalog) -> None:
    entries = lockfile.check_locked(cat, lock)
    # Dependencies first, in the order each entry lists them.
    assert [(e.kind, e.name, e.version) for e in entries] == [
        ("Task", "kubectl-deploy", "0.2"), ("StepAction", "git-clone", "0.1"), ("Task", "git-clone", "0.1"),
        ("Pipeline", "deploy-pipeline", "1.0"),
    ]
    assert lockfile.verify(cat, lock) == entries


def test_check_locked_refuses_a_changed_digest(lock: lockfile.Lock) -> None:
    changed = [replace(e, digest="sha256:tampered") if e.name == "kubectl-deploy" else e for e in ENTRIES]
    with pytest.raises(DigestMismatch) as info:
        lockfile.check_locked(MemoryCatalog(changed), lock)
    assert str(info.value) == (
        "kubectl-deploy 0.2 changed in catalog memory: its digest is sha256:tampered, the lock has "
        "sha256:kubectl-deploy-0.2 (run `catalog lock` to accept the new content)")


def test_check_locked_refuses_a_vanished_version(lock: lockfile.Lock) -> None:
    gone = [e for e in ENTRIES if (e.name, e.version) != ("kubectl-deploy", "0.2")]
    with pytest.raises(NotFound) as info:
        lockfile.check_locked(MemoryCatalog(gone), lock)
    assert str(info.value) == (
        "kubectl-deploy 0.2 is locked but catalog memory no longer has it "
        "(kubectl-deploy has no version 0.2 (versions: 0.3))")


def test_verify_finds_a_lock_its_requirements_no_longer_give(lock: lockfile.Lock, cat: MemoryCatalog) -> None:
    newer = MemoryCatalog([*ENTRIES, _entry("kubectl-deploy", "0.2.5")])
    edited = replace(lock, requirements=(Requirement("deploy-pipeline"), Requirement("kubectl-deploy", ">=0.2.5")))
    with pytest.raises(ResolutionError) as info:
        lockfile.verify(newer, edited)
    assert str(info.value) == ("lock is out of date with its requirements: kubectl-deploy 0.2 (locked), "
                               "kubectl-deploy 0.2.5 (now); run `catalog lock`")


def test_resolve_prefers_locked_versions(lock: lockfile.Lock) -> None:
    newer = MemoryCatalog([*ENTRIES, _entry("kubectl-deploy", "0.2.5")])
    assert resolve(newer, lock.requirements, None, lock)[("Task", "kubectl-deploy")].version == "0.2"
    assert resolve(newer, lock.requirements, None)[("Task", "kubectl-deploy")].version == "0.2.5"


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: catalog.dev/v1\nkind: Index\n", "not a lock file (expected kind: Lock)"),
    ("apiVersion: catalog.dev/v2\nkind: Lock\n", "apiVersion is 'catalog.dev/v2', expected 'catalog.dev/v1'"),
    ("apiVersion: catalog.dev/v1\nkind: Lock\nrequirements: [Bad_Name]\n",
     "{path}: requirements[0]: Bad_Name: 'Bad_Name' is not a resource name (lower case, digits and '-')"),
    ("apiVersion: catalog.dev/v1\nkind: Lock\nresolved: [{kind: Task, name: a, version: '1'}]\n",
     "{path}: resolved[0].digest must be a non-empty string"),
    ("apiVersion: catalog.dev/v1\nkind: Lock\nresolved: {a: 1}\n", "{path}: resolved must be a list"),
    ("apiVersion: catalog.dev/v1\nkind: Lock\ntektonVersion: soon\n",
     "{path}: tektonVersion: 'soon' is not a version (expected e.g. 0.3 or 1.2.0)"),
    (("apiVersion: catalog.dev/v1\nkind: Lock\nresolved:\n- {kind: Task, name: a, version: '1', digest: d, "
      "source: s, dependencies: [b]}\n"), "{path}: resolved[0].dependencies[0]: 'b' is not locked"),
])
def test_bad_lock_file_is_one_line_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "catalog.lock"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        lockfile.read(path)
    assert message.format(path=path) in str(info.value)


def test_missing_lock_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as info:
        lockfile.read(tmp_path / "catalog.lock")
    assert str(info.value) == f"{tmp_path / 'catalog.lock'}: no lock file (run `catalog lock` first)"


def test_builtin_catalog_is_named_builtin_in_the_lock() -> None:
    from catalog_cli.sources.folder import builtin_root

    assert lockfile.source_name(str(builtin_root())) == "builtin"
    assert lockfile.catalog_location("builtin") is None
    assert lockfile.source_name("https://example.com/catalog") == "https://example.com/catalog"


# -- references through resolvers -----------------------------------------------------------
def _ref(resolver: str, **params: str) -> Dependency:
    from catalog_cli.refs import ResolverRef

    via = ResolverRef.from_dict({"resolver": resolver, "params": params}, "Task")
    return Dependency(via.name, via.range or "*", via.kind, via)


COMMIT = "1" * 40
DIGEST = "sha256:" + "2" * 64
REFS = [
    _ref("bundles", bundle="registry.example.com/acme/kubectl-deploy:0.2", name="kubectl-deploy"),
    _ref("git", url="https://git.example.com/acme/catalog.git", revision="v1",
         pathInRepo="task/git-clone/0.1/git-clone.yaml"),
    _ref("hub", name="golangci-lint", version="0.2"),
]


@pytest.fixture
def via_cat() -> MemoryCatalog:
    return MemoryCatalog([_entry("ci", "1.0", *REFS, kind="Pipeline"), _entry("kubectl-deploy", "0.2"),
                          _entry("git-clone", "0.1")], name="acme")


def _known() -> object:
    from catalog_cli.known import Known, KnownCatalog

    return Known((KnownCatalog("acme", ("https://git.example.com/acme/catalog",), ("registry.example.com/acme",)),))


def _pins() -> object:
    from catalog_cli.pins import FixedPins

    return FixedPins({"registry.example.com/acme/kubectl-deploy:0.2": DIGEST},
                     {("https://git.example.com/acme/catalog.git", "v1"): COMMIT})


def _via_lock(cat: MemoryCatalog, pinner: object, prior: lockfile.Lock | None = None) -> lockfile.Lock:
    from catalog_cli.actions.lock import references

    known = _known()
    res = resolve(cat, [parse_requirement("ci")], known=known)  # type: ignore[arg-type]
    return lockfile.from_resolution(res, references=references(res, cat, known, pinner, prior))  # type: ignore[arg-type]


def test_references_are_locked_with_their_pins(via_cat: MemoryCatalog, tmp_path: Path) -> None:
    lock = _via_lock(via_cat, _pins())
    data = lock.to_data()["resolved"]
    assert [(d["name"], d["requiredBy"]) for d in data[:2]] == [
        ("kubectl-deploy", [{"kind": "Pipeline", "name": "ci", "range": "=0.2.0", "via": "bundles"}]),
        ("git-clone", [{"kind": "Pipeline", "name": "ci", "range": "=0.1.0", "via": "git"}])]
    assert data[2]["references"] == [
        {"resolver": "bundles", "kind": "Task", "name": "kubectl-deploy", "target": "kubectl-deploy",
         "params": {"bundle": "registry.example.com/acme/kubectl-deploy:0.2", "name": "kubectl-deploy"},
         "digest": DIGEST},
        {"resolver": "git", "kind": "Task", "name": "git-clone", "target": "git-clone",
         "params": {"url": "https://git.example.com/acme/catalog.git", "revision": "v1",
                    "pathInRepo": "task/git-clone/0.1/git-clone.yaml"}, "commit": COMMIT},
        {"resolver": "hub", "kind": "Task", "name": "golangci-lint",
         "params": {"name": "golangci-lint", "version": "0.2"},
         "external": "the hub's default catalog: no configured repo (name one in the catalog param)",
         "unpinned": "a hub reference names a version, not content (the hubs give no digest)"},
    ]
    path = tmp_path / "catalog.lock"
    lockfile.write(lock, path)
    assert lockfile.read(path) == lock
    assert "via: bundles" in path.read_text()


def test_offline_says_what_is_unpinned_and_a_relock_keeps_earlier_pins(via_cat: MemoryCatalog) -> None:
    offline = _via_lock(via_cat, None)
    assert [(r.pin, r.unpinned) for r in offline.resolved[-1].references[:2]] == [
        (None, "offline: the registry was not asked"), (None, "offline: git was not asked")]
    first = _via_lock(via_cat, _pins())
    pinner = _pins()
    again = _via_lock(via_cat, pinner, prior=first)
    assert again == first and pinner.asked == []  # type: ignore[attr-defined]
    assert _via_lock(via_cat, None, prior=first) == first  # offline too


def test_a_registry_or_git_that_fails_leaves_the_reason(via_cat: MemoryCatalog) -> None:
    from catalog_cli.pins import FixedPins

    lock = _via_lock(via_cat, FixedPins())
    assert [r.unpinned for r in lock.resolved[-1].references[:2]] == [
        "no such tag in the registry", "no branch or tag 'v1'"]


def test_why_names_the_reference_and_explains_an_external_one(via_cat: MemoryCatalog) -> None:
    lock = _via_lock(via_cat, _pins())
    assert lock.why("kubectl-deploy") == [
        "kubectl-deploy 0.2: required by ci 1.0 (=0.2.0) via bundles, which you asked for (ci)",
        "kubectl-deploy 0.2: the locked version satisfying =0.2.0",
        f"kubectl-deploy 0.2: ci 1.0 fetches it through bundles registry.example.com/acme/kubectl-deploy:0.2, "
        f"pinned to {DIGEST}",
    ]
    assert lock.why_external("golangci-lint") == [
        "golangci-lint: ci 1.0 fetches it through hub (default catalog)/golangci-lint 0.2, unpinned: a hub "
        "reference names a version, not content (the hubs give no digest); not resolved: the hub's default "
        "catalog: no configured repo (name one in the catalog param)"]
    with pytest.raises(NotFound, match="kaniko is not in the lock"):
        lock.why_external("kaniko")


def test_check_pins_finds_a_moved_tag_and_says_what_it_could_not_check(via_cat: MemoryCatalog) -> None:
    from catalog_cli.pins import FixedPins

    lock = _via_lock(via_cat, _pins())
    assert lockfile.check_pins(lock, _pins()) == []  # type: ignore[arg-type]
    moved = FixedPins({"registry.example.com/acme/kubectl-deploy:0.2": "sha256:" + "3" * 64},
                      {("https://git.example.com/acme/catalog.git", "v1"): COMMIT})
    with pytest.raises(DigestMismatch, match=r"ci 1.0: bundles registry.example.com/acme/kubectl-deploy:0.2 now "
                                             r"names sha256:3{64}, the lock has sha256:2{64}"):
        lockfile.check_pins(lock, moved)
    assert lockfile.check_pins(lock, None) == [
        "ci 1.0: bundles registry.example.com/acme/kubectl-deploy:0.2 not checked: offline: the registry was not asked",
        "ci 1.0: git https://git.example.com/acme/catalog.git@v1:task/git-clone/0.1/git-clone.yaml not checked: "
        "offline: git was not asked"]


@pytest.mark.parametrize(("reference", "message"), [
    ("{resolver: hub, kind: Task, name: x, params: {version: 1}}", "resolved[0].references[0].params must map"),
    ("{resolver: hub, kind: Task, name: x, target: y}", "resolved[0].references[0].target: 'y' is not locked"),
    ("{kind: Task, name: x}", "resolved[0].references[0].resolver must be a non-empty string"),
    ("{resolver: git, kind: Task, name: x, commit: ''}", "resolved[0].references[0].commit must be a non-empty"),
    ("not-a-mapping", "resolved[0].references[0] must be a mapping"),
])
def test_a_bad_reference_in_a_lock_is_one_line(tmp_path: Path, reference: str, message: str) -> None:
    path = tmp_path / "catalog.lock"
    path.write_text("apiVersion: catalog.dev/v1\nkind: Lock\nresolved:\n- {kind: Pipeline, name: a, version: '1', "
                    f"digest: d, source: s, references: [{reference}]}}\n")
    with pytest.raises(InputError) as info:
        lockfile.read(path)
    assert message in str(info.value)
