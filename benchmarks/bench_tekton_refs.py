#!/usr/bin/env python3
"""Benchmark: `catalog refs` and `catalog update` over a .tekton/ of 50 files holding 200
task references (four PipelineRuns' tasks each), against PyYAML loading the same files.

    python benchmarks/bench_tekton_refs.py [--runs 5] [--files 50]

Every command runs as a fresh process, as a user or CI runs it; `update` gets a fresh
copy of the folder each run, and moves every reference (0.1 -> 0.2 of the built-in
catalog through the hub resolver, git-clone's migration adding a param), so the
round-trip writer does its whole work on all 50 files. Offline: the time is the
tool's, not a registry's. Reported: median wall time and peak RSS, and each as a
ratio to the baseline (PyYAML's safe loader, pure Python and C, in a fresh process).
The target is under 2 s for `update` on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Measure, catalog_cmd, measure

TASKS = ("git-clone", "kaniko", "kubectl-deploy", "yq-update")

RUN = """\
# Pipelines-as-Code run {n}: build and deploy service-{n} on push.
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: service-{n}-on-push
  annotations:
    pipelinesascode.tekton.dev/on-event: "[push]"
    pipelinesascode.tekton.dev/on-target-branch: "[main]"
spec:
  params:
    - name: git-url
      value: "{{{{ repo_url }}}}"
  pipelineSpec:
    params:
      - name: git-url
    workspaces:
      - name: source
    tasks:
{tasks}  workspaces:
    - name: source
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 1Gi
"""

TASK = """\
      # step {i}: {name}
      - name: step-{i}
        taskRef:
          resolver: hub
          params:
            - name: catalog
              value: builtin
            - name: name
              value: {name}
            - name: version
              value: "0.1.0"   # pinned by hand, long ago
        params:
          - name: url
            value: $(params.git-url)
        workspaces:
          - name: source
            workspace: source
"""


def make(folder: Path, files: int) -> int:
    tekton = folder / ".tekton"
    tekton.mkdir(parents=True)
    refs = 0
    for n in range(files):
        tasks = "".join(TASK.format(i=i, name=name) for i, name in enumerate(TASKS))
        (tekton / f"run-{n:02d}.yaml").write_text(RUN.format(n=n, tasks=tasks))
        refs += len(TASKS)
    return refs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tekton-refs-"))
    try:
        pristine = work / "pristine"
        refs = make(pristine, args.files)
        files = sorted(str(p) for p in (pristine / ".tekton").glob("*.yaml"))
        env = {"CATALOG_OFFLINE": "1", "XDG_CONFIG_HOME": str(work / "config"), "XDG_CACHE_HOME": str(work / "cache")}
        load = "import sys, yaml; [list(yaml.load_all(open(f), Loader=yaml.{})) for f in sys.argv[1:]]"
        cat = catalog_cmd()
        measure("warm-up", [*cat, "refs", str(pristine / ".tekton")], runs=1, env=env)
        results: list[Measure] = [
            measure("PyYAML safe_load (pure Python)", [sys.executable, "-c", load.format("SafeLoader"), *files],
                    args.runs),
            measure("PyYAML safe_load (C)", [sys.executable, "-c", load.format("CSafeLoader"), *files], args.runs),
            measure("catalog refs", [*cat, "refs", str(pristine / ".tekton")], args.runs, env),
            measure("catalog update --dry-run", [*cat, "update", "--dry-run", str(pristine / ".tekton")],
                    args.runs, env),
        ]
        times = []
        for i in range(args.runs):
            copy = work / f"copy-{i}"
            shutil.copytree(pristine, copy)
            times.append(measure("catalog update", [*cat, "update", str(copy / ".tekton")], 1, env))
        times.sort(key=lambda m: m.seconds)
        results.append(Measure("catalog update", times[len(times) // 2].seconds, max(m.peak_kib for m in times),
                               args.runs))
        changed = sum(1 for p in (work / "copy-0" / ".tekton").glob("*.yaml")
                      if p.read_text() != (pristine / ".tekton" / p.name).read_text())
        base = results[0]
        print(f"{args.files} files, {refs} references; update changed {changed} files; median of {args.runs} runs")
        print(f"{'':34} {'wall':>8} {'x base':>7} {'peak MiB':>9}")
        for m in results:
            print(f"{m.label:34} {m.seconds:7.2f}s {m.seconds / base.seconds:7.2f} {m.peak_mib:9.1f}")
        update = results[-1].seconds
        print(f"target: catalog update under 2 s: {'met' if update < 2 else 'NOT met'} ({update:.2f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
