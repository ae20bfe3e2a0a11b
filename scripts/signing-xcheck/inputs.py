"""The inputs catalog-xcheck serialises with Go: catalog's own test documents, every
v1 Task and Pipeline of ../shared/corpus and of the built-in catalog, and lists of
durations, quantities and strings. Printed as JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "signing" / "xcheck"
CORPUS = (ROOT / ".." / "shared" / "corpus" / "tektoncd-catalog").resolve()

DURATIONS = ["0", "1h", "90m", "1.5s", "500ms", "1us", "1\u00b5s", "1500ns", "2m", "1h2m3.004s", "100ns",
             "-1.5h", ".5s", "1h30m", "0.000000001s", "24h", "1.0000000001s", "3.5h", "1.123456789s", "72h3m0.5s",
             "5.s", "+3m", "1h1h", "0.1ns", "9223372036s", "1d", "", "s", "1", "-0"]
QUANTITIES = ["100m", "1000m", "0.5", "1024Mi", "512Mi", "1Gi", "2", "2000", "1500m", "1.5", "10Gi", "8Gi", "0.1",
              "1k", "1000k", "0Mi", "00", "128974848", "250M", "1Ki", "1536Ki", "0.25", "1.0", "007", "1000000000000",
              "999999999999999999", "1n", "1u", "1000n", "123456789012345678", "1E", "8Ei", "1.5Gi", "1e3", "1500",
              "3000m", "0.001", "0.0001", "12Mi", "1023", "1025Ki", "64Mi", "100Ti", "5G", "1.25M"]
STRINGS = ["plain", "<>&", "\u2028\u2029", "tab\there", "nl\ncr\r", "\x01\x1f\x7f", "quote\" back\\", "\u00e9\U0001f600",
           "$(params.x)", "'single'", "a/b", "\u0000"]


def inputs() -> dict[str, object]:
    tekton: dict[str, str] = {}
    for path in sorted(DATA.glob("*.yaml")):
        tekton[f"data/{path.name}"] = path.read_text()
    for base, label in ((CORPUS, "corpus"), (ROOT / "catalog", "builtin")):
        for path in sorted(base.rglob("*.yaml")):
            try:
                texts = path.read_text().split("\n---")
                for i, text in enumerate(texts):
                    doc = yaml.safe_load(text)
                    if isinstance(doc, dict) and doc.get("apiVersion") == "tekton.dev/v1" and doc.get("kind") in (
                            "Task", "Pipeline"):
                        tekton[f"{label}/{path.relative_to(base)}#{i}"] = text
            except yaml.YAMLError:
                continue
    return {
        "tekton": tekton, "durations": DURATIONS, "quantities": QUANTITIES, "strings": STRINGS,
        "reference": "127.0.0.1:5000/catalog/git-clone", "digest": "sha256:" + "ab" * 32,
        "optional": {"b": "x&y", "a": 1, "c": True, "nested": {"z": "<"}}, "passphrase": "xcheck-pass",
    }


def main() -> None:
    print(json.dumps(inputs()))


if __name__ == "__main__":
    main()
