"""Every bad input of tests/data/bad_input.yaml: one clear line, its exit code, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, assert_one_line_error, run_cli

CASES = yaml.safe_load((Path(__file__).parent / "data" / "bad_input.yaml").read_text())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path) -> None:
    for rel, content in (case.get("files") or {}).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):  # a generated file: {repeat: text, times: n}
            target.write_text(content["repeat"] * content["times"])
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    before = _snapshot(tmp_path)
    repo_before = _snapshot(ROOT / "catalog")
    args = [a.replace("{dir}", str(tmp_path)) for a in case["args"]]
    r = run_cli(*args)
    needles = [e.replace("{dir}", str(tmp_path)) for e in case["error"]]
    if case.get("finding"):
        lines = r.out.splitlines()
        assert len(lines) == 1 and all(n in lines[0] for n in needles), r.out
        assert "Traceback" not in r.err
    else:
        assert_one_line_error(r, *needles)
        assert r.out == ""
    assert r.code == case["code"], r.err
    assert _snapshot(tmp_path) == before
    assert _snapshot(ROOT / "catalog") == repo_before
