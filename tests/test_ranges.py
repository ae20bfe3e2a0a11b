"""Version ranges, table-driven from tests/data/ranges.yaml (each case cites its source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import ranges
from catalog_cli.errors import InputError
from catalog_cli.versions import parse as version

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "ranges.yaml").read_text())
CASES: list[dict[str, Any]] = TABLE["cases"]
INVALID: list[dict[str, Any]] = TABLE["invalid"]


def _checks() -> list[tuple[str, str, bool]]:
    out = []
    for case in CASES:
        out += [(case["range"], str(v), True) for v in case.get("include", ())]
        out += [(case["range"], str(v), False) for v in case.get("exclude", ())]
    return out


@pytest.mark.parametrize(("text", "ver", "included"), _checks())
def test_range_includes(text: str, ver: str, included: bool) -> None:
    assert ranges.parse(text).allows(version(ver)) is included


@pytest.mark.parametrize("case", [c for c in CASES if "canonical" in c], ids=lambda c: c["range"])
def test_canonical_form(case: dict[str, Any]) -> None:
    assert ranges.parse(case["range"]).canonical() == case["canonical"]


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c["range"])
def test_invalid_range_is_one_clear_error(case: dict[str, Any]) -> None:
    with pytest.raises(InputError) as info:
        ranges.parse(case["range"], "pipeline-x 1.0")
    assert str(info.value) == f"pipeline-x 1.0: {case['error']}"
    assert not ranges.is_range(case["range"])


def test_every_case_cites_its_source() -> None:
    assert len(CASES) >= 80
    for case in CASES + INVALID:
        assert case.get("source"), case
        assert case.get("include") or case.get("exclude") or case.get("canonical") or case.get("error")


def test_catalog_folder_versions_compare_semantically() -> None:
    # Folders are written 0.9, 0.10: 0.10 is 0.10.0, newer than 0.9.
    r = ranges.parse(">0.9")
    assert r.allows(version("0.10")) and not r.allows(version("0.9"))
    assert ranges.parse("^0.9").allows(version("0.9.3")) and not ranges.parse("^0.9").allows(version("0.10"))


def test_range_keeps_its_text_and_is_hashable() -> None:
    r = ranges.parse(" >=1.2  <2 ")
    assert str(r) == ">=1.2  <2"
    assert ranges.parse(">=1.2  <2") is ranges.parse(">=1.2  <2")  # parsed once
    assert {r: 1}[r] == 1
    assert ranges.ANY.is_any and ranges.parse("*").is_any and not r.is_any
