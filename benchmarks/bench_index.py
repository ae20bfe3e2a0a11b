"""`catalog search` on an index of 15,000 versions (the size of Bitnami's Helm index).

Baseline: a plain `yaml.safe_load` of the same file, in the same run. Reports the
first search (which builds the local cache) and later searches (which use it), for
the index written as block YAML and as JSON (`catalog index --format json`).

Run: python benchmarks/bench_index.py [--runs N] [--names 1500] [--per-name 10] [--skip-pure]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
from pathlib import Path

from common import ROOT, catalog_cmd, measure, report

sys.path.insert(0, str(ROOT))

from catalog_cli import index
from catalog_cli.model import Dependency, Entry, FileDigest, PolicyRule

WORDS = ["build", "deploy", "git", "image", "scan", "test", "lint", "helm", "kube", "cloud", "push", "pull", "sign", "verify", "release", "notify", "report", "cache", "secret", "config", "maven", "gradle", "node", "python", "java", "go"]


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def generate(names: int, per_name: int, seed: int = 7) -> index.Index:
    rnd = random.Random(seed)
    entries = {}
    for i in range(names):
        name = f"{rnd.choice(WORDS)}-{rnd.choice(WORDS)}-{i}"
        items = []
        for v in range(per_name):
            version = f"{v // 10}.{v % 10}"
            base = f"task/{name}/{version}"
            words = " ".join(rnd.choice(WORDS) for _ in range(30))
            items.append(Entry(
                name=name, kind="Task", version=version, path=f"{base}/{name}.yaml",
                digest=digest(f"{name}{version}"), description=f"{name.title()} task: {words}.",
                display_name=name.replace("-", " "), categories=(rnd.choice(WORDS).title(),),
                tags=tuple(sorted({rnd.choice(WORDS) for _ in range(3)})),
                platforms=("linux/amd64", "linux/arm64"), min_pipelines_version="0.50.0",
                dependencies=(Dependency(f"{rnd.choice(WORDS)}-x", "^0.1", "Task"),) if v % 3 == 0 else (),
                rbac=(PolicyRule(("apps",), ("deployments",), ("get", "patch")),) if v % 5 == 0 else (),
                files=tuple(FileDigest(f"{base}/{f}", digest(f"{base}/{f}"))
                            for f in ("README.md", f"{name}.yaml", "samples/run.yaml")),
            ))
        entries[name] = index.order(items)
    return index.Index(entries)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--names", type=int, default=1500)
    ap.add_argument("--per-name", type=int, default=10)
    ap.add_argument("--skip-pure", action="store_true", help="skip the slow pure-Python safe_load")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    idx = generate(args.names, args.per_name)
    cat = catalog_cmd()
    results = []
    for fmt in ("yaml", "json"):
        folder = work / fmt
        folder.mkdir()
        path = folder / "index.yaml"
        path.write_text(index.render(idx, fmt))
        size = path.stat().st_size
        print(f"{fmt}: {len(idx):,} versions of {len(idx.entries):,} names, {size / 2**20:.1f} MiB")
        env = {"XDG_CACHE_HOME": str(work / f"cache-{fmt}")}
        search = [*cat, "search", "deploy", "--catalog", str(folder), "-o", "json"]
        results.append(measure(f"catalog search ({fmt}, first: builds cache)", search, 1, env))
        results.append(measure(f"catalog search ({fmt}, cached)", search, args.runs, env))
        results[-1].size = size  # type: ignore[attr-defined]
    yaml_file = work / "yaml" / "index.yaml"
    loader = "import yaml,sys; yaml.load(open(sys.argv[1]), Loader=yaml.{})"
    base_c = measure("yaml.load, C loader (CSafeLoader)",
                     [sys.executable, "-c", loader.format("CSafeLoader"), str(yaml_file)], 1)
    if args.skip_pure:
        baseline = base_c
    else:
        baseline = measure("yaml.safe_load (baseline)",
                           [sys.executable, "-c", loader.format("SafeLoader"), str(yaml_file)], 1)
        results.insert(0, base_c)
    report(baseline, results)
    for m in results:
        size = getattr(m, "size", None)
        if size:
            print(f"{m.label}: peak memory {m.peak_kib * 1024 / size:.2f} x the index size")


if __name__ == "__main__":
    main()
