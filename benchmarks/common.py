"""Helpers for the benchmarks: run a command several times, report wall time and peak memory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()

_PEAK = (
    "import resource, subprocess, sys; "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(r.returncode, u.ru_maxrss, u.ru_utime + u.ru_stime)"
)


def catalog_cmd() -> list[str]:
    """The installed ``catalog`` script when present, else the module from this checkout."""
    beside = Path(sys.executable).parent / "catalog"  # not a version manager's shim
    exe = str(beside) if beside.exists() else shutil.which("catalog")
    if exe:
        return [exe]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return [sys.executable, "-m", "catalog_cli"]


@dataclass
class Measure:
    label: str
    seconds: float  # median wall time
    peak_kib: int  # peak resident memory of the command
    runs: int
    #: median CPU time (user + system): on a machine other work loads, closer than the
    #: wall time to what the command costs
    cpu: float = 0.0

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


@dataclass
class Run:
    """One run of a command: exit code, wall seconds, CPU seconds (user + system) and peak
    resident memory (KiB) of the command and its children."""

    code: int
    wall: float
    cpu: float
    peak_kib: int


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` once (output discarded) under a small Python parent that reads its
    resource use: the CPU and peak memory are the command's alone, whatever else this
    process ran before."""
    full_env = {**os.environ, **(env or {})}
    # Python's bytecode cache allowed, as an installed catalog has its .pyc files (this
    # machine's shells set PYTHONDONTWRITEBYTECODE, which would compile every module
    # at every run): callers make one warm-up run first.
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], capture_output=True, text=True,
                         env=full_env, check=True).stdout.split()
    wall = time.perf_counter() - start
    return Run(int(out[0]), wall, float(out[2]), int(out[1]))


def measure(label: str, cmd: list[str], runs: int = 5, env: dict[str, str] | None = None,
            ok_codes: tuple[int, ...] = (0,)) -> Measure:
    times, peaks, cpus = [], [], []
    for _ in range(runs):
        r = run_once(cmd, env)
        if r.code not in ok_codes:
            raise SystemExit(f"{label}: exit code {r.code} from {' '.join(cmd)}")
        times.append(r.wall)
        peaks.append(r.peak_kib)
        cpus.append(r.cpu)
    return Measure(label, statistics.median(times), max(peaks), runs, statistics.median(cpus))


def report(baseline: Measure, others: list[Measure]) -> None:
    print(f"{'what':48} {'median s':>9} {'ratio':>8} {'CPU s':>7} {'ratio':>7} {'peak MiB':>9}")
    for m in [baseline, *others]:
        ratio = m.seconds / baseline.seconds if baseline.seconds else float("nan")
        cpu_ratio = m.cpu / baseline.cpu if baseline.cpu else float("nan")
        print(f"{m.label:48} {m.seconds:9.3f} {ratio:8.2f} {m.cpu:7.3f} {cpu_ratio:7.2f} {m.peak_mib:9.1f}")


def load_average() -> str:
    """The 1-minute load average and the cores: other work on the machine slows every figure."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
