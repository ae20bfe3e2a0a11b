#!/usr/bin/env python3
"""Benchmark: `catalog lint` against tekton-lint over the 300 tektoncd/catalog task files.

    python benchmarks/bench_lint.py [--runs 5] [--corpus DIR] [--baseline-root CHECKOUT]

Each tool runs as a fresh process, as a user or CI would run it, on the same
relative paths from the corpus root. Reported per tool: median and best wall
time, peak RSS of the process (from wait4), findings; then the ratio ours/theirs.
tekton-lint (@ibm/tekton-lint 1.1.0, default rules) is taken from ``$TEKTON_LINT_DIR``
(default /tmp/tekton-lint-1.1.0) and installed there with npm when missing.
``--baseline-root`` times another checkout's ``catalog lint`` in the same run (say, an
export of main), so that a change's cost is a ratio measured under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = (ROOT / ".." / "shared" / "corpus" / "tektoncd-catalog").resolve()
TEKTON_LINT = "@ibm/tekton-lint@1.1.0"


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def bench(
    name: str, cmd: list[str], cwd: Path, env: dict[str, str], runs: int, count: Callable[[str], int]
) -> dict[str, float]:
    walls: list[float] = []
    rss: list[float] = []
    findings = 0
    measure(cmd, cwd, env)  # warm the page cache and any compile caches, as a second run would
    for _ in range(runs):
        wall, peak, out = measure(cmd, cwd, env)
        walls.append(wall)
        rss.append(peak)
        findings = count(out)
    result = {"median": statistics.median(walls), "best": min(walls), "rss": max(rss), "findings": float(findings)}
    print(f"{name:<14} median {result['median']:.3f} s  best {result['best']:.3f} s  "
          f"peak RSS {result['rss']:.0f} MiB  findings {findings}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--baseline-root", type=Path, help="another checkout whose catalog lint to time too")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    files = sorted(str(p.relative_to(corpus)) for p in corpus.glob("task/*/*/*.yaml"))
    if not files:
        print(f"bench_lint: no task files under {corpus}", file=sys.stderr)
        return 2
    tl_dir = Path(os.environ.get("TEKTON_LINT_DIR", "/tmp/tekton-lint-1.1.0"))
    tl_bin = tl_dir / "node_modules" / ".bin" / "tekton-lint"
    if not tl_bin.exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(tl_dir), TEKTON_LINT],
                       check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"{len(files)} files, {args.runs} runs each (after one warm-up run)")
    ours = bench(
        "catalog lint",
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", "lint", "-o", "json", *files],
        corpus, env, args.runs, lambda out: len(json.loads(out)["findings"]),
    )
    if args.baseline_root:
        base_env = {**os.environ, "PYTHONPATH": str(args.baseline_root.resolve())}
        before = bench(
            "baseline lint",
            [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", "lint", "-o", "json", *files],
            corpus, base_env, args.runs, lambda out: len(json.loads(out)["findings"]),
        )
    with tempfile.TemporaryDirectory() as empty:  # no .tektonlintrc.yaml: its default rules
        theirs = bench(
            "tekton-lint", [str(tl_bin), "--format", "json", "--config", empty, *files],
            corpus, env, args.runs, lambda out: len(json.loads(out)),
        )
    base = bench("python -c pass", [sys.executable, "-c", "pass"], corpus, env, args.runs, lambda out: 0)
    print(f"ratio ours/tekton-lint: wall {ours['median'] / theirs['median']:.2f}, "
          f"peak RSS {ours['rss'] / theirs['rss']:.2f}; "
          f"python start-up is {base['median'] / ours['median']:.0%} of ours")
    if args.baseline_root:
        print(f"ratio ours/baseline: wall {ours['median'] / before['median']:.2f}, peak RSS {ours['rss'] / before['rss']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
