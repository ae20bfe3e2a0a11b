"""What a run over many namespaces asks the cluster, over the in-memory FakeCluster: one
list of namespaces, one rights question for an administrator, the install records in
one request, no read of an object before creating it where nothing is catalog's, and
every check that protects other people's objects kept. test_round_trips_cluster.py
proves the same on the real API server; benchmarks/bench_install.py measures it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.upgrade import upgrade
from catalog_cli.cluster.base import EVERYTHING, MANY, Access, ObjectRef, ResourceRules
from catalog_cli.cluster.client import _conflicts
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import RECORD_KEY, RECORD_NAME, WASTE, RecordStore
from catalog_cli.errors import ClusterError, Forbidden, InputError
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

NAMESPACES = tuple(f"team-{i}" for i in range(MANY + 2))
OBJECT_KINDS = {"Task", "ServiceAccount", "Role", "RoleBinding"}


class Watched(FakeCluster):
    """A FakeCluster that remembers every request (verb, object) and rights question."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.seen: list[tuple[str, ObjectRef]] = []
        self.questions: list[Access] = []
        self.reviews: list[str] = []
        self.fault = self._watch

    def _watch(self, verb: str, ref: ObjectRef) -> ClusterError | None:
        self.seen.append((verb, ref))
        return None

    def can_i(self, access: Access) -> bool:
        self.questions.append(access)
        return super().can_i(access)

    def rules_in(self, namespace: str) -> tuple[ResourceRules, bool]:
        self.reviews.append(namespace)
        return super().rules_in(namespace)

    def verbs(self, kinds: set[str] = OBJECT_KINDS) -> Counter[str]:
        return Counter(verb for verb, ref in self.seen if ref.kind in kinds)


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog("builtin")


@pytest.fixture
def cluster() -> Watched:
    return Watched(namespaces=set(NAMESPACES))


@pytest.fixture
def opts(tmp_path: Path) -> Any:
    settings = Settings.from_env().but(state_home=tmp_path / "state", undo_patience=0.0)

    def make(*namespaces: str, **kw: Any) -> Options:
        return Options(namespaces or NAMESPACES, settings=settings, **kw)
    return make


def versions(cluster: FakeCluster) -> dict[ObjectRef, str]:
    return {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()}


def test_a_first_install_into_many_namespaces_creates_without_reading(
        builtin: Any, cluster: Watched, opts: Any) -> None:
    report = install(builtin, cluster, ["git-clone", "kaniko"], opts())
    objects = 8 * len(NAMESPACES)  # two Tasks, each with a ServiceAccount, a Role and a RoleBinding
    assert sum(1 for c in report.changes if c.action == "create") == objects
    # Not one read of an object: every one a create, which the server refuses if it exists.
    assert cluster.verbs() == {"create": objects}
    # Which namespaces exist, and every install record: one request each.
    assert [(v, r) for v, r in cluster.seen if r.kind == "Namespace"] == [("list", ObjectRef("Namespace", "", ""))]
    records = [(v, r) for v, r in cluster.seen if r.kind == "ConfigMap"]
    assert records[0] == ("list", ObjectRef("ConfigMap", "", RECORD_NAME))
    assert Counter(v for v, _ in records[1:]) == {"create": len(NAMESPACES)}
    # One rights question answers everything for an administrator.
    assert cluster.questions == [EVERYTHING] and cluster.reviews == []


def test_a_second_install_reads_each_namespace_once_per_kind(builtin: Any, cluster: Watched, opts: Any) -> None:
    install(builtin, cluster, ["git-clone"], opts())
    cluster.seen.clear()
    report = install(builtin, cluster, ["git-clone"], opts())
    assert not report.changed
    # What catalog made is read before it is changed or called unchanged: a list per kind.
    assert cluster.verbs() == {"list": 4 * len(NAMESPACES)}
    assert cluster.verbs({"ConfigMap"}) == {"list": 1}


def test_an_object_where_nothing_is_catalogs_stops_the_install_untouched(
        builtin: Any, cluster: Watched, opts: Any) -> None:
    theirs = cluster.add({"apiVersion": "tekton.dev/v1", "kind": "Task",
                          "metadata": {"name": "git-clone", "namespace": "team-5"}, "spec": {"steps": []}})
    ref = ObjectRef.of(theirs)
    with pytest.raises(ClusterError) as info:
        install(builtin, cluster, ["git-clone"], opts())
    assert str(info.value) == f"{ref} exists and was not made by catalog; --adopt takes it over; nothing was changed"
    # Their Task was never written to (only a create of that name was refused), and
    # nothing catalog wrote elsewhere before that is left.
    assert all(verb in ("create", "list", "get") for verb, r in cluster.seen if r == ref)
    assert cluster.objects == {ref: cluster.objects[ref]}
    assert cluster.objects[ref]["metadata"]["resourceVersion"] == theirs["metadata"]["resourceVersion"]


def test_the_refusal_is_the_one_a_run_that_reads_first_gives(builtin: Any, opts: Any) -> None:
    said = []
    for namespaces in (NAMESPACES, ("team-5",)):
        cluster = FakeCluster(namespaces=set(NAMESPACES))
        cluster.add({"apiVersion": "tekton.dev/v1", "kind": "Task", "spec": {"steps": []},
                     "metadata": {"name": "git-clone", "namespace": "team-5",
                                  "labels": {"app.kubernetes.io/version": "0.9", "hub.tekton.dev/catalog": "tekton"}}})
        with pytest.raises(ClusterError) as info:
            install(builtin, cluster, ["git-clone"], opts(*namespaces))
        said.append(str(info.value).split(": ", 1)[-1])
    assert said[0] == said[1] and "installed by tkn hub (version 0.9)" in said[0]


def test_adopting_reads_first(builtin: Any, cluster: Watched, opts: Any) -> None:
    cluster.add({"apiVersion": "tekton.dev/v1", "kind": "Task", "spec": {"steps": []},
                 "metadata": {"name": "git-clone", "namespace": "team-5"}})
    install(builtin, cluster, ["git-clone"], opts(adopt=True))
    assert cluster.verbs({"Task"})["list"] == len(NAMESPACES)
    assert "patch" in cluster.verbs({"Task"})  # server-side apply, taking the fields over


@pytest.mark.parametrize("mode", ["client", "server"])
def test_a_dry_run_reads_to_say_what_is_there(builtin: Any, cluster: Watched, opts: Any, mode: str) -> None:
    report = install(builtin, cluster, ["git-clone"], opts(dry_run=mode))
    sent = cluster.verbs()
    assert sent.pop("list") == 4 * len(NAMESPACES)
    # A server dry run sends each write as a server-side apply with dryRun (the fake
    # checks the create right of an apply that would create, as it counts it).
    assert sent == ({} if mode == "client" else {"patch": 4 * len(NAMESPACES), "create": 4 * len(NAMESPACES)})
    assert report.changed and cluster.objects == {}


def test_an_upgrade_takes_over_the_fields_its_create_made(builtin: Any, cluster: Watched, opts: Any) -> None:
    # A create leaves the fields to catalog's *update*; an apply changing them conflicts
    # with that and nobody else, and is sent again forced, bound to the version read.
    install(builtin, cluster, ["git-clone@0.1"], opts("team-0"))
    task = ObjectRef("Task", "team-0", "git-clone")
    assert cluster.objects[task]["metadata"]["managedFields"] == [{"manager": "catalog", "operation": "Update"}]
    cluster.seen.clear()
    report = upgrade(builtin, cluster, ["git-clone@0.2"], opts("team-0"))
    assert [p["status"] for p in report.packages] == ["0.1 -> 0.2"]
    assert [v for v, r in cluster.seen if r == task] == ["patch", "patch"]  # refused, then forced
    assert {"manager": "catalog", "operation": "Apply"} in cluster.objects[task]["metadata"]["managedFields"]


def test_a_conflict_with_anyone_else_is_never_forced() -> None:
    # The causes of a refused apply, as the API server sends them (captured from 1.20).
    def refused(*managers: str) -> dict[str, Any]:
        return {"kind": "Status", "code": 409, "reason": "Conflict", "details": {"causes": [
            {"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using v1', "field": ".data.k"}
            for m in managers]}}
    assert _conflicts(refused("catalog", "catalog")) == ("catalog",)
    assert _conflicts(refused("catalog", "kubectl-edit")) == ("catalog", "kubectl-edit")
    assert _conflicts({"details": {"causes": [{"reason": "FieldManagerConflict", "message": "garbled"}]}}) == ("",)
    assert _conflicts({"message": "not found"}) == ()


def test_records_of_other_namespaces_are_never_read_as_these(builtin: Any, cluster: Watched, opts: Any) -> None:
    # A record that would be refused as tampered, in a namespace the run does not touch.
    cluster.namespaces.add("elsewhere")
    cluster.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": RECORD_NAME, "namespace": "elsewhere"},
                 "data": {RECORD_KEY: '{"packages": {"Task/x": {"name": "y"}}}'}})
    install(builtin, cluster, ["git-clone"], opts())
    assert ("list", ObjectRef("ConfigMap", "", RECORD_NAME)) in cluster.seen
    assert all(RecordStore(cluster).read(ns).record.packages for ns in NAMESPACES)


def test_records_are_read_one_by_one_when_the_cluster_holds_many_more(builtin: Any, opts: Any) -> None:
    cluster = Watched(namespaces=set(NAMESPACES))
    crowd = [f"other-{i}" for i in range(WASTE * len(NAMESPACES) + 1)]
    cluster.namespaces |= set(crowd)
    install(builtin, cluster, ["git-clone"], opts(*crowd))
    assert RecordStore(cluster).read_many(NAMESPACES) is None
    cluster.seen.clear()
    install(builtin, cluster, ["git-clone"], opts())
    gets = [r for v, r in cluster.seen if v == "get" and r.kind == "ConfigMap"]
    assert sorted(r.namespace for r in gets) == sorted(NAMESPACES)
    assert all(RecordStore(cluster).read(ns).record.packages for ns in NAMESPACES)


def test_a_caller_who_may_not_list_everywhere_reads_each_namespace(builtin: Any, opts: Any) -> None:
    cluster = Watched(namespaces=set(NAMESPACES))

    def everywhere_refused(verb: str, ref: ObjectRef) -> ClusterError | None:
        cluster.seen.append((verb, ref))
        if verb == "list" and not ref.namespace:
            return ClusterError("Forbidden", str(ref), 403)
        return None
    cluster.fault = everywhere_refused
    install(builtin, cluster, ["git-clone"], opts())
    assert Counter(v for v, r in cluster.seen if r.kind == "Namespace") == {"list": 1, "get": len(NAMESPACES)}
    assert Counter(v for v, r in cluster.seen if r.kind == "ConfigMap") == {"list": 1, "get": len(NAMESPACES),
                                                                           "create": len(NAMESPACES)}
    assert all(RecordStore(cluster).read(ns).record.packages for ns in NAMESPACES)

    def namespaces_refused(verb: str, ref: ObjectRef) -> ClusterError | None:
        return everywhere_refused(verb, ref) or (
            ClusterError("Forbidden", str(ref), 403) if ref.kind == "Namespace" else None)
    cluster.seen.clear()
    cluster.fault = namespaces_refused
    install(builtin, cluster, ["kaniko"], opts())
    # Namespaces are cluster-wide: one refused read says the others would be too.
    assert Counter(v for v, r in cluster.seen if r.kind == "Namespace") == {"list": 1, "get": 1}
    assert all(RecordStore(cluster).read(ns).record.find("kaniko") for ns in NAMESPACES)


def test_a_missing_namespace_is_found_in_the_list(builtin: Any, cluster: Watched, opts: Any) -> None:
    cluster.namespaces.discard("team-3")
    with pytest.raises(InputError, match="namespace 'team-3' does not exist"):
        install(builtin, cluster, ["git-clone"], opts())
    assert [v for v, r in cluster.seen if r.kind == "Namespace"] == ["list"]
    assert cluster.objects == {}


def test_rights_are_asked_per_namespace_once_each_unless_everything_is_allowed(
        builtin: Any, opts: Any) -> None:
    cluster = Watched(namespaces=set(NAMESPACES), forbidden={("create", "RoleBinding")})
    with pytest.raises(Forbidden) as info:
        install(builtin, cluster, ["git-clone"], opts())
    assert cluster.questions[0] == EVERYTHING
    assert sorted(cluster.reviews) == sorted(NAMESPACES)  # one rules review each, shared by both checks
    assert len(cluster.questions) == len(set(cluster.questions))  # no question asked twice
    assert {row[2] for row in info.value.missing} == set(NAMESPACES)
    assert cluster.objects == {}


def test_one_namespace_asks_as_before(builtin: Any, cluster: Watched, opts: Any) -> None:
    install(builtin, cluster, ["git-clone"], opts("team-0"))
    assert EVERYTHING not in cluster.questions and cluster.reviews == ["team-0"]
    assert [v for v, r in cluster.seen if r.kind == "Namespace"] == ["get"]
    assert ("list", ObjectRef("ConfigMap", "", RECORD_NAME)) not in cluster.seen


def test_the_environment_is_not_read_again_at_every_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's token hook runs before every request; its proxy is chosen once,
    when the connection pool is made, so the environment is not scanned again."""
    import kubernetes.client.configuration as configuration

    from catalog_cli.cluster.client import KubeCluster

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: not-a-secret}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n")
    cluster = KubeCluster(str(kubeconfig))
    reads = []
    monkeypatch.setattr(configuration, "getproxies", lambda: reads.append(1) or {})
    for _ in range(3):
        auth = cluster._cfg.auth_settings()
    assert auth["BearerToken"]["value"] == "Bearer not-a-secret"
    assert reads == []


def test_status_reads_each_kind_once_per_namespace(builtin: Any, cluster: Watched, opts: Any) -> None:
    from catalog_cli.actions.status import status

    install(builtin, cluster, ["git-clone", "kaniko"], opts("team-0", "team-1"))
    cluster.seen.clear()
    rows = status(builtin, cluster, opts("team-0", "team-1")).rows
    assert len(rows) == 4 and all(r["drift"] == [] for r in rows)
    reads = Counter((verb, ref.kind, ref.namespace) for verb, ref in cluster.seen
                    if ref.kind not in ("ConfigMap", "Namespace"))
    # The Tasks read for the drift are the ones looked through for tkn hub's.
    assert reads == Counter({("list", kind, ns): 1 for kind in ("Task", "ServiceAccount", "Role", "RoleBinding",
                                                                "Pipeline") for ns in ("team-0", "team-1")})


@pytest.mark.parametrize("verb", ["status", "history", "diff", "uninstall", "upgrade"])
def test_the_records_of_many_namespaces_are_read_with_one_request(builtin: Any, cluster: Watched, opts: Any,
                                                                  verb: str) -> None:
    from catalog_cli.actions.diff import diff
    from catalog_cli.actions.history import history
    from catalog_cli.actions.status import status
    from catalog_cli.actions.uninstall import uninstall

    install(builtin, cluster, ["git-clone"], opts())
    cluster.seen.clear()
    run = {"status": lambda: status(builtin, cluster, opts()),
           "history": lambda: history(cluster, "git-clone", opts()),
           "diff": lambda: diff(builtin, cluster, ["git-clone"], opts()),
           "uninstall": lambda: uninstall(None, cluster, ["git-clone"], opts()),
           "upgrade": lambda: upgrade(builtin, cluster, ["git-clone"], opts())}
    run[verb]()
    reads = [(v, r) for v, r in cluster.seen if r.kind == "ConfigMap" and v in ("get", "list")]
    # upgrade reads them to know what is installed, then again to plan against what is there now.
    assert reads == [("list", ObjectRef("ConfigMap", "", RECORD_NAME))] * (2 if verb == "upgrade" else 1)


def test_status_holds_what_it_read_of_a_few_namespaces_at_a_time(builtin: Any, cluster: Watched, opts: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """What a namespace's Observer listed is let go once its rows are made: across a
    thousand namespaces, holding every one's objects to the end took 266 MiB."""
    import gc
    import weakref

    from catalog_cli.actions import plan
    from catalog_cli.actions.status import status

    install(builtin, cluster, ["git-clone"], opts())
    alive: weakref.WeakSet[Any] = weakref.WeakSet()
    made = plan.Observer.__init__

    def counted(self: Any, *args: Any, **kw: Any) -> None:
        made(self, *args, **kw)
        alive.add(self)
    monkeypatch.setattr(plan.Observer, "__init__", counted)
    most = 0
    listing = cluster.list

    def watched(*args: Any, **kw: Any) -> Any:
        nonlocal most
        gc.collect()
        most = max(most, len(alive))
        return listing(*args, **kw)
    monkeypatch.setattr(cluster, "list", watched)
    assert len(status(builtin, cluster, opts()).rows) == len(NAMESPACES)
    assert 0 < most <= 8 < len(NAMESPACES)  # per_namespace's eight workers
