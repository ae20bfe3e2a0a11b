#!/usr/bin/env python3
"""Run `catalog lint` and tekton-lint over the tektoncd/catalog task files; write a comparison.

    python scripts/compare_tekton_lint.py                       # writes docs/lint-comparison.md
    python scripts/compare_tekton_lint.py --output - --corpus ../shared/corpus/tektoncd-catalog

tekton-lint comes from npm (``npm install --prefix $TEKTON_LINT_DIR tekton-lint@0.6.0``,
done here when missing; default directory /tmp/tl, never inside the repository).
Both tools read the same files: ``task/<name>/<version>/<name>.yaml``, the main
file of every task version, given to each as relative paths from the corpus root.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = (ROOT / ".." / "shared" / "corpus" / "tektoncd-catalog").resolve()
TEKTON_LINT_VERSION = "0.6.0"

#: tekton-lint rule → the rules of ours that cover it ("" where none does).
MAPPING: dict[str, tuple[str, ...]] = {
    "no-duplicate-param": ("duplicate-name",),
    "no-invalid-name": ("invalid-name", "kebab-case"),
    "no-invalid-param-type": ("invalid-param-type",),
    "no-pipeline-missing-parameters": ("missing-task-param",),
    "no-pipeline-missing-task": ("missing-runafter-target",),
    "no-pipeline-task-cycle": ("pipeline-cycle",),
    "no-extra-param": ("unknown-task-param",),
    "no-missing-workspace": ("missing-task-workspace", "undefined-workspace"),
    "no-undefined-result": ("undefined-task-result",),
    "no-missing-param": ("missing-task-param",),
    "no-duplicate-resource": ("duplicate-resource",),
    "no-resourceversion": ("schema",),
    "no-duplicate-env": ("duplicate-env",),
    "no-undefined-volume": ("undefined-volume",),
    "no-latest-image": ("latest-image", "unpinned-image"),
    "prefer-beta": ("removed-api", "v1beta1-api"),
    "prefer-kebab-case": ("kebab-case", "invalid-name"),
    "no-unused-param": ("unused-param",),
    "no-missing-resource": ("missing-task-ref",),
    "no-undefined-param": ("undefined-param",),
    "prefer-when-expression": ("deprecated-resources",),
    "no-deprecated-resource": ("deprecated",),
}
MAPPING_NOTES = {
    "no-resourceversion": "not checked: metadata.resourceVersion is harmless in a file (kubectl drops it on create)",
    "no-missing-resource": "also Triggers (EventListener → TriggerBinding/Template), which `catalog lint` does not read",
    "prefer-beta": "tekton-lint nudges v1alpha1 → v1beta1; we nudge v1beta1 → v1 and reject v1alpha1",
    "no-invalid-param-type": "also TriggerBinding params (Triggers are not linted here)",
}


def tekton_lint_bin(directory: Path) -> Path:
    binary = directory / "node_modules" / ".bin" / "tekton-lint"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(directory), f"tekton-lint@{TEKTON_LINT_VERSION}"],
            check=True, stdout=subprocess.DEVNULL,
        )
    return binary


def run_tekton_lint(binary: Path, corpus: Path, files: list[str]) -> list[dict[str, Any]]:
    res = subprocess.run(
        [str(binary), "--format", "json", *files], cwd=corpus, capture_output=True, text=True, check=False
    )
    if res.returncode not in (0, 1):
        raise SystemExit(f"tekton-lint failed ({res.returncode}): {res.stderr.strip()}")
    findings: list[dict[str, Any]] = json.loads(res.stdout)
    return findings


def run_ours(corpus: Path, files: list[str]) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", "lint", "-o", "json", *files],
        cwd=corpus, env=env, capture_output=True, text=True, check=False,
    )
    if res.returncode not in (0, 1):
        raise SystemExit(f"catalog lint failed ({res.returncode}): {res.stderr.strip()}")
    findings: list[dict[str, Any]] = json.loads(res.stdout)["findings"]
    return findings


def _tokens(message: str) -> list[str]:
    return re.findall(r"'([^']+)'", message)


def match(theirs: dict[str, Any], ours: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Our finding for one of theirs: same file, a mapped rule, and the same line or subject."""
    wanted = MAPPING.get(theirs["rule"], ())
    line = theirs["loc"]["startLine"]
    candidates = [o for o in ours if o["file"] == theirs["path"] and o["rule"] in wanted]
    for o in candidates:
        if o["line"] == line:
            return o
    subject = [t for t in _tokens(theirs["message"])[:2] if t]
    for o in candidates:
        if subject and all(t in o["message"] for t in subject):
            return o
    return None


def render(corpus: Path, files: list[str], theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> str:
    from catalog_cli.lint import RULES

    their_counts = Counter(t["rule"] for t in theirs)
    our_counts = Counter(o["rule"] for o in ours)
    versions: dict[str, set[str]] = defaultdict(set)
    for f in files:
        _, name, version, _ = f.split("/")
        versions[name].add(version)
    out: list[str] = []
    w = out.append
    w("# `catalog lint` and tekton-lint on the tektoncd/catalog tasks\n")
    w("Generated by `scripts/compare_tekton_lint.py`; do not edit by hand, rerun it. "
      "Speed and memory of the two tools on the same files: `benchmarks/bench_lint.py`.\n")
    w(f"Input: the {len(files)} files `task/<name>/<version>/<name>.yaml` of the tektoncd/catalog "
      f"corpus ({len(versions)} task names; {sum(1 for v in versions.values() if len(v) > 1)} of them "
      "in more than one version). Both tools were given the same relative paths. "
      f"tekton-lint {TEKTON_LINT_VERSION} (npm) with its default configuration.\n")
    w(f"Totals: tekton-lint {len(theirs)} findings; `catalog lint` {len(ours)} findings "
      f"({sum(1 for o in ours if o['severity'] == 'error')} errors, "
      f"{sum(1 for o in ours if o['severity'] == 'warning')} warnings, "
      f"{sum(1 for o in ours if o['severity'] == 'info')} infos). Crashes: "
      f"{our_counts.get('lint-crash', 0)}; files that did not parse: {our_counts.get('yaml-syntax', 0)}.\n")

    w("## Findings per rule\n")
    w("| tekton-lint rule | tekton-lint | our rule(s) | ours |")
    w("|---|---:|---|---:|")
    for rule, mapped in MAPPING.items():
        ours_n = sum(our_counts.get(m, 0) for m in mapped)
        w(f"| {rule} | {their_counts.get(rule, 0)} | {', '.join(f'`{m}`' for m in mapped)} | {ours_n} |")
    w("")
    w("Every rule of ours, with its count here (rules without a tekton-lint counterpart included):\n")
    w("| rule | severity | origin | count | what it reports |")
    w("|---|---|---|---:|---|")
    for rid, info in RULES.items():
        w(f"| `{rid}` | {info.severity} | {info.origin} | {our_counts.get(rid, 0)} | {info.summary} |")
    w("")

    w("## Mapping notes\n")
    for rule, note in MAPPING_NOTES.items():
        w(f"- **{rule}**: {note}.")
    w("- tekton-lint keys Tasks by name (`Object.fromEntries`), so of several versions of one Task it "
      "checks only the last one it read; `catalog lint` checks every file. That is why we also report, "
      "for instance, the unused `API_PATH_PREFIX` of github-add-comment 0.4 and 0.5, not only 0.6.")
    w("- Where tekton-lint's `no-latest-image` looks only at `image:` fields, we also judge the default of "
      "a param used as a step's whole image (`image: $(params.IMAGE)`), which is how most catalog tasks "
      "choose their image; those findings are on the param's default line.\n")

    dup = [t for t in theirs if t["rule"] == "no-duplicate-resource"]
    cross = [t for t in dup if len(versions.get(t["path"].split("/")[1], ())) > 1]
    w("## no-duplicate-resource\n")
    w(f"tekton-lint reports {len(dup)} `no-duplicate-resource` findings, {len(cross)} of them a Task whose "
      "name is also defined by another version folder of the same task. tekton-lint lints every file it "
      "is given as one set of resources, as if all were applied to one namespace; a catalog is not that. "
      "It keeps each version of a Task in its own folder under the same `metadata.name` on purpose, and "
      "only one version is ever installed under that name. These are not problems. `duplicate-resource` "
      "reports a kind and name defined twice in one file or in one folder, where a second definition "
      "really would overwrite the first.\n")
    w(f"Our `duplicate-resource` findings here: {our_counts.get('duplicate-resource', 0)}.\n")

    w("## Every tekton-lint finding, and ours\n")
    w("| file:line | tekton-lint rule | message | ours |")
    w("|---|---|---|---|")
    found = missed = 0
    for t in sorted(theirs, key=lambda t: (t["path"], t["loc"]["startLine"], t["rule"])):
        if t["rule"] == "no-duplicate-resource":
            continue
        o = match(t, ours)
        found += o is not None
        missed += o is None
        ours_cell = f"`{o['rule']}` (line {o['line']})" if o else "**not found**"
        message = t["message"].replace("|", "\\|")
        w(f"| {t['path']}:{t['loc']['startLine']} | {t['rule']} | {message} | {ours_cell} |")
    w("")
    w(f"Of the {found + missed} findings that are not cross-version duplicates, `catalog lint` reports "
      f"{found}; misses: {missed}.")
    names = sorted({t["path"].split("/")[1] for t in cross})
    w(f"\nThe {len(cross)} cross-version `no-duplicate-resource` findings name these {len(names)} tasks: "
      + ", ".join(names) + ".\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", default=str(ROOT / "docs" / "lint-comparison.md"), help="file, or - for stdout")
    parser.add_argument("--tekton-lint-dir", type=Path, default=Path(os.environ.get("TEKTON_LINT_DIR", "/tmp/tl")))
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    files = sorted(str(p.relative_to(corpus)) for p in corpus.glob("task/*/*/*.yaml") if p.stem == p.parent.parent.name)
    if not files:
        raise SystemExit(f"no task files under {corpus}/task")
    theirs = run_tekton_lint(tekton_lint_bin(args.tekton_lint_dir), corpus, files)
    ours = run_ours(corpus, files)
    sys.path.insert(0, str(ROOT))
    text = render(corpus, files, theirs, ours)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: tekton-lint {len(theirs)} findings, ours {len(ours)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
