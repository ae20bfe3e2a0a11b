"""Resolving against an index of 15,000 versions, and an adversarial conflict.

1. Closure: bench_index.generate()'s 15,000-version index (1,500 names x 10), with the
   dependencies of 100 of its tasks rewritten so that one requirement pulls in all 100
   (a tree with diamonds and varied ranges; versions with a too-new minVersion force
   older choices). Baselines measured in the same run: parsing index.json alone, and
   opening the catalog (first open builds the local cache; later opens reuse it).
   Then `resolve()` on the opened catalog, and on the same entries in memory (the
   algorithm alone), and `catalog lock` end to end.
2. Adversarial: 50 packages x 100 versions in a chain; every version of the last
   needs a Tekton newer than the cluster, so the conflict appears only at the deepest
   level. Measured with ranges shared by groups of versions (as catalogs write them)
   and with a different range for every version (nothing to merge: the worst case).
   Prints the time, the steps and the first lines of the explanation.

Run: python benchmarks/bench_resolve.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_index import digest, generate
from bench_startup import installed_layout
from common import ROOT, catalog_cmd, load_average, measure

sys.path.insert(0, str(ROOT))

from catalog_cli import index, versions
from catalog_cli.errors import ResolutionError
from catalog_cli.model import Dependency, Entry
from catalog_cli.provider import resolve
from catalog_cli.requirements import Requirement
from catalog_cli.sources.memory import MemoryCatalog

CLOSURE = 100
RANGES = (">=0.2", "*", "<0.9", ">=0.1 <0.8", "0.x", "^0.3 || ^0.4 || >=0.5")
TEKTON = versions.parse("0.55.0")


def closure_index(size: int = CLOSURE, names: int = 1500, per_name: int = 10) -> tuple[index.Index, str]:
    """The 15,000-version index (``names`` x ``per_name``); its first ``size`` names
    depend on each other (a DAG), and the first pulls in all of them."""
    idx = generate(names, per_name)
    closure = list(idx.entries)[:size]
    entries = dict(idx.entries)
    for i, name in enumerate(closure):
        children = sorted({c for c in (2 * i + 1, 2 * i + 2, i + 3) if c < size})  # i = 1: 4 twice
        items = []
        for e in entries[name]:
            v = int(e.version.replace(".", ""))  # 0.0 .. 0.9 -> 0 .. 9
            deps = tuple(Dependency(closure[c], RANGES[(i + c + v) % len(RANGES)], "Task")
                         for c in children)
            items.append(replace(e, dependencies=deps, min_pipelines_version=f"0.{40 + 2 * v}.0"))
        entries[name] = index.order(items)
    return index.Index(entries), closure[0]


def timed(fn: Callable[[], Any], runs: int, clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    """The median seconds of ``runs`` calls of ``fn`` by ``clock`` (wall time; give
    ``time.process_time`` for this process's CPU time), and what the last returned."""
    times, result = [], None
    for _ in range(runs):
        start = clock()
        result = fn()
        times.append(clock() - start)
    return statistics.median(times), result


def bench_closure(runs: int) -> None:
    import os

    idx, top = closure_index()
    work = Path(tempfile.mkdtemp(prefix="bench-resolve-"))
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    path = work / "index.yaml"
    path.write_text(index.render(idx, "json"))
    print(f"index: {len(idx):,} versions of {len(idx.entries):,} names, "
          f"{path.stat().st_size / 2**20:.1f} MiB (JSON); requirement {top} pulls in {CLOSURE} tasks")

    from catalog_cli.sources import open_catalog

    reqs = [Requirement(top)]
    t_json, _ = timed(lambda: json.loads(path.read_text()), runs)
    t_first, _ = timed(lambda: open_catalog(str(work)), 1)
    t_open, _ = timed(lambda: open_catalog(str(work)), runs)
    t_res, res = timed(lambda: resolve(open_catalog(str(work)), reqs, TEKTON), runs)
    mem = MemoryCatalog(e for items in idx.entries.values() for e in items)
    t_mem, res_mem = timed(lambda: resolve(mem, reqs, TEKTON), runs)
    assert len(res) == CLOSURE and [e.ref for e in res.entries] == [e.ref for e in res_mem.entries]
    older = sum(1 for e in res.entries if e.version != "0.9")
    print(f"resolved {len(res)} tasks in {res.steps} steps ({older} at an older version "
          "than the newest, for ranges and Tekton 0.55)")
    print(f"{'what':58} {'ms':>9} {'ratio':>7}")
    for label, t in [
        ("parse index.json alone (baseline)", t_json),
        ("open catalog, first time (builds the local cache)", t_first),
        ("open catalog, cached", t_open),
        ("open catalog (cached) + resolve the 100-task closure", t_res),
        ("resolve only, entries in memory (the algorithm)", t_mem),
    ]:
        print(f"{label:58} {t * 1000:9.1f} {t / t_json:7.2f}")

    env = {"XDG_CACHE_HOME": str(work / "cache"), "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_STATE_HOME": str(work / "state"), "KUBECONFIG": os.devnull}
    lock = work / "catalog.lock"
    cmd = [*catalog_cmd(), "lock", top, "--catalog", str(work), "--tekton-version", str(TEKTON),
           "--file", str(lock), "-o", "name"]
    measure("(warm-up)", cmd, 1, env)  # writes the lock; the measured runs read it and add to it
    base = measure("python -c pass", [sys.executable, "-c", "pass"], runs)
    cli = measure("catalog lock (100-task closure, cached index)", cmd, runs, env)
    rows = [base, cli]
    # As a wheel installs it: without the editable finder this checkout's venv runs at
    # every start of Python (see bench_startup.py).
    installed = installed_layout(work, catalog_cmd())
    if installed:
        ipy, icat = installed
        measure("(warm-up)", [*icat, *cmd[len(catalog_cmd()):]], 1, env)
        rows += [measure("installed: python -c pass", [ipy, "-c", "pass"], runs),
                 measure("installed: catalog lock", [*icat, *cmd[len(catalog_cmd()):]], runs, env)]
    print(f"{'':58} {'wall ms':>9} {'CPU ms':>7}")
    for m in rows:
        print(f"{m.label:58} {m.seconds * 1000:9.1f} {m.cpu * 1000:7.1f}")
    print(f"catalog lock end to end: {cli.seconds / base.seconds:.1f} x python start in wall time; "
          f"goal 0.2 s: {'met' if cli.seconds <= 0.2 else 'not met'} in wall time, "
          f"{'met' if cli.cpu <= 0.2 else 'not met'} in CPU time")


def adversarial(packages: int = 50, per: int = 100, shared: bool = True) -> MemoryCatalog:
    """p00 -> p01 -> ... -> p49; every p49 needs a Tekton newer than the cluster's."""
    entries = []
    for i in range(packages):
        name = f"p{i:02d}"
        for v in range(per):
            version = f"{v // 10}.{v % 10}"
            deps: tuple[Dependency, ...] = ()
            if i + 1 < packages:
                rng = f">={v // 10}.0" if shared else f"<={version}"
                deps = (Dependency(f"p{i + 1:02d}", rng, "Task"),)
            need = "0.70.0" if i + 1 == packages else "0.40.0"
            entries.append(Entry(name, "Task", version, f"task/{name}/{version}/{name}.yaml",
                                 digest(name + version), min_pipelines_version=need,
                                 dependencies=deps))
    return MemoryCatalog(entries)


def bench_adversarial() -> None:
    for shared in (True, False):
        cat = adversarial(shared=shared)
        kind = "ranges shared by 10 versions" if shared else "a different range per version"
        start = time.perf_counter()
        try:
            resolve(cat, [Requirement("p00")], TEKTON)
            raise SystemExit("the adversarial case resolved: it should not")
        except ResolutionError as exc:
            took = time.perf_counter() - start
            lines = str(exc).splitlines()
        print(f"\nadversarial, 50 x 100 versions, {kind}: no solution, explained in "
              f"{took * 1000:.0f} ms; the explanation's first lines and its summary:")
        for line in [*lines[:3], "...", lines[-1]]:
            print(f"  {line if len(line) < 160 else line[:157] + '...'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(load_average())
    bench_closure(args.runs)
    bench_adversarial()
    print(load_average())


if __name__ == "__main__":
    main()
