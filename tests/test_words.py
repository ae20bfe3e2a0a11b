"""Counts in messages (words.py): "1 object", "2 objects", never "1 objects" or "object(s)"."""

from __future__ import annotations

import re

import pytest

from catalog_cli.words import plural

from .conftest import ROOT


@pytest.mark.parametrize(("count", "noun", "text"), [
    (0, "object", "0 objects"), (1, "object", "1 object"), (2, "object", "2 objects"),
    (1, "entry", "1 entry"), (3, "entry", "3 entries"), (2, "dependency", "2 dependencies"),
    (1, "class", "1 class"), (2, "class", "2 classes"), (2, "match", "2 matches"),
    (2, "index", "2 indexes"), (2, "person", "2 people"),
])
def test_plural(count: int, noun: str, text: str) -> None:
    assert plural(count, noun, "people" if noun == "person" else None) == text


#: A count written straight into a message: "{n} files", "{len(x)} image(s)".
_RAW_COUNT = re.compile(r"\{(len\([^{}]*\)|[\w.]*(count|entries|files|fetched|resources))\}\s*\w+(s\b|\(s\))")
#: Counts that are never 1 where they are written, or ask for the plural anyway.
_NEVER_ONE = {
    ("catalog_cli/index.py", "documents; only the first is indexed"),  # two or more
    ("catalog_cli/cli/repo_cmd.py", "repos could not be updated"),  # "1 of 1 repos"
    ("catalog_cli/lint/checks_meta.py", "characters; Tekton allows"),  # over a limit
    ("catalog_cli/lint/tekton_pipeline.py", "combinations, over Tekton's default limit"),  # likewise
}


def test_every_count_in_a_message_goes_through_the_helper() -> None:
    found = []
    for path in sorted((ROOT / "catalog_cli").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _RAW_COUNT.search(line) and not any(rel == f and text in line for f, text in _NEVER_ONE):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []


def test_the_check_sees_what_it_looks_for() -> None:
    assert _RAW_COUNT.search('note(f"pushed {len(rows)} bundle(s) to {oci}")')
    assert _RAW_COUNT.search('f"wrote {out} ({result.entries} versions, {result.files} files)"')
    assert not _RAW_COUNT.search('f"wrote {out} ({plural(result.files, \'file\')})"')
