#!/usr/bin/env python3
"""Run `catalog lint` and tekton-lint over the tektoncd/catalog task files; write a comparison.

    python scripts/compare_tekton_lint.py                       # writes docs/lint-comparison.md
    python scripts/compare_tekton_lint.py --output - --corpus ../shared/corpus/tektoncd-catalog
    python scripts/compare_tekton_lint.py --draw-spot-check     # the findings to check by hand

tekton-lint comes from npm (``npm install --prefix $TEKTON_LINT_DIR @ibm/tekton-lint@1.1.0``,
done here when missing; default directory /tmp/tekton-lint-1.1.0, never inside the
repository) and runs with its default rule configuration (``--config`` points at an
empty directory, so no .tektonlintrc.yaml of the corpus or the repository is read).
Both tools read the same files: ``task/<name>/<version>/<name>.yaml``, the main
file of every task version, given to each as relative paths from the corpus root.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = (ROOT / ".." / "shared" / "corpus" / "tektoncd-catalog").resolve()
TEKTON_LINT_PACKAGE = "@ibm/tekton-lint"
TEKTON_LINT_VERSION = "1.1.0"

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
    "no-missing-hashbang": ("missing-shebang",),
    "prefer-camel-kebab-case": ("kebab-case",),
}
#: What Tekton itself does with what each tekton-lint rule reports (read from its validation code).
TEKTON_VERDICT: dict[str, str] = {
    "no-duplicate-param": "rejects (webhook)",
    "no-invalid-name": "rejects a name that is not a DNS-1123 subdomain; accepts one starting with a digit",
    "no-invalid-param-type": "accepts: reads an unquoted true or 1000 as a string",
    "no-pipeline-missing-parameters": "the run fails",
    "no-pipeline-missing-task": "rejects (webhook, dag)",
    "no-pipeline-task-cycle": "rejects (webhook, dag)",
    "no-extra-param": "accepts: extra params are ignored",
    "no-missing-workspace": "rejects a binding to an undeclared workspace; a run fails without a required one",
    "no-undefined-result": "rejects a result of a task the pipeline lacks; the run fails on an unknown result",
    "no-missing-param": "the run fails",
    "no-duplicate-resource": "the second object replaces the first when both go to one namespace",
    "no-resourceversion": "accepts",
    "no-duplicate-env": "accepts (Kubernetes keeps the last)",
    "no-undefined-volume": "accepts the Task; a run fails unless its podTemplate adds the volume",
    "no-latest-image": "accepts",
    "prefer-beta": "v1alpha1 Task and Pipeline are no longer served",
    "prefer-kebab-case": "accepts",
    "no-unused-param": "accepts",
    "no-missing-resource": "the run fails",
    "no-undefined-param": "rejects it in step fields; elsewhere it stays unreplaced",
    "prefer-when-expression": "Conditions were removed",
    "no-deprecated-resource": "accepts",
    "no-missing-hashbang": "accepts (runs the script with sh)",
    "prefer-camel-kebab-case": "accepts",
}
MAPPING_NOTES = {
    "no-resourceversion": "not checked: metadata.resourceVersion is harmless in a file (kubectl drops it on create)",
    "no-missing-resource": "also Triggers (EventListener → TriggerBinding/Template); `catalog lint` checks each Triggers object as its webhook does, not the references between them",
    "prefer-beta": "tekton-lint nudges v1alpha1 → v1beta1; we nudge v1beta1 → v1 and reject v1alpha1",
    "no-invalid-param-type": "Tekton reads an unquoted `true` or `1000` default as the string \"true\" or \"1000\" (ParamValue.UnmarshalJSON) and accepts it, so `catalog lint` no longer reports it; it reports a default whose type, read that way, is not the declared one",
    "no-missing-hashbang": "tekton-lint checks only the last version of each Task it reads (see below); `catalog lint` checks every version, and StepAction scripts too",
    "prefer-camel-kebab-case": "off in tekton-lint's default configuration",
}


def tekton_lint_bin(directory: Path) -> Path:
    binary = directory / "node_modules" / ".bin" / "tekton-lint"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(directory),
             f"{TEKTON_LINT_PACKAGE}@{TEKTON_LINT_VERSION}"],
            check=True, stdout=subprocess.DEVNULL,
        )
    return binary


def run_tekton_lint(binary: Path, corpus: Path, files: list[str]) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as empty:  # no .tektonlintrc.yaml: the default rules
        res = subprocess.run(
            [str(binary), "--format", "json", "--config", empty, *files],
            cwd=corpus, capture_output=True, text=True, check=False,
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


_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def accepted_by_tekton(theirs: dict[str, Any]) -> str:
    """Why a tekton-lint finding is not one of ours, when the reason is that Tekton accepts it."""
    if theirs["rule"] == "no-invalid-param-type":
        return "Tekton reads the unquoted default as a string and accepts it"
    names = _tokens(theirs["message"])
    if theirs["rule"] == "no-invalid-name" and names and _DNS_SUBDOMAIN.match(names[0]) and len(names[0]) <= 63:
        return "a DNS-1123 subdomain (it may start with a digit), which Tekton accepts"
    return ""


def examples_check(examples: Path | None) -> str:
    """Lint over Tekton's own examples (tektoncd/pipeline examples/), all of which Tekton accepts
    (those under alpha/ or beta/ with the feature flags on): every error of Tekton origin there is
    a finding to explain."""
    if examples is None:
        return ""
    from catalog_cli.lint import RULES, Severity, lint_paths

    report = lint_paths([examples])
    wrong = [f for f in report.findings if f.severity is Severity.ERROR and RULES[f.rule].origin in ("tekton", "kubernetes")]
    lines = ["## Tekton's own examples\n",
             f"`catalog lint` over the {report.files} files of tektoncd/pipeline's examples/ (which Tekton's "
             "end-to-end tests apply), given with `--tekton-examples`: "
             f"{len(wrong)} error(s) that claim Tekton refuses something.\n"]
    lines += [f"- {Path(f.file).relative_to(examples)}:{f.line} `{f.rule}`: {f.message}"
              + (" (a no-ci example, which Tekton's tests do not apply; its validateTaskResultsVariables "
                 "reads the same name and refuses it)" if "/no-ci/" in f.file else "") for f in wrong]
    return "\n".join(lines) + "\n"


SPOT_CHECK = ROOT / "tests" / "data" / "lint" / "corpus-spotcheck.yaml"
SPOT_CHECK_SIZE = 30
SPOT_CHECK_SEED = 11


def pattern(finding: dict[str, Any]) -> str:
    """What kind of finding this is: its rule and message, names and numbers taken out."""
    message = re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", finding["message"]))
    return f"{finding['rule']}: {message}"


def corpus_errors(corpus: Path) -> list[dict[str, Any]]:
    """Every error of ``catalog lint`` over the whole corpus, in file order, with its origin."""
    from catalog_cli.lint import RULES, Severity, lint_paths

    report = lint_paths([corpus])
    found = [
        {"file": Path(f.file).relative_to(corpus).as_posix(), "line": f.line, "rule": f.rule, "message": f.message,
         "origin": RULES[f.rule].origin}
        for f in report.findings if f.severity is Severity.ERROR
    ]
    return sorted(found, key=lambda f: (f["file"], f["line"], f["rule"], f["message"]))


def spot_check_population(corpus: Path) -> list[dict[str, Any]]:
    """Every error of ``catalog lint`` over the whole corpus whose rule claims that Tekton or
    the API server refuses the object (origin tekton or kubernetes), in file order."""
    return [{k: v for k, v in f.items() if k != "origin"} for f in corpus_errors(corpus)
            if f["origin"] in ("tekton", "kubernetes")]


def draw_spot_check(population: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings to check by hand: one of each pattern (so every kind of finding is read
    at least once), then the rest at random, SPOT_CHECK_SIZE in all; the same population
    always draws the same findings."""
    rng = random.Random(SPOT_CHECK_SEED)
    by_pattern: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in population:
        by_pattern[pattern(f)].append(f)
    picked = [rng.choice(by_pattern[p]) for p in sorted(by_pattern)]
    rest = [f for f in population if f not in picked]
    picked += rng.sample(rest, max(0, min(len(rest), SPOT_CHECK_SIZE - len(picked))))
    return sorted(picked, key=lambda f: (f["file"], f["line"], f["rule"], f["message"]))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def spot_check(corpus: Path) -> str:
    """The hand check of corpus findings against Tekton's code (tests/data/lint/corpus-spotcheck.yaml),
    and the population it was drawn from, by pattern."""
    import yaml

    checked: list[dict[str, Any]] = yaml.safe_load(SPOT_CHECK.read_text(encoding="utf-8"))
    how = "".join(line[2:] + " " for line in SPOT_CHECK.read_text(encoding="utf-8").splitlines() if line.startswith("# "))
    errors = corpus_errors(corpus)
    population = [f for f in errors if f["origin"] in ("tekton", "kubernetes")]
    others = Counter(f"`{f['rule']}` ({f['origin']})" for f in errors if f not in population)
    patterns = Counter(pattern(f) for f in population)
    sampled = Counter(pattern(c) for c in checked)
    lines = [f"## Does lint report anything Tekton accepts? A spot check of {len(checked)}\n", how.strip() + "\n",
             f"`catalog lint ../shared/corpus/tektoncd-catalog` (the whole corpus) reports {len(errors)} errors today. "
             f"{len(errors) - len(population)} of them claim nothing about Tekton: "
             + ", ".join(f"{rule} {n}" for rule, n in sorted(others.items()))
             + ", all on catalog entries (a file beside an entry, such as the Tasks of "
             "pipeline/openwhisk/0.1/tasks/, is not one and is not asked for catalog metadata): what a catalog "
             "entry must carry (its version label and minimum Pipelines version, a name and version its path "
             "agrees with), as tektoncd/catalog's own linter, catlin, also requires. Every other finding is a "
             "warning or an info, which by definition Tekton accepts.\n",
             f"The population today: {len(population)} findings of {len(patterns)} patterns (rule and message, "
             "names and numbers taken out):\n", "| pattern | findings | checked by hand |", "|---|---:|---:|"]
    lines += [f"| {_cell(p)} | {n} | {sampled[p]} |" for p, n in sorted(patterns.items())]
    lines += ["", f"Verdicts: {Counter(c['verdict'] for c in checked)['rejects']} of {len(checked)} rejected by "
              "Tekton or the API server, as reported.\n", "| file:line | our rule | why it is refused |", "|---|---|---|"]
    lines += [f"| {c['file']}:{c['line']} | `{c['rule']}` | {c['tekton']} |" for c in checked]
    return "\n".join(lines) + "\n"


def draw_skeleton(corpus: Path) -> str:
    """The draw as YAML entries to check by hand; verdicts already given for a finding are kept."""
    import yaml

    old = {(c["file"], c["line"], c["rule"]): c for c in yaml.safe_load(SPOT_CHECK.read_text(encoding="utf-8")) or []}
    out = []
    for f in draw_spot_check(spot_check_population(corpus)):
        known = old.get((f["file"], f["line"], f["rule"]), {})
        out.append({**f, "verdict": known.get("verdict", "TODO"), "tekton": known.get("tekton", "TODO")})
    return yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=1000)


def render(corpus: Path, files: list[str], theirs: list[dict[str, Any]], ours: list[dict[str, Any]],
           examples: Path | None = None) -> str:
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
      f"tekton-lint: {TEKTON_LINT_PACKAGE} {TEKTON_LINT_VERSION} (npm) with its default configuration. "
      "Findings counted from each tool's JSON output (`--format json`, `-o json`).\n")
    w(f"Totals: tekton-lint {len(theirs)} findings; `catalog lint` {len(ours)} findings "
      f"({sum(1 for o in ours if o['severity'] == 'error')} errors, "
      f"{sum(1 for o in ours if o['severity'] == 'warning')} warnings, "
      f"{sum(1 for o in ours if o['severity'] == 'info')} infos). Crashes: "
      f"{our_counts.get('lint-crash', 0)}; files that did not parse: {our_counts.get('yaml-syntax', 0)}.\n")

    by_origin: Counter[tuple[str, str]] = Counter((RULES[o["rule"]].origin, o["severity"]) for o in ours if o["rule"] in RULES)
    w("Ours by origin (what the rule stands for) and severity:\n")
    w("| origin | errors | warnings | infos |")
    w("|---|---:|---:|---:|")
    for origin in sorted({k[0] for k in by_origin}):
        w(f"| {origin} | {by_origin[(origin, 'error')]} | {by_origin[(origin, 'warning')]} | {by_origin[(origin, 'info')]} |")
    w("\nAn error of origin `tekton` or `kubernetes` says Tekton (its webhook, or its controller when "
      "the run starts) or the API server refuses the object; `catlin` errors are what a catalog entry must "
      "have; warnings and infos are accepted by Tekton.\n")
    w("## Findings per rule\n")
    w("| tekton-lint rule | tekton-lint | what Tekton does | our rule(s) | ours |")
    w("|---|---:|---|---|---:|")
    for rule, mapped in MAPPING.items():
        ours_n = sum(our_counts.get(m, 0) for m in mapped)
        w(f"| {rule} | {their_counts.get(rule, 0)} | {TEKTON_VERDICT.get(rule, '')} | "
          f"{', '.join(f'`{m}`' for m in mapped)} | {ours_n} |")
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
    found = missed = accepted = 0
    hashbang = [t for t in theirs if t["rule"] == "no-missing-hashbang"]
    for t in sorted(theirs, key=lambda t: (t["path"], t["loc"]["startLine"], t["rule"])):
        if t["rule"] in ("no-duplicate-resource", "no-missing-hashbang"):
            continue
        o = match(t, ours)
        why = "" if o else accepted_by_tekton(t)
        found += o is not None
        missed += o is None and not why
        accepted += bool(why)
        ours_cell = f"`{o['rule']}` (line {o['line']})" if o else f"not reported: {why}" if why else "**not found**"
        message = t["message"].replace("|", "\\|")
        w(f"| {t['path']}:{t['loc']['startLine']} | {t['rule']} | {message} | {ours_cell} |")
    w("")
    hb_found = sum(1 for t in hashbang if match(t, ours) is not None)
    w(f"Of these {found + missed + accepted} findings (neither cross-version duplicates nor missing #! lines), "
      f"`catalog lint` reports {found}; {accepted} it leaves out on purpose, since Tekton accepts what they "
      f"report; misses: {missed}. Of tekton-lint's {len(hashbang)} "
      f"`no-missing-hashbang` findings, `catalog lint` reports {hb_found} as `missing-shebang` on the same "
      f"line (it reports {our_counts.get('missing-shebang', 0)} in all, over every version of every Task).")
    w(spot_check(corpus))
    w(examples_check(examples))
    names = sorted({t["path"].split("/")[1] for t in cross})
    w(f"\nThe {len(cross)} cross-version `no-duplicate-resource` findings name these {len(names)} tasks: "
      + ", ".join(names) + ".\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--tekton-examples", type=Path, help="tektoncd/pipeline's examples/ folder, to lint too")
    parser.add_argument("--output", default=str(ROOT / "docs" / "lint-comparison.md"), help="file, or - for stdout")
    parser.add_argument("--draw-spot-check", action="store_true",
                        help="print the findings the spot check must hold (as YAML to check by hand) and stop")
    parser.add_argument("--tekton-lint-dir", type=Path,
                        default=Path(os.environ.get("TEKTON_LINT_DIR", f"/tmp/tekton-lint-{TEKTON_LINT_VERSION}")))
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if args.draw_spot_check:
        sys.path.insert(0, str(ROOT))
        sys.stdout.write(draw_skeleton(corpus))
        return 0
    files = sorted(str(p.relative_to(corpus)) for p in corpus.glob("task/*/*/*.yaml") if p.stem == p.parent.parent.name)
    if not files:
        raise SystemExit(f"no task files under {corpus}/task")
    theirs = run_tekton_lint(tekton_lint_bin(args.tekton_lint_dir), corpus, files)
    ours = run_ours(corpus, files)
    sys.path.insert(0, str(ROOT))
    text = render(corpus, files, theirs, ours, args.tekton_examples)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: tekton-lint {len(theirs)} findings, ours {len(ours)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
