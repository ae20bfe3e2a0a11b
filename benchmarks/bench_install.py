"""Installing the five built-in Tasks into 50 namespaces, against `kubectl apply
--server-side -f` of the same rendered objects, on the same local API server.

Each tool gets its own fresh namespaces; both create (first run) and re-apply
(second run). Also reports API requests per object for catalog.

Run: python benchmarks/bench_install.py [--namespaces 50]
(needs the local API server built: scripts/localkube.sh build)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, catalog_cmd

sys.path.insert(0, str(ROOT))

TASKS = ["git-clone", "kaniko", "kubectl-deploy", "maven-jib-build", "yq-update"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=50)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-install-"))
    script = ROOT / "scripts" / "localkube.sh"
    subprocess.run(["bash", str(script), "start", str(work / "kube")], check=True, stdout=subprocess.DEVNULL)
    try:
        kubeconfig = str(work / "kube" / "admin.kubeconfig")
        env = {**os.environ, "KUBECONFIG": kubeconfig, "XDG_CACHE_HOME": str(work / "cache")}
        n = args.namespaces
        groups = {tool: [f"{tool}-{i:02d}" for i in range(n)] for tool in ("kubectl", "catalog", "counted")}
        ns_yaml = "".join(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
                          for names in groups.values() for ns in names)
        subprocess.run(["kubectl", "apply", "-f", "-"], input=ns_yaml, text=True, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        cat = catalog_cmd()
        rendered = work / "objects.yaml"
        with rendered.open("w") as out:
            for ns in groups["kubectl"]:
                out.write(subprocess.run([*cat, "render", *TASKS, "-n", ns], check=True, env=env,
                                         capture_output=True, text=True).stdout)
        objects = sum(1 for line in rendered.read_text().splitlines() if line == "---")
        kubectl = ["kubectl", "apply", "--server-side", "--field-manager=bench", "-f", str(rendered)]
        install = [*cat, "install", *TASKS]
        for ns in groups["catalog"]:
            install += ["-n", ns]
        k1, c1 = timed(kubectl, env), timed(install, env)
        k2, c2 = timed(kubectl, env), timed(install, env)

        # Requests per object, counted in-process on a third set of namespaces.
        os.environ.update(env)
        from catalog_cli.actions.common import Options
        from catalog_cli.actions.install import install as run_install
        from catalog_cli.sources import open_catalog
        from catalog_cli.cluster.client import KubeCluster

        cluster = KubeCluster(kubeconfig)
        report = run_install(open_catalog(None), cluster, TASKS, Options(tuple(groups["counted"])))
        written = sum(1 for c in report.changes if c.action != "unchanged")
        first_requests = cluster.requests
        cluster.requests = 0
        run_install(open_catalog(None), cluster, TASKS, Options(tuple(groups["counted"])))
        again_requests = cluster.requests

        print(f"{n} namespaces x {len(TASKS)} Tasks = {objects} objects (Task, ServiceAccount, Role, RoleBinding)")
        print(f"{'':34} {'create s':>9} {'re-apply s':>11}")
        print(f"{'kubectl apply --server-side -f':34} {k1:9.2f} {k2:11.2f}")
        print(f"{'catalog install (CLI)':34} {c1:9.2f} {c2:11.2f}")
        print(f"ratio catalog/kubectl: create {c1 / k1:.2f}, re-apply {c2 / k2:.2f}")
        print(f"catalog API requests: first install {first_requests} for {written} objects "
              f"(+{n} install records) = {first_requests / written:.2f} per object; "
              f"unchanged re-install {again_requests} = {again_requests / written:.2f} per object")
    finally:
        subprocess.run(["bash", str(script), "stop", str(work / "kube")], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
