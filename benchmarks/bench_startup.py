"""Start-up cost: `catalog --help`, `catalog search git` and a cached search on a
15,000-version index, against `kubectl --help` and `python -c pass` in the same run.

Every command runs `--runs` times, the commands taking turns (round-robin), so that a
burst of load from other processes falls on all of them alike. For each: the median
and fastest wall time, the median CPU time (user + system of the child, from wait4),
ratios of medians to `python -c pass` and to `kubectl --help`, and the peak memory.
The load average is printed before and after: on a shared machine compare ratios and
CPU times, not seconds.

Two layouts of the same code:
- "dev": this checkout's .venv, an editable install. Its `site` runs setuptools'
  editable finder on every start of Python (pathlib, urllib.parse, ipaddress...):
  `python -c pass` costs about twice what it does without it.
- "installed": a second virtual environment made here that sees this checkout and
  the .venv's packages through a plain .pth file, and runs the same `catalog` script,
  as a wheel install would (no finder at start-up).

Baselines besides kubectl and `python -c pass`: `import typer` (what the Typer path
pays before anything of catalog), and the standard modules a search of a cached catalog
needs whatever catalog does (re, typing, dataclasses, pathlib, sqlite3, hashlib, json).

Python's bytecode cache is allowed for the measured commands (PYTHONDONTWRITEBYTECODE
is removed from their environment, and a warm-up run writes the .pyc files): an
installed catalog has them, and without them every run compiles catalog's sources.

Options:
  --importtime N   also run each catalog command N times under `python -X importtime`
                   and print, per top-level package, the median of its summed self times
  --profile        also print cProfile's top functions (cumulative) for each catalog command
  --names/--per-name  size of the generated index (default 1,500 x 10 = 15,000 versions)

Run: python benchmarks/bench_startup.py [--runs 30] [--importtime 10] [--profile]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, catalog_cmd

#: What a search of a cached catalog needs from the standard library, whatever catalog does.
STDLIB = "import re, typing, dataclasses, pathlib, sqlite3, hashlib, json"


@dataclass
class Timed:
    label: str
    cmd: list[str]
    env: dict[str, str]
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kib: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_once(t: Timed) -> None:
    """One run: wall time from fork to exit, the child's CPU time and peak memory (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(t.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=t.env)
    _, status, usage = os.wait4(proc.pid, 0)
    t.seconds.append(time.perf_counter() - start)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # search exits 1 when nothing matches
        raise SystemExit(f"{t.label}: exit code {proc.returncode} from {' '.join(t.cmd)}")
    t.cpu.append(usage.ru_utime + usage.ru_stime)
    t.peak_kib = max(t.peak_kib, usage.ru_maxrss)


def index_folder(work: Path, names: int, per_name: int) -> Path:
    """The generated index (bench_index.generate), written as JSON: a cached search reads
    the SQLite cache whatever the format, and the first parse of JSON is quicker. Made in
    a child process, so that this one stays small: a child's peak memory counts what it
    inherited before it started the measured program."""
    folder = work / "index15k"
    folder.mkdir()
    make = ("import sys; sys.path[:0] = sys.argv[1:3]; from bench_index import generate; "
            "from catalog_cli import index; "
            "open(sys.argv[3], 'w').write(index.render(generate(int(sys.argv[4]), int(sys.argv[5])), 'json'))")
    subprocess.run([sys.executable, "-c", make, str(Path(__file__).parent), str(ROOT),
                    str(folder / "index.yaml"), str(names), str(per_name)], check=True)
    return folder


def installed_layout(work: Path, script: list[str]) -> tuple[str, list[str]] | None:
    """A virtual environment that sees this checkout and the running one's packages
    through a .pth file, with a copy of the ``catalog`` script: (its python, its catalog).
    None when the script is not a file to copy (no .venv)."""
    if len(script) != 1 or not Path(script[0]).is_file():
        return None
    venv = work / "installed"
    base_python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}"
    subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "catalog_checkout.pth").write_text(f"{ROOT}\n{sysconfig.get_paths()['purelib']}\n")
    lines = Path(script[0]).read_text().splitlines()
    exe = venv / "bin" / "catalog"
    exe.write_text("\n".join([f"#!{python}", *lines[1:]]) + "\n")
    exe.chmod(0o755)
    return str(python), [str(exe)]


def importtimes(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median import time (ms) of each top-level package a command imports: the self times
    of its modules summed (so typer's own cost, not that of the stdlib modules it pulls in)."""
    per: dict[str, list[float]] = {}
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True,
                             env=env, check=False).stderr
        seen: dict[str, float] = {}
        for line in err.splitlines():
            # "import time: <self us> | <cumulative us> | <name, indented by nesting>"
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            top = parts[2].strip().split(".")[0]
            seen[top] = seen.get(top, 0.0) + int(parts[0]) / 1000
        for k, v in seen.items():
            per.setdefault(k, []).append(v)
    return {k: statistics.median(v + [0.0] * (runs - len(v))) for k, v in per.items()}


def profile(cmd_args: list[str], env: dict[str, str], top: int = 25) -> str:
    with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as f:
        out = f.name
    subprocess.run([sys.executable, "-m", "cProfile", "-o", out, "-m", "catalog_cli", *cmd_args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    code = (f"import pstats; pstats.Stats({out!r}).strip_dirs().sort_stats('cumulative')"
            f".print_stats({top})")
    text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    os.unlink(out)
    return text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--names", type=int, default=1500)
    ap.add_argument("--per-name", type=int, default=10)
    ap.add_argument("--importtime", type=int, default=0, metavar="N")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"XDG_CACHE_HOME": str(work / "cache"), "XDG_CONFIG_HOME": str(work / "config"),
                "KUBECONFIG": str(work / "no-kubeconfig"), "COLUMNS": "100"})
    env.pop("CATALOG_SOURCE", None)
    cat = catalog_cmd()
    folder = index_folder(work, args.names, args.per_name)
    search_15k = ["search", "deploy", "--catalog", str(folder), "-o", "json"]
    versions = f"{args.names * args.per_name:,} versions"
    installed = installed_layout(work, cat)

    py = sys.executable
    timed = [Timed("python -c pass", [py, "-c", "pass"], env)]
    kubectl = shutil.which("kubectl")
    if kubectl:
        timed.append(Timed("kubectl --help", [kubectl, "--help"], env))
    timed += [
        Timed("python -c 'import typer'", [py, "-c", "import typer"], env),
        Timed("python: the stdlib a search needs", [py, "-c", STDLIB], env),
        Timed("catalog --help", [*cat, "--help"], env),
        Timed("catalog search git", [*cat, "search", "git"], env),
        Timed(f"catalog search deploy -o json ({versions}, cached)", [*cat, *search_15k], env),
        Timed(f"catalog search deploy ({versions}, cached, table)", [*cat, *search_15k[:-2]], env),
        Timed("catalog version --help (through Typer)", [*cat, "version", "--help"], env),
    ]
    if installed:
        ipy, icat = installed
        timed += [
            Timed("installed: python -c pass", [ipy, "-c", "pass"], env),
            Timed("installed: the stdlib a search needs", [ipy, "-c", STDLIB], env),
            Timed("installed: catalog --help", [*icat, "--help"], env),
            Timed("installed: catalog search git", [*icat, "search", "git"], env),
            Timed(f"installed: catalog search deploy -o json ({versions})", [*icat, *search_15k], env),
        ]
    # Warm-up: writes the .pyc files, builds both search caches, keeps the root's help.
    for t in timed:
        run_once(t)
        t.seconds.clear()
        t.cpu.clear()
        t.peak_kib = 0
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for t in timed:
            run_once(t)
    load_after = os.getloadavg()

    print(f"{datetime.date.today()}  {platform.node()}  {platform.machine()}  {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  runs: {args.runs}, interleaved")
    print("load average (1, 5, 15 min): before " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after " + ", ".join(f"{x:.2f}" for x in load_after))
    base = timed[0].median
    kube = timed[1].median if kubectl else float("nan")
    kube_cpu = statistics.median(timed[1].cpu) if kubectl else float("nan")
    print(f"{'what':58} {'wall ms':>8} {'min ms':>7} {'/python':>8} {'/kubectl':>8} {'CPU ms':>7} "
          f"{'/kubectl':>8} {'MiB':>6}")
    for t in timed:
        cpu = statistics.median(t.cpu)
        print(f"{t.label:58} {t.median * 1000:8.1f} {min(t.seconds) * 1000:7.1f} {t.median / base:8.2f} "
              f"{t.median / kube:8.2f} {cpu * 1000:7.1f} {cpu / kube_cpu:8.2f} {t.peak_kib / 1024:6.1f}")

    catalog_runs = [(t.label, t.cmd[len(cat):]) for t in timed if t.label.startswith("catalog")]
    if args.importtime:
        print(f"\nimport time by top-level package, median of {args.importtime} runs (ms, self times summed):")
        for label, rest in catalog_runs:
            times = importtimes([*cat, *rest] if len(cat) == 1 and not cat[0].endswith("python")
                                else ["-m", "catalog_cli", *rest], env, args.importtime)
            shown = sorted(times.items(), key=lambda kv: -kv[1])[:12]
            print(f"  {label}: total {sum(times.values()):.1f}; " + ", ".join(f"{k} {v:.1f}" for k, v in shown))
    if args.profile:
        for label, rest in catalog_runs:
            print(f"\ncProfile: {label}\n{profile(rest, env)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
