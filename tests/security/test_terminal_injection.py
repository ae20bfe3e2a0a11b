"""Text from catalogs and records never reaches a terminal as control sequences: an
escape in a description could retitle the window, clear the screen or rewrite what
was shown; a bidirectional override makes text read otherwise than it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.cli.output import safe
from catalog_cli.index import write

from ..clusterkit import catalog, edit_record
from ..conftest import run_cli

EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe"


def hostile(root: Path) -> Path:
    folder = root / "task" / "shiny" / "0.1"
    folder.mkdir(parents=True)
    (folder / "shiny.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": "shiny", "labels": {"app.kubernetes.io/version": "0.1"},
                     "annotations": {"tekton.dev/pipelines.minVersion": "0.50.0",
                                     "tekton.dev/displayName": f"Shiny {EVIL}",
                                     "tekton.dev/tags": f"git,{EVIL}", "tekton.dev/categories": EVIL}},
        "spec": {"description": f"Does things {EVIL}", "params": [{"name": "p", "description": EVIL,
                                                                   "default": EVIL}],
                 "steps": [{"name": "s", "image": "alpine", "script": "true"}]}}))
    write(root)
    return root


def holds(data: Any, text: str) -> bool:
    """Whether some string in ``data`` contains ``text``."""
    if isinstance(data, str):
        return text in data
    if isinstance(data, dict):
        return any(holds(v, text) for v in data.values())
    if isinstance(data, list):
        return any(holds(v, text) for v in data)
    return False


def clean(text: str) -> bool:
    return not any(c in text for c in ("\x1b", "\x07", "\x9b", "\u202e"))


def test_safe_escapes_what_a_terminal_acts_on_and_keeps_the_rest() -> None:
    assert safe("naïve café\tok\nline") == "naïve café\tok\nline"
    assert clean(safe(EVIL)) and "\\u001b" in safe(EVIL)


@pytest.mark.parametrize("args", [["search", "shiny"], ["info", "shiny"], ["list"], ["versions", "shiny"],
                                  ["search", "shiny", "-o", "json"], ["info", "shiny", "-o", "json"],
                                  ["search", "shiny", "-o", "yaml"], ["search", "shiny", "-o", "name"]])
def test_catalog_text_is_shown_escaped(tmp_path: Path, args: list[str]) -> None:
    root = hostile(tmp_path / "cat")
    r = run_cli(*args, "--catalog", str(root))
    assert r.code == 0, r.err
    assert clean(r.out) and clean(r.err), (r.out, r.err)
    if "json" in args or "yaml" in args:
        data = json.loads(r.out) if "json" in args else yaml.safe_load(r.out)
        assert holds(data, EVIL)  # the data itself is intact once decoded


def test_an_error_naming_hostile_text_is_escaped(tmp_path: Path) -> None:
    r = run_cli("info", f"shiny@{EVIL}", "--catalog", str(hostile(tmp_path / "cat")))
    assert r.code != 0
    assert clean(r.err)


@pytest.mark.kube
def test_a_record_carrying_escapes_is_refused_and_not_echoed(kube_server: Any, kube_namespace: str,
                                                             tmp_path: Path) -> None:
    ns = kube_namespace
    assert catalog(kube_server, "install", "git-clone", "-n", ns, state=tmp_path).code == 0
    edit_record(kube_server, ns, lambda d: d["packages"]["Task/git-clone"].update(version=EVIL), user="admin")
    r = catalog(kube_server, "status", "-n", ns, state=tmp_path)
    assert r.code == 2
    assert "edited by someone else" in r.err
    assert clean(r.out) and clean(r.err)
