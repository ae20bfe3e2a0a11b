"""`catalog site`: generation time and search index size, on the tektoncd catalog (300
versions) and on a generated catalog of 15,000 versions with real files (a 3 KB Task, a
3 KB README, a sample and, for some, an rbac.yaml each; dependencies between them), and
the search's response in Chromium on the big site.

A first build makes every page, a later one keeps the pages whose inputs did not change.
Baseline, in the same run: reading and parsing (PyYAML's C loader) every resource file
of the catalog, the least any generator that shows a resource's parameters must do.

Run: python benchmarks/bench_site.py [--runs N] [--names 1500] [--per-name 10] [--keep DIR] [--sites DIR]

``--sites`` puts the sites somewhere else than the temporary folder: on a tmpfs
(/dev/shm) the figures leave out what the file system costs to create 15,000 files
(on an ext4 without a journal, soon after many files were deleted, the kernel's
search for free inodes took a quarter of the CPU time here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import CORPUS, ROOT, catalog_cmd, load_average, measure, report

sys.path.insert(0, str(ROOT))

from catalog_cli import index

WORDS = ["build", "deploy", "git", "image", "scan", "test", "lint", "helm", "kube", "cloud", "push", "pull",
         "sign", "verify", "release", "notify", "report", "cache", "secret", "config", "maven", "gradle",
         "node", "python", "java", "go"]

TASK = """apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: {name}
  labels:
    app.kubernetes.io/version: "{version}"
  annotations:
    tekton.dev/pipelines.minVersion: "0.50.0"
    tekton.dev/categories: {category}
    tekton.dev/tags: {tags}
    tekton.dev/displayName: "{display}"
    tekton.dev/platforms: "linux/amd64,linux/arm64"
{deps}spec:
  description: >-
    {description}
  params:
{params}
  workspaces:
    - name: source
      description: The folder holding the sources to work on.
    - name: cache
      description: An optional cache shared between runs.
      optional: true
  results:
    - name: DIGEST
      description: The digest of what was made.
    - name: URL
      description: Where it was pushed.
  steps:
    - name: run
      image: docker.io/library/alpine:3.19@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b
      workingDir: $(workspaces.source.path)
      env:
        - name: TARGET
          value: $(params.target)
      script: |
        #!/bin/sh
        set -eu
        echo "{name} {version}: $TARGET"
{script}
"""
README = """# {name}

{description}

## Install

```sh
catalog install {name}@{version} -n team-a
```

## Parameters

| name | default | description |
|---|---|---|
{rows}

## Usage

{prose}

- step one: {w1}
- step two: {w2}
- step three: [the docs](https://tekton.dev/docs/)
"""


def write_catalog(folder: Path, names: int, per_name: int, seed: int = 7) -> None:
    import random

    rnd = random.Random(seed)
    made: list[str] = []
    for i in range(names):
        name = f"{rnd.choice(WORDS)}-{rnd.choice(WORDS)}-{i}"
        for v in range(per_name):
            version = f"0.{v}"
            base = folder / "task" / name / version
            (base / "samples").mkdir(parents=True)
            words = " ".join(rnd.choice(WORDS) for _ in range(40))
            deps = ""
            if made and v % 3 == 0:
                needs = rnd.sample(made[-50:], min(2, len(made)))
                deps = "    catalog.dev/dependencies: |\n" + "".join(f"      task/{n} >=0.1 <1\n" for n in needs)
            params = "".join(f"    - name: p{k}\n      type: string\n      description: The {rnd.choice(WORDS)} "
                             f"{rnd.choice(WORDS)} to use.\n      default: \"{rnd.choice(WORDS)}\"\n"
                             for k in range(8))
            params += "    - name: target\n      type: string\n      description: What to make.\n"
            script = "".join(f"        echo {' '.join(rnd.choice(WORDS) for _ in range(8))}\n" for _ in range(25))
            (base / f"{name}.yaml").write_text(TASK.format(
                name=name, version=version, category=rnd.choice(WORDS).title(), display=name.replace("-", " "),
                tags=",".join(sorted({rnd.choice(WORDS) for _ in range(3)})), deps=deps,
                description=f"{name.title()} task: {words}.", params=params.rstrip("\n"), script=script))
            rows = "\n".join(f"| p{k} | {rnd.choice(WORDS)} | the {rnd.choice(WORDS)} to use |" for k in range(8))
            prose = "\n\n".join(" ".join(rnd.choice(WORDS) for _ in range(60)) for _ in range(5))
            (base / "README.md").write_text(README.format(name=name, version=version, description=words,
                                                          rows=rows, prose=prose, w1=rnd.choice(WORDS),
                                                          w2=rnd.choice(WORDS)))
            (base / "samples" / "run.yaml").write_text(
                f"apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata:\n  generateName: {name}-\n"
                f"spec:\n  taskRef:\n    name: {name}\n  params:\n    - name: target\n      value: x\n")
            if v % 5 == 0:
                (base / "rbac.yaml").write_text("rules:\n  - apiGroups: [apps]\n    resources: [deployments]\n"
                                                "    verbs: [get, patch]\n")
        made.append(name)
    index.write(folder, "json")


def search_times(site: Path, queries: list[str]) -> dict[str, float]:
    """Median ms of the home page's search (its own performance.now() figure) per query, in Chromium."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto((site / "index.html").as_uri())
        for q in queries:
            times = []
            for _ in range(7):
                page.fill("#q", "")
                page.fill("#q", q)
                times.append(float(page.get_attribute("#results", "data-search-ms")))
            out[q] = statistics.median(times)
        browser.close()
    return out


def size_of(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--names", type=int, default=1500)
    ap.add_argument("--per-name", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="make the generated catalog here, and reuse it next time")
    ap.add_argument("--sites", type=Path, help="write the sites here (default: the temporary folder)")
    args = ap.parse_args()

    print(f"start: {load_average()}")
    work = Path(tempfile.mkdtemp(prefix="bench-site-"))
    sites = Path(tempfile.mkdtemp(prefix="bench-site-", dir=args.sites)) if args.sites else work
    big = args.keep or work / "big"
    if not (big / "index.yaml").exists():
        print(f"generating {args.names * args.per_name:,} versions in {big} ...", flush=True)
        write_catalog(big, args.names, args.per_name)
    cat = catalog_cmd()
    env = {"XDG_CACHE_HOME": str(work / "cache")}
    # Every catalog command reads an index through its SQLite cache, built on first use:
    # built here, so that no measured run pays for it and the others not.
    for folder in (big, CORPUS / "tektoncd-catalog"):
        measure("warm the index cache", [*cat, "list", "--catalog", str(folder), "-o", "name"], 1, env)
    tekton = CORPUS / "tektoncd-catalog"
    parse = ("import sys, glob, yaml; [yaml.load(open(f), Loader=yaml.CSafeLoader) "
             "for f in glob.glob(sys.argv[1] + '/task/*/*/*.yaml') if not f.endswith('rbac.yaml')]")
    baseline = measure("parse every resource file, 15,000 versions (baseline)",
                       [sys.executable, "-c", parse, str(big)], args.runs)
    cores = len(os.sched_getaffinity(0))
    tekton_site = [*cat, "-q", "site", str(tekton), "--out", str(sites / "tekton-site")]
    big_site = [*cat, "-q", "site", str(big), "--out", str(sites / "big-site")]
    # A first build makes every page; a later one keeps those whose inputs did not change.
    results = [
        measure("parse every resource file, tektoncd (300 versions)",
                [sys.executable, "-c", parse, str(tekton)], args.runs),
        measure("catalog site, tektoncd (300 versions), first", tekton_site, 1, env),
        measure("catalog site, tektoncd, again (nothing changed)", tekton_site, args.runs, env),
        measure("catalog site, 15,000 versions, first, 1 process",
                [*cat, "-q", "site", str(big), "--out", str(sites / "big-site-1"), "--jobs", "1"], 1, env),
        measure(f"catalog site, 15,000 versions, first, {cores} processes", big_site, 1, env),
        measure("catalog site, 15,000 versions, again (nothing changed)", big_site, args.runs, env),
    ]
    report(baseline, results)
    for label, site in (("tektoncd", sites / "tekton-site"), ("15,000 versions", sites / "big-site")):
        pages = sum(1 for _ in site.rglob("*.html"))
        print(f"{label}: {pages:,} pages, site {size_of(site) / 2**20:.1f} MiB, "
              f"search index {(site / 'search-index.js').stat().st_size / 1024:.0f} KiB")
    if shutil.which("chromium"):
        times = search_times(sites / "big-site", ["build image", "deploy", "", "zzz", "git clone 12"])
        print("search in Chromium, 15,000 versions (median ms of 7):", json.dumps(times))
    print(f"end: {load_average()}")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(sites, ignore_errors=True)


if __name__ == "__main__":
    main()
