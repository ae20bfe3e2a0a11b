"""The Catalog protocol: MemoryCatalog (the fake), IndexCatalog (a folder) and Layered
give the same answers for the same entries, and each has every member of the protocol
with the protocol's parameters."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from catalog_cli import index as index_mod
from catalog_cli import yamlio
from catalog_cli.errors import DigestMismatch, InputError, NotFound
from catalog_cli.model import Entry
from catalog_cli.sources import Catalog, open_catalog
from catalog_cli.sources.folder import IndexCatalog
from catalog_cli.sources.layered import Layered
from catalog_cli.sources.memory import MemoryCatalog

IMAGE = "alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"


def resource(kind: str, name: str, version: str, **annotations: str) -> dict[str, Any]:
    api = "tekton.dev/v1beta1" if kind == "StepAction" else "tekton.dev/v1"
    spec: dict[str, Any] = {"description": f"{name} does things.\n\nMore."}
    if kind == "StepAction":
        spec["image"] = IMAGE
    else:
        spec["steps"] = [{"name": "run", "image": IMAGE, "script": "true"}]
        spec["params"] = [{"name": "flag", "default": "x", "description": "A flag."}]
    return {"apiVersion": api, "kind": kind,
            "metadata": {"name": name, "labels": {"app.kubernetes.io/version": version},
                         "annotations": annotations},
            "spec": spec}


TREE = [
    ("Task", "git-clone", "0.9", {"tekton.dev/tags": "git", "tekton.dev/categories": "Git"}),
    ("Task", "git-clone", "0.10", {"tekton.dev/tags": "git", "tekton.dev/categories": "Git",
                                   "tekton.dev/platforms": "linux/amd64,linux/arm64"}),
    ("Task", "git-clone", "1.0.0-rc.1", {"tekton.dev/tags": "git"}),
    ("StepAction", "git-clone", "0.1", {"tekton.dev/tags": "git"}),
    ("Task", "kaniko", "0.2", {"tekton.dev/tags": "image, build", "tekton.dev/displayName": "Kaniko"}),
    ("Pipeline", "build", "1.0", {"tekton.dev/categories": "Build", "catalog.dev/dependencies": "kaniko ^0.2"}),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cat")
    for kind, name, version, ann in TREE:
        folder = root / kind.lower() / name / version
        folder.mkdir(parents=True)
        (folder / f"{name}.yaml").write_text(yamlio.dump(resource(kind, name, version, **ann)))
    (root / "task" / "kaniko" / "0.2" / "rbac.yaml").write_text(
        yamlio.dump({"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}))
    index_mod.write(root)
    return root


def memory_of(root: Path, **kw: Any) -> MemoryCatalog:
    """The same catalog as the folder, held in memory."""
    entries = list(index_mod.load(root))
    files = {f.path: (root / f.path).read_bytes() for e in entries for f in e.files}
    return MemoryCatalog(entries, files, **kw)


@pytest.fixture(params=["memory", "folder", "layered"])
def catalog(request: pytest.FixtureRequest, tree: Path) -> Catalog:
    if request.param == "memory":
        return memory_of(tree, name="team")
    folder = open_catalog(str(tree))
    if request.param == "folder":
        folder.name = "team"  # type: ignore[misc]  # as open_repo names a repo's catalog
        return folder
    empty = MemoryCatalog([], name="other")
    return Layered([memory_of(tree, name="team"), empty])


def _typed(m: MemoryCatalog, i: IndexCatalog, layered: Layered) -> list[Catalog]:
    """Checked by mypy: each class is a Catalog."""
    return [m, i, layered]


PROTOCOL = [n for n in dir(Catalog) if not n.startswith("_")]


@pytest.mark.parametrize("cls", [MemoryCatalog, IndexCatalog, Layered])
def test_every_protocol_member_is_there_with_its_parameters(cls: type) -> None:
    assert {"names", "get", "read_file", "detail", "location", "warnings"} <= set(PROTOCOL)
    for member in PROTOCOL:
        want = getattr(Catalog, member)
        if isinstance(want, property):
            continue  # an attribute, checked on instances below
        got = getattr(cls, member, None)
        assert callable(got), f"{cls.__name__} has no {member}()"
        assert list(inspect.signature(got).parameters) == list(inspect.signature(want).parameters), member


def test_instances_carry_the_protocol_attributes(catalog: Catalog) -> None:
    assert isinstance(catalog.location, str) and catalog.location
    assert isinstance(catalog.warnings, list)
    assert catalog.name is None or isinstance(catalog.name, str)


def test_names_kinds_versions(catalog: Catalog) -> None:
    assert catalog.names() == ["build", "git-clone", "kaniko"]
    assert catalog.kinds("git-clone") == ["Task", "StepAction"]
    assert catalog.kinds("nope") == []
    assert [e.version for e in catalog.versions("git-clone")] == ["1.0.0-rc.1", "0.10", "0.9"]
    assert [e.version for e in catalog.versions("git-clone", "StepAction")] == ["0.1"]
    with pytest.raises(NotFound, match="is a Task and a StepAction"):
        catalog.versions("git-clone", "Pipeline")
    with pytest.raises(NotFound, match="no 'nope'"):
        catalog.versions("nope")


def test_get_prefers_the_newest_stable_version(catalog: Catalog) -> None:
    assert catalog.get("git-clone").version == "0.10"
    assert catalog.get("git-clone", "1.0.0-rc.1").version == "1.0.0-rc.1"
    assert catalog.get("team/kaniko").name == "kaniko"
    with pytest.raises(NotFound, match="has no version 2.0"):
        catalog.get("git-clone", "2.0")


@pytest.mark.parametrize(("term", "filters", "want"), [
    # A name's kinds in alphabetical order, as the SQL of an indexed catalog sorts them.
    ("", {}, [("build", "Pipeline"), ("git-clone", "StepAction"), ("git-clone", "Task"), ("kaniko", "Task")]),
    ("git", {}, [("git-clone", "StepAction"), ("git-clone", "Task")]),
    ("build", {}, [("build", "Pipeline"), ("kaniko", "Task")]),
    ("", {"tag": "build"}, [("kaniko", "Task")]),
    ("", {"category": "git"}, []),  # the newest git-clone Task has no category
    ("", {"kind": "stepaction"}, [("git-clone", "StepAction")]),
    ("", {"platform": "linux/arm64"}, []),
    ("kan", {"platform": "linux/amd64"}, [("kaniko", "Task")]),  # no platforms: linux/amd64
    # Every word, anywhere, in any order; names holding the words first.
    ("image build", {}, [("kaniko", "Task")]),
    ("git clone", {}, [("git-clone", "StepAction"), ("git-clone", "Task")]),
    ("git  nothing-like-this", {}, []),
])
def test_search(catalog: Catalog, term: str, filters: dict[str, str], want: list[tuple[str, str]]) -> None:
    hits = catalog.search(term, **filters)
    assert [(h.name, h.kind) for h in hits] == want
    for h in hits:
        if (h.name, h.kind) == ("git-clone", "Task"):
            assert h.versions == ("1.0.0-rc.1", "0.10", "0.9")
            assert h.latest.version == "1.0.0-rc.1"


def test_files_are_digest_checked(catalog: Catalog) -> None:
    entry = catalog.get("kaniko")
    rbac = next(f for f in entry.files if f.path.endswith("rbac.yaml"))
    assert catalog.has_file(rbac.path, rbac.digest)
    assert not catalog.has_file(rbac.path, entry.digest)
    assert b"configmaps" in catalog.read_file(rbac.path, rbac.digest)
    with pytest.raises(DigestMismatch):
        catalog.read_file(rbac.path, entry.digest)


def test_documents_and_details(catalog: Catalog) -> None:
    entry = catalog.get("build")
    assert catalog.load_resource(entry)["kind"] == "Pipeline"
    detail = catalog.detail(catalog.get("git-clone"))
    assert [p.name for p in detail.params] == ["flag"]
    assert detail.description.startswith("git-clone does things.")


def test_pin_accepts_only_a_repo_of_the_catalog(catalog: Catalog) -> None:
    catalog.pin("kaniko", "team")
    with pytest.raises(NotFound, match="'elsewhere'"):
        catalog.pin("kaniko", "elsewhere")


def test_layered_takes_a_name_from_its_first_member_only(tree: Path) -> None:
    other = Entry("kaniko", "Task", "9.0", "task/kaniko/9.0/kaniko.yaml", "sha256:" + "0" * 64)
    first, second = MemoryCatalog([other], name="first"), memory_of(tree, name="second")
    layered = Layered([first, second])
    assert [e.version for e in layered.versions("kaniko")] == ["9.0"]  # never mixed with 0.2
    assert layered.get("second/kaniko").version == "0.2"
    assert [(h.name, h.kind) for h in layered.search("kaniko")] == [("kaniko", "Task")]
    assert layered.search("kaniko")[0].latest.version == "9.0"
    layered.pin("kaniko", "second")
    assert layered.get("kaniko").version == "0.2"
    assert layered.warnings == []


@pytest.mark.parametrize(("key", "entry", "needle"), [
    ("harmless-tool", Entry("kubectl-deploy", "Task", "0.1", "a.yaml", "sha256:" + "0" * 64),
     "entries.harmless-tool[0].name is 'kubectl-deploy', not its key 'harmless-tool'"),
    ("evil", Entry("evil", "ClusterRoleBinding", "0.1", "a.yaml", "sha256:" + "0" * 64),
     "entries.evil[0].kind 'ClusterRoleBinding' is none of Task, Pipeline, StepAction, Template"),
])
def test_no_loader_puts_an_entry_in_a_cache_under_another_key(key: str, entry: Entry, needle: str,
                                                               settings: Any) -> None:
    """Bundles build their entries in code, not from an index file: the cache checks them too."""
    from catalog_cli.errors import EntryMismatch
    from catalog_cli.sources.cache import open_cache

    with pytest.raises(EntryMismatch) as caught:
        open_cache(f"test:{key}", "k", lambda: ({key: (entry,)}, []), settings, where="oci://r/x@sha256:0")
    assert str(caught.value) == f"oci://r/x@sha256:0: {needle}: refused"


def test_load_gives_the_checked_document_and_the_rules_of_rbac_yaml(catalog: Catalog) -> None:
    entry = catalog.get("kaniko")
    verified = catalog.load(entry)
    assert verified.entry == entry
    assert verified.document["metadata"]["name"] == "kaniko"
    assert [r.to_dict() for r in verified.rules] == [{"apiGroups": [""], "resources": ["configmaps"],
                                                     "verbs": ["get"]}]
    assert catalog.load_resource(entry) == verified.document
    detail = catalog.detail(entry)
    assert detail.rules == verified.rules and detail.mismatches == ()
    assert catalog.load(catalog.get("git-clone")).rules == ()  # no rbac.yaml: no rules


# -- provenance: origin() and open_origin() ----------------------------------------------
def test_origin_names_the_source_never_a_local_path(tree: Path, tmp_path: Path, settings: Any) -> None:
    from catalog_cli import repos
    from catalog_cli.sources import open_origin

    from .httpserve import serve

    folder = open_catalog(str(tree))
    assert folder.origin(folder.get("kaniko")) == f"folder:{tree.name}"
    by_file = open_catalog(str(tree / "index.yaml"))
    assert by_file.origin(by_file.get("kaniko")) == f"folder:{tree.name}"
    builtin = open_catalog("builtin")
    assert builtin.origin(builtin.get("kubectl-deploy")) == "builtin"
    repos.add(repos.make("team", str(tree)), settings)
    layered = open_catalog(None)
    assert layered.origin(layered.get("kaniko")) == "team"
    assert layered.origin(layered.get("kubectl-deploy")) == "builtin"
    assert layered.origin(layered.get("builtin/git-clone")) == "builtin"  # shadowed by team's git-clone
    with serve(tree) as url:
        secret_url = url + "/?sig=s3cr3t"  # a signed query; credentials in URLs are refused outright
        remote = open_catalog(secret_url)
        assert remote.origin(remote.get("kaniko")) == url  # redacted: no query, no slash
        assert open_origin(url).get("kaniko") == remote.get("kaniko")
    assert MemoryCatalog([], name="mem").origin(remote.get("kaniko")) == "mem"
    assert open_origin("team").get("kaniko") == folder.get("kaniko")
    assert open_origin("builtin").name == "builtin"


@pytest.mark.parametrize(("origin", "error", "needle"), [
    ("folder:cat", NotFound, "pass it again with --catalog"),
    ("gone", NotFound, "no repo named 'gone'"),
    ("Not A Repo", InputError, "a repo name is lower case"),
    ("oci://no-registry-here", InputError, "expected REGISTRY/REPOSITORY"),
])
def test_open_origin_refuses_what_it_cannot_reopen(origin: str, error: type, needle: str) -> None:
    from catalog_cli.sources import open_origin

    with pytest.raises(error, match=needle):
        open_origin(origin)


def test_installed_objects_carry_the_origin_not_the_location(tree: Path) -> None:
    import json

    from catalog_cli.actions.render import render
    from catalog_cli.manifests import SOURCE_ANNOTATION

    objs = render(open_catalog(str(tree)), ["build"], "team-a")
    assert {o["metadata"]["annotations"][SOURCE_ANNOTATION] for o in objs} == {f"folder:{tree.name}"}
    assert str(tree) not in json.dumps(objs)
    objs = render(open_catalog(None), ["kubectl-deploy"], "team-a")
    assert {o["metadata"]["annotations"][SOURCE_ANNOTATION] for o in objs} == {"builtin"}


def test_the_folder_source_names_the_index_file_as_the_index_module_does() -> None:
    # folder.py keeps its own copy so that opening a cached catalog skips the index module.
    from catalog_cli.sources import folder

    assert folder.INDEX_NAME == index_mod.INDEX_NAME


def test_a_search_gives_every_version_of_each_hit_as_the_memory_catalog_does(tmp_path: Path) -> None:
    # An indexed catalog keeps each name's versions on the row of its newest version
    # (sources/cache._rows); they must be the versions, in the order, memory has them.
    entries = [Entry(f"task-{i:04d}{'-git' if i % 7 == 0 else ''}", kind, version,
                     f"{kind.lower()}/t{i}/{version}/t.yaml", "sha256:" + "0" * 64)
               for i in range(300)
               for kind in (("Task", "StepAction") if i % 50 == 0 else ("Task",))
               for version in ("0.1", "0.10", "0.9", "1.0.0-rc.1")[: 1 + i % 4]]
    by_name: dict[str, list[Entry]] = {}
    for e in entries:
        by_name.setdefault(e.name, []).append(e)
    root = tmp_path / "many"
    root.mkdir()
    (root / "index.yaml").write_text(index_mod.render(
        index_mod.Index({n: index_mod.order(items) for n, items in by_name.items()}), "yaml"))
    indexed, memory = open_catalog(str(root)), MemoryCatalog(entries)

    def hits(cat: Catalog, term: str, **filters: str) -> list[tuple[str, str, Entry, tuple[str, ...]]]:
        return [(h.name, h.kind, h.latest, h.versions) for h in cat.search(term, **filters)]

    everything = hits(indexed, "")
    assert len(everything) == 306
    assert everything == hits(memory, "")
    versions = {(name, kind): v for name, kind, _, v in everything}
    assert versions["task-0003", "Task"] == ("1.0.0-rc.1", "0.10", "0.9", "0.1")
    assert versions["task-0001", "Task"] == ("0.10", "0.1")
    assert hits(indexed, "git") == hits(memory, "git")
    assert hits(indexed, "", kind="StepAction") == hits(memory, "", kind="StepAction")
