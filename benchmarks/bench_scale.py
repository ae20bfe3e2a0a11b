"""How catalog's costs grow (issue 15, point 5): with the size of the index, the number
of namespaces, and the size of a closure, each measured at three sizes or more, with the
growth fitted (the slope of log cost over log size: 1 is linear, 0 flat; and what 10
times the size costs, 10 ** slope).

1. Index size (``--part index``): bench_index.generate()'s index at 1,500, 15,000 and
   50,000 versions (150, 1,500 and 5,000 names x 10), the first 10 names a closure
   (bench_resolve.closure_index) so that one requirement is the same at every size.
   The index is of a tree written with every version's files (Task, README, rbac.yaml).
   `catalog index` of that tree (block YAML and JSON), the first `catalog search`
   (builds the cache) of the index as block YAML and as JSON, cached searches
   ("deploy", which three names in four match, and one name), `catalog info`,
   `catalog lock` of the 10-task closure; index and cache sizes, peak memory.
   Baselines: `python -c pass` and `json.load` of the JSON index.
2. Namespaces (``--part namespaces``): the five built-in Tasks into 10, 50 and 200
   namespaces on a fresh local API server each (scripts/localkube.sh), then once into
   1,000 (catalog alone): install, unchanged re-install, `status -A`, `list --installed
   -A`; catalog's CPU and the API server's and etcd's meanwhile, and their peak memory;
   API requests counted in-process: of `status -A`, and per object of an install and a
   re-install (bench_install.count) on a third set of namespaces. Baseline: `kubectl
   apply --server-side` of the same objects, creating and re-applying (up to
   --kubectl-upto namespaces).
3. Closure size (``--part closure``): a requirement pulling in 10, 50, 100 and 300
   tasks of the 15,000-version index (bench_resolve.closure_index, their files
   written): `catalog lock` and `catalog render` end to end, the resolve alone in-process
   (on the opened catalog and on the entries in memory); then each closure installed
   into a namespace of a local API server, with the size of the install record it
   leaves (a ConfigMap: 1 MiB at most), and with ``--record-limit N`` a closure of N
   tasks installed once to see what happens when its record is too large.

CPU seconds (user + system, of the command; of kube-apiserver and etcd from /proc) are
the main figure: the machine is shared, and the wall time says as much about the other
work as about catalog. Every `catalog` runs with temporary XDG folders.

Run: python benchmarks/bench_scale.py [--part index|namespaces|closure]... [--runs 3]
     [--big-namespaces 1000] [--record-limit 0] [--json results.json]
(the namespaces and closure parts need the local API server built: scripts/localkube.sh build)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_index import first_search
from bench_install import TASKS, Server, count, counting_cluster, create_namespaces, local_server, render_into
from bench_resolve import TEKTON, closure_index, timed
from common import ROOT, Measure, Run, catalog_cmd, load_average, measure, run_once

sys.path.insert(0, str(ROOT))

from catalog_cli import index, yamlio
from catalog_cli.model import DEPENDENCIES_ANNOTATION, Entry, FileDigest

INDEX_NAMES = (150, 1500, 5000)  # x 10 versions: 1,500, 15,000 and 50,000
NAMESPACES = (10, 50, 200)
CLOSURES = (10, 50, 100, 300)
FIXED_CLOSURE = 10  # the requirement locked at every index size
RECORD_LIMIT = 1024 * 1024  # a ConfigMap's data, at most (Kubernetes' ValidateConfigMap)


def growth(sizes: list[int], values: list[float]) -> tuple[float, float]:
    """The least-squares slope of log(value) over log(size), and 10 ** slope (what ten
    times the size multiplies the value by); NaN when a value is not positive."""
    if len(sizes) < 2 or any(v <= 0 for v in values):
        return float("nan"), float("nan")
    xs, ys = [math.log10(s) for s in sizes], [math.log10(v) for v in values]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return slope, 10 ** slope


def linear(sizes: list[int], values: list[float]) -> tuple[float, float]:
    """The least-squares line through the points: (value at size 0, value per unit of
    size). With a fixed cost (Python's start, a fresh client), the log-log slope says
    less than linear; the line says what each unit adds."""
    mx, my = statistics.fmean(sizes), statistics.fmean(values)
    per = sum((x - mx) * (y - my) for x, y in zip(sizes, values, strict=True)) / sum((x - mx) ** 2 for x in sizes)
    return my - per * mx, per


def curve_table(title: str, sizes: list[int], rows: list[tuple[str, list[float], str]],
                size_label: str, per: int = 1) -> list[dict[str, Any]]:
    """Print rows of (label, one value per size, format) with their fitted growth: the
    log-log slope, 10 ** slope, and the line's value at 0 and per ``per`` units."""
    print(f"\n{title}")
    head = (f"{'':52}" + "".join(f"{f'{s:,} {size_label}':>16}" for s in sizes) + f"{'slope':>7}{'x per 10x':>10}"
            f"{'at 0':>10}{f'per {per:,}':>10}")
    print(head)
    out = []
    for label, values, fmt in rows:
        slope, per10 = growth(sizes, values)
        at0, unit = linear(sizes, values)
        print(f"{label:52}" + "".join(f"{format(v, fmt):>16}" for v in values) + f"{slope:7.2f}{per10:10.2f}"
              f"{format(at0, fmt):>10}{format(unit * per, fmt):>10}")
        out.append({"what": label, "sizes": sizes, "values": values, "slope": slope, "per10x": per10,
                    "at0": at0, "per_unit": unit})
    return out


def du(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------- catalog trees


def task_document(e: Entry) -> dict[str, Any]:
    """A Tekton Task carrying ``e``'s metadata, as `catalog index` reads it back."""
    annotations = {
        "tekton.dev/pipelines.minVersion": e.min_pipelines_version,
        "tekton.dev/categories": ", ".join(e.categories),
        "tekton.dev/tags": ", ".join(e.tags),
        "tekton.dev/displayName": e.display_name,
        "tekton.dev/platforms": ",".join(e.platforms),
    }
    if e.dependencies:
        annotations[DEPENDENCIES_ANNOTATION] = "".join(f"{d.kind + '/' if d.kind else ''}{d.name} {d.range}\n"
                                                       for d in e.dependencies)
    return {
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": e.name, "labels": {"app.kubernetes.io/version": e.version},
                     "annotations": annotations},
        "spec": {
            "description": e.description,
            "params": [{"name": "target", "type": "string", "description": "What to work on."}],
            "steps": [{"name": "run", "image": "docker.io/library/alpine:3.20",
                       "script": "#!/bin/sh\necho \"$(params.target)\"\n"}],
        },
    }


def write_tree(root: Path, entries: Iterable[Entry]) -> list[Entry]:
    """Write each entry's Task (with a README, and an rbac.yaml when it has rules) in the
    tektoncd/catalog layout under ``root``; the entries as an index of that tree names
    them (paths, digests and files of what was written)."""
    out = []
    for e in entries:
        rel = f"task/{e.name}/{e.version}"
        folder = root / rel
        folder.mkdir(parents=True)
        files = {f"{rel}/{e.name}.yaml": yamlio.dump(task_document(e)),
                 f"{rel}/README.md": f"# {e.display_name}\n\n{e.description}\n"}
        if e.rbac:
            files[f"{rel}/rbac.yaml"] = yamlio.dump({"rules": [r.to_dict() for r in e.rbac]})
        digests = {}
        for path, text in files.items():
            data = text.encode()
            (root / path).write_bytes(data)
            digests[path] = "sha256:" + hashlib.sha256(data).hexdigest()
        main = f"{rel}/{e.name}.yaml"
        out.append(replace(e, path=main, digest=digests[main],
                           files=tuple(FileDigest(p, d) for p, d in sorted(digests.items()))))
    return out


# ---------------------------------------------------------------- 1. index size


def measure_fresh(label: str, cmd: list[str], runs: int, env: dict[str, str], remove: Path) -> Measure:
    """``measure`` with ``remove`` deleted before each run (a lock file: each run locks afresh)."""
    ms = []
    for _ in range(runs):
        remove.unlink(missing_ok=True)
        ms.append(measure(label, cmd, 1, env))
    return Measure(label, statistics.median(m.seconds for m in ms), max(m.peak_kib for m in ms), runs,
                   statistics.median(m.cpu for m in ms))


def part_index(work: Path, runs: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    cat, py = catalog_cmd(), sys.executable
    per_size: list[dict[str, Measure]] = []
    facts: list[dict[str, float]] = []
    for names in sizes:
        here = work / f"index-{names}"
        tree = here / "tree"
        generated, top = closure_index(FIXED_CLOSURE, names)
        start = time.perf_counter()
        written = {name: write_tree(tree, items) for name, items in generated.entries.items()}
        wrote = time.perf_counter() - start
        idx = index.Index({name: index.order(items) for name, items in written.items()})
        versions = len(idx)
        tree_files = sum(1 for p in tree.rglob("*") if p.is_file())
        print(f"\n{versions:,} versions of {names:,} names: {tree_files:,} files written in {wrote:.1f} s; "
              f"{load_average()}", flush=True)
        m_index = measure("index", [*cat, "index", str(tree)], 1 if versions > 20_000 else min(runs, 3),
                          {"XDG_CACHE_HOME": str(here / "cache-index")})
        tree_index = (tree / "index.yaml").stat().st_size
        m_index_json = measure("index json", [*cat, "index", str(tree), "--format", "json"],
                               1 if versions > 20_000 else min(runs, 3), {"XDG_CACHE_HOME": str(here / "cache-index")})
        # The tree's own files: the entries as written, as block YAML and as JSON.
        files = {"yaml": tree / "index.yaml", "json": tree / "index.json"}
        for fmt, path in files.items():
            path.write_text(index.render(idx, fmt))
        print(f"  index {files['yaml'].stat().st_size / 2**20:.1f} MiB (YAML; `catalog index` wrote "
              f"{tree_index / 2**20:.1f} MiB), {files['json'].stat().st_size / 2**20:.1f} MiB (JSON)", flush=True)
        m: dict[str, Measure] = {}
        m["python -c pass (baseline)"] = measure("python -c pass", [py, "-c", "pass"], runs)
        m["json.load of the JSON index (baseline)"] = measure(
            "json.load", [py, "-c", "import json,sys; json.load(open(sys.argv[1]))", str(files["json"])], runs)
        for fmt in ("yaml", "json"):
            search = [*cat, "search", "deploy", "--catalog", str(files[fmt]), "-o", "json"]
            m[f"first search, {fmt} (builds the cache)"] = first_search(f"first-{fmt}-{names}", search, here, runs)
        cached = {"XDG_CACHE_HOME": str(here / "cache")}
        where = ["--catalog", str(files["json"])]
        run_once([*cat, "search", "deploy", *where], cached)  # builds it
        cache_bytes = du(here / "cache" / "catalog" / "index")
        m["cached search, 3 names in 4 match"] = measure(
            "search deploy", [*cat, "search", "deploy", *where, "-o", "json"], runs, cached)
        m["cached search, one name matches"] = measure("search top", [*cat, "search", top, *where, "-o", "json"],
                                                       runs, cached)
        m["info NAME (cached)"] = measure("info", [*cat, "info", top, *where, "-o", "json"], runs, cached)
        lock = here / "catalog.lock"
        m[f"lock of a {FIXED_CLOSURE}-task closure (cached)"] = measure_fresh(
            "lock", [*cat, "lock", top, *where, "--tekton-version", str(TEKTON), "--file", str(lock), "--replace",
                     "-o", "name"], runs, cached, lock)
        m["catalog index of the tree (YAML)"] = m_index
        m["catalog index --format json of the tree"] = m_index_json
        per_size.append(m)
        facts.append({"versions": versions, "yaml_bytes": files["yaml"].stat().st_size,
                      "json_bytes": files["json"].stat().st_size, "cache_bytes": cache_bytes,
                      "tree_files": tree_files, "tree_index_bytes": tree_index})
        print(f"{'what':52} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9} {'CPU/json.load':>14}")
        base = m["json.load of the JSON index (baseline)"]
        for label, x in m.items():
            print(f"{label:52} {x.cpu:8.3f} {x.seconds:8.3f} {x.peak_mib:9.1f} {x.cpu / base.cpu:14.2f}")
        shutil.rmtree(here)
    vs = [int(f["versions"]) for f in facts]
    labels = list(per_size[0])
    rows = [(f"{label}, CPU s", [m[label].cpu for m in per_size], ".3f") for label in labels]
    rows += [(f"{label}, wall s", [m[label].seconds for m in per_size], ".3f") for label in labels]
    rows += [(f"{label}, peak MiB", [m[label].peak_mib for m in per_size], ".1f") for label in labels]
    rows += [(f"{what} MiB", [f[key] / 2**20 for f in facts], ".2f") for what, key in (
        ("index.yaml, block YAML,", "yaml_bytes"), ("index.yaml, JSON,", "json_bytes"),
        ("cache on disk (SQLite),", "cache_bytes"), ("index.yaml `catalog index` wrote,", "tree_index_bytes"))]
    table = curve_table("Index size: growth with the number of versions", vs, rows, "versions", per=1000)
    return {"facts": facts, "table": table,
            "raw": [{k: vars(v) for k, v in m.items()} for m in per_size]}


# ---------------------------------------------------------------- 2. namespaces


def run_on(server: Server, cmd: list[str]) -> dict[str, float]:
    """One command against ``server``: wall, its own CPU, the server's CPU meanwhile, its peak memory."""
    before = server.cpu()
    r: Run = run_once(cmd, server.env)
    if r.code != 0:
        err = subprocess.run(cmd, check=False, env=server.env, capture_output=True, text=True).stderr.strip().splitlines()
        raise SystemExit(f"exit code {r.code} from {' '.join(cmd[:4])}...: {err[-1] if err else ''}")
    return {"wall": r.wall, "cpu": r.cpu, "server": server.cpu() - before, "peak_mib": r.peak_kib / 1024}


def warm_up(server: Server) -> float:
    """Install and uninstall one Task, so that no measured command pays for the fresh
    server's first writes (its caches of each kind, the Tekton CRDs' schemas); then the
    CPU seconds per second the idle server uses (measured over 5 s), printed: a command's
    server CPU includes that much per second of its wall time."""
    cat = catalog_cmd()
    create_namespaces(server, ["warm-up"])
    for verb in ("install", "uninstall"):
        subprocess.run([*cat, verb, TASKS[0], "-n", "warm-up"], env=server.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = server.cpu()
    time.sleep(5)
    idle = (server.cpu() - before) / 5
    print(f"  idle API server + etcd: {idle:.3f} CPU s per second", flush=True)
    return idle


def count_status(kubeconfig: str) -> tuple[int, int, Any]:
    """What `catalog status -A` asks of the API server, in-process: (requests, namespaces
    found, requests by shape)."""
    from catalog_cli.actions.common import Options
    from catalog_cli.actions.status import installed_namespaces, status
    from catalog_cli.sources import open_catalog

    cluster, seen = counting_cluster(kubeconfig)
    found = installed_namespaces(cluster)
    status(open_catalog(None), cluster, Options(tuple(found)))
    return cluster.requests, len(found), seen


@contextlib.contextmanager
def environ(env: dict[str, str]) -> Iterator[None]:
    """``env`` as this process's environment for the block (bench_install.count reads it)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def one_size(n: int, *, kubectl: bool, counted: bool, kubectl_first: bool) -> dict[str, Any]:
    cat = catalog_cmd()
    with local_server("bench-scale-") as server:
        groups = {"catalog": [f"catalog-{i:04d}" for i in range(n)]}
        if kubectl:
            groups["kubectl"] = [f"kubectl-{i:04d}" for i in range(n)]
        if counted:
            groups["counted"] = [f"counted-{i:04d}" for i in range(n)]
        create_namespaces(server, [ns for names in groups.values() for ns in names])
        idle = warm_up(server)
        install = [*cat, "install", *TASKS]
        for ns in groups["catalog"]:
            install += ["-n", ns]
        result: dict[str, Any] = {"namespaces": n, "objects": 4 * len(TASKS) * n,
                                  "load_start": os.getloadavg()[0], "server_idle_cpu_per_s": idle}
        steps: list[tuple[str, list[str]]] = [("catalog install", install), ("catalog re-install", install)]
        if kubectl:
            rendered = server.work / "objects.yaml"
            render_into(rendered, groups["kubectl"], server.env)
            apply = ["kubectl", "apply", "--server-side", "--field-manager=bench", "-f", str(rendered)]
            pairs = [("kubectl apply", apply), ("catalog install", install)]
            if not kubectl_first:
                pairs.reverse()
            steps = [*pairs, *[(name.replace("apply", "re-apply").replace("install", "re-install"), cmd)
                               for name, cmd in pairs]]
        steps += [("catalog status -A", [*cat, "status", "-A", "-o", "json"]),
                  ("catalog list --installed -A", [*cat, "list", "--installed", "-A", "-o", "json"])]
        for name, cmd in steps:
            result[name] = run_on(server, cmd)
            x = result[name]
            print(f"  {n:5,} namespaces, {name:30} wall {x['wall']:7.2f} s, CPU {x['cpu']:6.2f} s, "
                  f"server CPU {x['server']:6.2f} s, peak {x['peak_mib']:6.1f} MiB", flush=True)
        if counted:
            with environ(server.env):
                asked, found, shapes = count_status(server.kubeconfig)
                result["status_requests"] = {"requests": asked, "namespaces": found, "shapes": dict(shapes)}
                print(f"  {n:5,} namespaces, API requests of status -A: {asked} for {found} namespaces "
                      f"({asked / found:.2f} per namespace): " + ", ".join(
                          f"{k} {what}" for what, k in sorted(shapes.items(), key=lambda x: -x[1])), flush=True)
                written, first, again, _, _ = count(server.kubeconfig, groups["counted"])
            result["requests"] = {"objects": written, "first": first, "again": again}
            print(f"  {n:5,} namespaces, API requests: first install {first} for {written} objects "
                  f"({first / written:.3f} per object), re-install {again} ({again / written:.3f})", flush=True)
        result["server_peak_mib"] = server.peak_mib()
        result["etcd_bytes"] = du((server.work / "kube" / "etcd-data").resolve())
        result["load_end"] = os.getloadavg()[0]
        return result


def part_namespaces(sizes: tuple[int, ...], big: int, kubectl_upto: int, count_big: bool) -> dict[str, Any]:
    results = []
    for i, n in enumerate(sizes):
        print(f"\n{n:,} namespaces ({load_average()})", flush=True)
        results.append(one_size(n, kubectl=n <= kubectl_upto, counted=True, kubectl_first=i % 2 == 1))
    out: dict[str, Any] = {"sizes": results}
    ns = [r["namespaces"] for r in results]
    rows: list[tuple[str, list[float], str]] = []
    names = [k for k in results[0] if isinstance(results[0][k], dict) and "wall" in results[0][k]]
    common = [k for k in names if all(k in r for r in results)]
    for key, what in (("cpu", "own CPU s"), ("server", "API server + etcd CPU s"), ("wall", "wall s"),
                      ("peak_mib", "peak MiB")):
        rows += [(f"{name}, {what}", [r[name][key] for r in results], ".2f") for name in common]
    rows += [("API requests per object, first install",
              [r["requests"]["first"] / r["requests"]["objects"] for r in results], ".3f"),
             ("API requests per object, unchanged re-install",
              [r["requests"]["again"] / r["requests"]["objects"] for r in results], ".3f")]
    out["table"] = curve_table("Namespaces: growth with the number of namespaces (5 Tasks, 20 objects each)",
                               ns, rows, "ns", per=100)
    if big:
        print(f"\n{big:,} namespaces, catalog alone ({load_average()})", flush=True)
        try:
            out["big"] = one_size(big, kubectl=False, counted=count_big, kubectl_first=False)
        except (SystemExit, subprocess.CalledProcessError) as exc:
            out["big"] = {"namespaces": big, "failed": str(exc)}
            print(f"  {big:,} namespaces failed: {exc}", flush=True)
            return out
        every = [*results, out["big"]]
        mine = [k for k in common if k.startswith("catalog")]
        rows = [(f"{name}, {what}", [r[name][key] for r in every], ".2f") for key, what in (
            ("cpu", "own CPU s"), ("server", "API server + etcd CPU s"), ("wall", "wall s"), ("peak_mib", "peak MiB"))
            for name in mine]
        rows += [(f"{proc} peak MiB", [r["server_peak_mib"][proc] for r in every], ".0f")
                 for proc in ("kube-apiserver", "etcd")]
        out["table_big"] = curve_table(f"catalog alone, up to {big:,} namespaces", [*ns, big], rows, "ns", per=100)
    return out


# ---------------------------------------------------------------- 3. closure size


def closure_catalog(folder: Path, size: int) -> tuple[str, int]:
    """The 15,000-version index whose first ``size`` names form a closure, written as
    JSON into ``folder`` with the files of the closure's versions; the requirement and
    the number of versions."""
    idx, top = closure_index(size, 1500)
    names = list(idx.entries)[:size]
    entries = dict(idx.entries)
    for name in names:
        entries[name] = index.order(write_tree(folder, entries[name]))
    full = index.Index(entries)
    (folder / "index.yaml").write_text(index.render(full, "json"))
    return top, len(full)


def record_sizes(server: Server, namespace: str) -> dict[str, int]:
    """The install record in ``namespace`` as stored (bytes of its data), and as it would
    be after nine more revisions that each changed every entry (catalog keeps ten)."""
    from catalog_cli.cluster.records import RECORD_KEY, RECORD_NAME, Record

    cm = json.loads(subprocess.run(["kubectl", "get", "configmap", RECORD_NAME, "-n", namespace, "-o", "json"],
                                   env=server.env, check=True, capture_output=True, text=True).stdout)
    text = cm["data"][RECORD_KEY]
    record = Record.from_json(text, namespace)
    full = record
    for _ in range(9):
        full = full.with_packages(full.packages, "upgrade", "admin", tuple(full.packages))
    # Record.fitted leaves out the oldest revisions of a record too large for its ConfigMap.
    return {"packages": len(record.packages), "stored": len(text.encode()),
            "ten_revisions": len(full.to_json().encode()), "revisions_kept": len(full.history)}


def resolve_times(folder: Path, top: str, size: int, settings: Any, runs: int) -> tuple[float, float, float, int]:
    """In-process, median CPU seconds: opening the (cached) catalog, opening it and
    resolving ``top``, resolving it over the same entries in memory; and the resolver's steps."""
    from catalog_cli.provider import resolve
    from catalog_cli.requirements import Requirement
    from catalog_cli.sources import open_catalog
    from catalog_cli.sources.memory import MemoryCatalog

    reqs = [Requirement(top)]
    t_open, _ = timed(lambda: open_catalog(str(folder), settings), runs, time.process_time)
    t_res, res = timed(lambda: resolve(open_catalog(str(folder), settings), reqs, TEKTON), runs, time.process_time)
    idx = index.load(folder / "index.yaml")
    mem = MemoryCatalog(e for items in idx.entries.values() for e in items)
    t_mem, res_mem = timed(lambda: resolve(mem, reqs, TEKTON), runs, time.process_time)
    assert len(res) == size and [e.ref for e in res.entries] == [e.ref for e in res_mem.entries]
    return t_open, t_res, t_mem, res.steps


def part_closure(work: Path, runs: int, sizes: tuple[int, ...], limit_probe: int) -> dict[str, Any]:
    from catalog_cli.settings import Settings

    cat, py = catalog_cmd(), sys.executable
    rows: list[dict[str, Any]] = []
    folders = {}
    for size in sizes:
        folder = work / f"closure-{size}"
        folder.mkdir()
        top, versions = closure_catalog(folder, size)
        folders[size] = (folder, top)
        env = {"XDG_CACHE_HOME": str(work / "cache")}
        where = ["--catalog", str(folder), "--tekton-version", str(TEKTON)]
        lock = work / "catalog.lock"
        run_once([*cat, "lock", top, *where, "--file", str(lock), "--replace"], env)  # builds the cache
        base = measure("python -c pass", [py, "-c", "pass"], runs)
        m_lock = measure_fresh("lock", [*cat, "lock", top, *where, "--file", str(lock), "--replace", "-o", "name"],
                               runs, env, lock)
        m_render = measure("render", [*cat, "render", top, *where, "-n", "closure"], runs, env)
        t_open, t_res, t_mem, steps = resolve_times(folder, top, size, Settings.from_env({**os.environ, **env}), runs)
        row = {"size": size, "versions": versions, "steps": steps,
               "python": vars(base), "lock": vars(m_lock), "render": vars(m_render),
               "open_s": t_open, "open_resolve_s": t_res, "resolve_memory_s": t_mem}
        rows.append(row)
        print(f"closure of {size:3}: {steps:5} steps; lock CPU {m_lock.cpu:.3f} s (wall {m_lock.seconds:.3f}), "
              f"render CPU {m_render.cpu:.3f} s, resolve in memory {t_mem * 1000:.1f} CPU ms, open+resolve "
              f"{t_res * 1000:.1f} CPU ms, python -c pass CPU {base.cpu:.3f} s ({load_average()})", flush=True)
    installs = []
    with local_server("bench-scale-closure-") as server:
        install_sizes = [*sizes, *([limit_probe] if limit_probe else [])]
        create_namespaces(server, [f"closure-{s}" for s in install_sizes])
        idle = warm_up(server)
        for size in sizes:
            folder, top = folders[size]
            cmd = [*cat, "install", top, "--catalog", str(folder), "-n", f"closure-{size}"]
            first = run_on(server, cmd)
            again = run_on(server, cmd)
            rec = record_sizes(server, f"closure-{size}")
            installs.append({"size": size, "objects": 4 * size, "first": first, "again": again, "record": rec})
            print(f"install of a {size}-task closure: CPU {first['cpu']:.2f} s + server {first['server']:.2f} s "
                  f"(wall {first['wall']:.2f}); unchanged re-install CPU {again['cpu']:.2f} s + server "
                  f"{again['server']:.2f} s; record {rec['stored']:,} bytes for {rec['packages']} entries, "
                  f"{rec['ten_revisions']:,} after nine more revisions ({rec['revisions_kept']} kept)", flush=True)
        probe = None
        if limit_probe:
            folder = work / f"closure-{limit_probe}"
            folder.mkdir()
            top, _ = closure_catalog(folder, limit_probe)
            ns = f"closure-{limit_probe}"
            env = {"XDG_CACHE_HOME": str(work / "cache")}
            where = ["--catalog", str(folder), "--tekton-version", str(TEKTON)]
            lock = work / "catalog.lock"
            run_once([*cat, "lock", top, *where, "--file", str(lock), "--replace"], env)  # builds the cache
            m_lock = measure_fresh("lock", [*cat, "lock", top, *where, "--file", str(lock), "--replace", "-o", "name"],
                                   runs, env, lock)
            _, t_res, t_mem, steps = resolve_times(folder, top, limit_probe, Settings.from_env({**os.environ, **env}),
                                                   runs)
            print(f"closure of {limit_probe}: {steps:5} steps; lock CPU {m_lock.cpu:.3f} s (wall {m_lock.seconds:.3f}), "
                  f"resolve in memory {t_mem * 1000:.1f} CPU ms, open+resolve {t_res * 1000:.1f} CPU ms", flush=True)
            cmd = [*cat, "install", top, "--catalog", str(folder), "-n", ns]
            before = server.cpu()
            start = time.perf_counter()
            proc = subprocess.run(cmd, check=False, env=server.env, capture_output=True, text=True)
            wall = time.perf_counter() - start
            left = {kind: len(json.loads(subprocess.run(
                ["kubectl", "get", kind, "-n", ns, "-o", "json"], env=server.env, check=True,
                capture_output=True, text=True).stdout)["items"]) for kind in ("tasks", "configmaps", "roles")}
            probe = {"size": limit_probe, "steps": steps, "lock": vars(m_lock), "open_resolve_s": t_res,
                     "resolve_memory_s": t_mem, "exit": proc.returncode, "stderr": proc.stderr.strip()[-2000:],
                     "wall": wall, "server": server.cpu() - before, "left": left}
            print(f"install of a {limit_probe}-task closure: exit {proc.returncode} after {wall:.1f} s; "
                  f"left in the namespace: {left}; stderr: {proc.stderr.strip()[-600:]}", flush=True)
    s = [r["size"] for r in rows]
    table_rows = [
        ("catalog lock, CPU s", [r["lock"]["cpu"] for r in rows], ".3f"),
        ("catalog lock, CPU s above python -c pass", [r["lock"]["cpu"] - r["python"]["cpu"] for r in rows], ".3f"),
        ("catalog lock, wall s", [r["lock"]["seconds"] for r in rows], ".3f"),
        ("catalog render, CPU s", [r["render"]["cpu"] for r in rows], ".3f"),
        ("catalog render, wall s", [r["render"]["seconds"] for r in rows], ".3f"),
        ("resolve alone, entries in memory, CPU ms", [r["resolve_memory_s"] * 1000 for r in rows], ".1f"),
        ("open (cached) + resolve, in-process, CPU ms", [r["open_resolve_s"] * 1000 for r in rows], ".1f"),
        ("resolver steps", [float(r["steps"]) for r in rows], ".0f"),
        ("resolve alone, CPU microseconds per step", [r["resolve_memory_s"] * 1e6 / r["steps"] for r in rows], ".1f"),
        ("install, catalog CPU s", [i["first"]["cpu"] for i in installs], ".2f"),
        ("install, API server + etcd CPU s", [i["first"]["server"] for i in installs], ".2f"),
        ("install, wall s", [i["first"]["wall"] for i in installs], ".2f"),
        ("unchanged re-install, catalog CPU s", [i["again"]["cpu"] for i in installs], ".2f"),
        ("unchanged re-install, API server + etcd CPU s", [i["again"]["server"] for i in installs], ".2f"),
        ("install record, bytes", [float(i["record"]["stored"]) for i in installs], ".0f"),
        ("install record after ten revisions, bytes", [float(i["record"]["ten_revisions"]) for i in installs], ".0f"),
    ]
    table = curve_table("Closure size: growth with the number of tasks a requirement pulls in", s, table_rows,
                        "tasks", per=100)
    per = [(i["record"]["ten_revisions"], i["record"]["packages"]) for i in installs]
    (b1, p1), (b2, p2) = per[-2], per[-1]
    slope = (b2 - b1) / (p2 - p1)
    fits = p2 + (RECORD_LIMIT - b2) / slope
    print(f"install record: {slope:,.0f} bytes per entry with ten revisions; 1 MiB holds about {fits:,.0f} "
          "entries in one namespace (computed from the two largest records)")
    return {"rows": rows, "installs": installs, "table": table, "probe": probe, "server_idle_cpu_per_s": idle,
            "record_bytes_per_entry": slope, "record_entries_fit": fits}


# ---------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    kubectl = subprocess.run(["kubectl", "version", "--client", "-o", "json"], check=False,
                             capture_output=True, text=True)
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(mem / 2**20, 1), "python": platform.python_version(),
            "kubectl": json.loads(kubectl.stdout)["clientVersion"]["gitVersion"] if kubectl.returncode == 0 else ""}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", action="append", choices=("index", "namespaces", "closure"),
                    help="what to measure (repeatable; default: all three, one after the other)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--index-names", type=int, nargs="+", default=list(INDEX_NAMES),
                    help="names of 10 versions each (default 150 1500 5000)")
    ap.add_argument("--namespaces", type=int, nargs="+", default=list(NAMESPACES))
    ap.add_argument("--kubectl-upto", type=int, default=200, help="kubectl's baseline up to this many namespaces")
    ap.add_argument("--big-namespaces", type=int, default=1000, help="then once this many, catalog alone (0: skip)")
    ap.add_argument("--count-big", action="store_true", help="also count the API requests at --big-namespaces")
    ap.add_argument("--closures", type=int, nargs="+", default=list(CLOSURES))
    ap.add_argument("--record-limit", type=int, default=0, metavar="N",
                    help="also install a closure of N tasks once, to see what a record over 1 MiB does")
    ap.add_argument("--json", type=Path, help="write every figure here")
    args = ap.parse_args()
    parts = args.part or ["index", "namespaces", "closure"]

    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    # Every catalog this runs (and the library in-process) uses folders of its own.
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(work / var.lower())
    os.environ["KUBECONFIG"] = "/nonexistent"
    results: dict[str, Any] = {"machine": machine(), "load_start": os.getloadavg()}
    print(f"start: {load_average()}; {results['machine']}", flush=True)
    try:
        if "index" in parts:
            results["index"] = part_index(work, args.runs, tuple(args.index_names))
        if "namespaces" in parts:
            results["namespaces"] = part_namespaces(tuple(args.namespaces), args.big_namespaces, args.kubectl_upto,
                                                    args.count_big)
        if "closure" in parts:
            results["closure"] = part_closure(work, args.runs, tuple(args.closures), args.record_limit)
    finally:
        results["load_end"] = os.getloadavg()
        print(f"\nend: {load_average()}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
