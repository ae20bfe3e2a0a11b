"""Start-up cost: `catalog --help` and `catalog search git` against `python -c pass`.

Run: python benchmarks/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from common import catalog_cmd, measure, report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    cat = catalog_cmd()
    env = {"XDG_CACHE_HOME": tempfile.mkdtemp(prefix="bench-cache-")}
    base = measure("python -c pass", [sys.executable, "-c", "pass"], args.runs)
    measure("(warm-up: builds the search cache)", [*cat, "search", "git"], 1, env)
    report(base, [
        measure("catalog --help", [*cat, "--help"], args.runs, env),
        measure("catalog search git", [*cat, "search", "git"], args.runs, env),
        measure("catalog info kubectl-deploy", [*cat, "info", "kubectl-deploy"], args.runs, env),
    ])


if __name__ == "__main__":
    main()
