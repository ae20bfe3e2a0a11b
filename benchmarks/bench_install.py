"""Installing the five built-in Tasks into 50 namespaces, against `kubectl apply
--server-side -f` of the same rendered objects, on the same local API server.

Each round starts a fresh local API server (scripts/localkube.sh) and gives each tool
its own fresh namespaces; both create (first run) and re-apply (second run), the tool
that goes first alternating from round to round. The figures are the medians over the
rounds of each round's ratio. API requests are counted in-process on a third set of
namespaces (first round), by verb and path.

Run: python benchmarks/bench_install.py [--namespaces 50] [--rounds 3]
(needs the local API server built: scripts/localkube.sh build)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import ROOT, catalog_cmd

sys.path.insert(0, str(ROOT))

TASKS = ["git-clone", "kaniko", "kubectl-deploy", "maven-jib-build", "yq-update"]


def cpu_of(pids: list[str]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], env: dict[str, str], server: list[str]) -> tuple[float, float, float]:
    """Wall seconds of ``cmd``, CPU seconds of the command, and of the ``server`` processes meanwhile."""
    start, before, mine = time.perf_counter(), cpu_of(server), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime, cpu_of(server) - before


def shape(method: str, path: str) -> str:
    """``method path`` with namespace and object names taken out."""
    path = re.sub(r"/namespaces/[^/]+", "/namespaces/NS", path)
    path = re.sub(r"(/(tasks|serviceaccounts|roles|rolebindings|configmaps))/[^/?]+$", r"\1/NAME", path)
    return f"{method} {path}"


def counting_cluster(kubeconfig: str) -> tuple[Any, collections.Counter[str]]:
    """A fresh client (``KubeCluster``) and the count of its requests by :func:`shape`,
    kept as it sends them (its ``requests`` attribute has the total)."""
    from catalog_cli.cluster.client import KubeCluster

    cluster = KubeCluster(kubeconfig)
    seen: collections.Counter[str] = collections.Counter()
    send = cluster.request

    def counted(method: str, path: str, *args: Any, **kw: Any) -> Any:
        seen[shape(method, path)] += 1
        return send(method, path, *args, **kw)

    cluster.request = counted
    return cluster, seen


def count(kubeconfig: str, namespaces: list[str]) -> tuple[int, int, int, collections.Counter[str],
                                                              collections.Counter[str]]:
    """Install twice in-process, counting requests: (objects written, first, again, by shape...)."""
    from catalog_cli.actions.common import Options
    from catalog_cli.actions.install import install as run_install
    from catalog_cli.sources import open_catalog

    shapes: list[collections.Counter[str]] = []
    totals, written = [], 0
    for _ in range(2):
        # A fresh client each time, as each CLI run has: nothing is remembered between runs.
        cluster, seen = counting_cluster(kubeconfig)
        report = run_install(open_catalog(None), cluster, TASKS, Options(tuple(namespaces)))
        written = written or sum(1 for c in report.changes if c.action != "unchanged")
        totals.append(cluster.requests)
        shapes.append(seen)
    return written, totals[0], totals[1], shapes[0], shapes[1]


@dataclass
class Server:
    """A fresh local API server: its folder, admin kubeconfig, the environment to run
    commands in (temporary XDG folders), and the process ids of kube-apiserver and etcd
    (what both tools make work; the controller manager's share, a token for each new
    ServiceAccount when it is built, is the same for both)."""

    work: Path
    kubeconfig: str
    env: dict[str, str]
    pids: list[str]

    def cpu(self) -> float:
        """CPU seconds kube-apiserver and etcd have used so far."""
        return cpu_of(self.pids)

    def peak_mib(self) -> dict[str, float]:
        """Peak resident memory of kube-apiserver and etcd so far (VmHWM), MiB."""
        names = {line.split()[1]: line.split()[0] for line in (self.work / "kube" / "pids").read_text().splitlines()}
        out = {}
        for pid in self.pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[names[pid]] = int(line.split()[1]) / 1024
        return out


@contextlib.contextmanager
def local_server(prefix: str = "bench-install-") -> Iterator[Server]:
    """Start scripts/localkube.sh in a temporary folder; stop it and remove the folder after."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    script = ROOT / "scripts" / "localkube.sh"
    try:
        subprocess.run(["bash", str(script), "start", str(work / "kube")], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        kubeconfig = str(work / "kube" / "admin.kubeconfig")
        env = {**os.environ, "KUBECONFIG": kubeconfig, "XDG_CACHE_HOME": str(work / "cache"),
               "XDG_STATE_HOME": str(work / "state"), "XDG_CONFIG_HOME": str(work / "config")}
        pids = [line.split()[1] for line in (work / "kube" / "pids").read_text().splitlines()
                if line.split()[0] in ("kube-apiserver", "etcd")]
        yield Server(work, kubeconfig, env, pids)
    finally:
        subprocess.run(["bash", str(script), "stop", str(work / "kube")], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def create_namespaces(server: Server, names: list[str]) -> None:
    ns_yaml = "".join(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n" for ns in names)
    subprocess.run(["kubectl", "apply", "-f", "-"], input=ns_yaml, text=True, check=True, env=server.env,
                   stdout=subprocess.DEVNULL)


def render_into(path: Path, namespaces: list[str], env: dict[str, str]) -> int:
    """Write what ``catalog render TASKS -n NS`` prints for each namespace (rendered in
    this process, as the command does) to ``path``; the number of objects."""
    from catalog_cli.actions.render import render
    from catalog_cli.settings import Settings
    from catalog_cli.sources import open_catalog
    from catalog_cli.yamlio import dump

    cat = open_catalog(None, Settings.from_env(env))
    objects = 0
    with path.open("w") as out:
        for ns in namespaces:
            for obj in render(cat, TASKS, ns):
                out.write(f"---\n{dump(obj, literal_blocks=True)}")
                objects += 1
    return objects


def one_round(n: int, kubectl_first: bool, counted: bool) -> dict[str, Any]:
    with local_server() as server:
        env = server.env
        groups = {tool: [f"{tool}-{i:02d}" for i in range(n)] for tool in ("kubectl", "catalog", "counted")}
        create_namespaces(server, [ns for names in groups.values() for ns in names])
        cat = catalog_cmd()
        rendered = server.work / "objects.yaml"
        objects = render_into(rendered, groups["kubectl"], env)
        kubectl = ["kubectl", "apply", "--server-side", "--field-manager=bench", "-f", str(rendered)]
        install = [*cat, "install", *TASKS]
        for ns in groups["catalog"]:
            install += ["-n", ns]
        load = os.getloadavg()[0]
        if kubectl_first:
            k1, c1 = timed(kubectl, env, server.pids), timed(install, env, server.pids)
            k2, c2 = timed(kubectl, env, server.pids), timed(install, env, server.pids)
        else:
            c1, k1 = timed(install, env, server.pids), timed(kubectl, env, server.pids)
            c2, k2 = timed(install, env, server.pids), timed(kubectl, env, server.pids)
        result: dict[str, Any] = {"objects": objects, "load": (load + os.getloadavg()[0]) / 2}
        for key, (wall, own, served) in (("k1", k1), ("c1", c1), ("k2", k2), ("c2", c2)):
            result[key], result[key + "cpu"], result[key + "srv"] = wall, own, served
        if counted:
            os.environ.update(env)
            result["count"] = count(server.kubeconfig, groups["counted"])
        return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    n = args.namespaces
    rounds = []
    for r in range(args.rounds):
        res = one_round(n, kubectl_first=r % 2 == 0, counted=r == 0)
        rounds.append(res)
        print(f"round {r + 1} ({'kubectl' if r % 2 == 0 else 'catalog'} first, load {res['load']:.1f}): "
              f"kubectl {res['k1']:.2f} s / {res['k2']:.2f} s, catalog {res['c1']:.2f} s / {res['c2']:.2f} s, "
              f"ratio create {res['c1'] / res['k1']:.2f}, re-apply {res['c2'] / res['k2']:.2f}", flush=True)

    def med(key: str) -> float:
        return float(statistics.median(r[key] for r in rounds))

    objects = rounds[0]["objects"]
    print(f"\n{n} namespaces x {len(TASKS)} Tasks = {objects} objects (Task, ServiceAccount, Role, RoleBinding); "
          f"{len(rounds)} rounds, median load average {med('load'):.1f} on {os.cpu_count()} cores")
    print(f"{'median of rounds':34} {'create s':>9} {'re-apply s':>11}")
    print(f"{'kubectl apply --server-side -f':34} {med('k1'):9.2f} {med('k2'):11.2f}")
    print(f"{'catalog install (CLI)':34} {med('c1'):9.2f} {med('c2'):11.2f}")
    create = statistics.median(r["c1"] / r["k1"] for r in rounds)
    again = statistics.median(r["c2"] / r["k2"] for r in rounds)
    print(f"ratio catalog/kubectl (median of the rounds' ratios): create {create:.2f}, re-apply {again:.2f}")
    print(f"{'median CPU seconds, tool + server':34} {'create':>9} {'re-apply':>11}")
    for label, tool in (("kubectl", "k"), ("catalog", "c")):
        print(f"  {label:32} " + " ".join(
            f"{med(tool + n + 'cpu'):5.2f}+{med(tool + n + 'srv'):<5.2f}".rjust(w) for n, w in (("1", 9), ("2", 11))))
    cpu = [statistics.median((r[f"c{n}cpu"] + r[f"c{n}srv"]) / (r[f"k{n}cpu"] + r[f"k{n}srv"]) for r in rounds)
           for n in "12"]
    print(f"ratio of CPU seconds catalog/kubectl (load-independent): create {cpu[0]:.2f}, re-apply {cpu[1]:.2f}")
    written, first, second, first_shapes, again_shapes = rounds[0]["count"]
    print(f"catalog API requests: first install {first} for {written} objects "
          f"(+{n} install records) = {first / written:.3f} per object; "
          f"unchanged re-install {second} = {second / written:.3f} per object")
    for title, shapes in (("first install", first_shapes), ("re-install", again_shapes)):
        print(f"  {title}:")
        for what, k in sorted(shapes.items(), key=lambda x: (-x[1], x[0])):
            print(f"    {k:6d}  {what}")


if __name__ == "__main__":
    main()
