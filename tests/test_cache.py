"""sources/cache.py: an index file copied into the cache without making Entry objects
holds exactly what the Entry route puts there."""

from __future__ import annotations

import copy
import datetime
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from catalog_cli import index
from catalog_cli.errors import InputError
from catalog_cli.model import Entry
from catalog_cli.settings import Settings
from catalog_cli.sources import cache, folder

from .conftest import ROOT, TEKTON_CATALOG


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    return index.to_data(index.build(TEKTON_CATALOG))


def _variants(d: dict[str, Any]) -> list[dict[str, Any]]:
    """``d`` and copies missing or nulling the optional fields, as hand-written indexes do."""
    out = [d]
    for field in ("description", "displayName", "categories", "tags", "platforms", "minPipelinesVersion",
                  "deprecated", "dependencies", "rbac", "files"):
        missing = copy.deepcopy(d)
        del missing[field]
        out.append(missing)
    sparse = copy.deepcopy(d)
    sparse["dependencies"] = [{"name": "a"}, {"name": "b", "range": "^1", "kind": ""}, {"name": "c", "kind": "Task"},
                              {"name": "git-clone", "range": "0.9", "kind": "Task",
                               "via": {"resolver": "hub", "params": {"name": "git-clone", "version": "0.9"}}}]
    sparse["rbac"] = [{"resources": ["pods"], "verbs": ["get"]},
                      {"apiGroups": [], "resources": ["x"], "verbs": ["list"], "resourceNames": []},
                      {"resources": ["y"], "verbs": ["get"], "resourceNames": ["one"], "extra": 1}]
    sparse["minPipelinesVersion"] = None
    sparse["x-unknown"] = {"any": ["thing"]}
    out.append(sparse)
    return out


def test_entry_dicts_are_what_entries_give(corpus: dict[str, Any]) -> None:
    for items in corpus["entries"].values():
        for d in items:
            for v in _variants(d):
                assert cache._entry_dict(v) == Entry.from_dict(v).to_dict()


def _through_entries(data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(n, [e.to_dict() for e in items]) for n, items in index.from_data(data).entries.items()]


def _as_entries(named: Any) -> list[tuple[str, list[Entry]]]:
    """What the cache's readers make of each entry it keeps (its data column)."""
    return [(n, [Entry.from_dict(json.loads(cache._encode(d))) for d in items]) for n, items in named]


def test_entries_kept_as_written_read_back_as_the_same_entries(corpus: dict[str, Any]) -> None:
    """Sparse entries (hand-written) and entries with unknown fields give the Entry they
    would give through index.from_data; unknown fields (of any YAML type) are not kept."""
    data = copy.deepcopy(corpus)
    for items in data["entries"].values():
        for i, d in enumerate(items):
            variants = _variants(d)
            items[i] = variants[i % len(variants)]
        items[0]["x-date"] = datetime.date(2024, 1, 1)
        if items[0]["files"]:
            items[0]["files"][0]["x-set"] = {1, 2}
    got = list(cache._entry_dicts(data))
    assert _as_entries(got) == _as_entries(_through_entries(data))
    assert all("x-date" not in d for _, items in got for d in items)
    assert all("x-set" not in f for _, items in got for d in items for f in d["files"])


def test_an_index_in_order_skips_the_entries(corpus: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(cache._entry_dicts(corpus)) == _through_entries(corpus)

    def refuse(d: dict[str, Any]) -> Entry:
        raise AssertionError("an Entry was made of an index in order")

    monkeypatch.setattr(Entry, "from_dict", refuse)
    assert sum(len(v) for _, v in cache._entry_dicts(corpus)) > 300


def test_an_index_out_of_order_is_ordered_as_entries_are(corpus: dict[str, Any]) -> None:
    r = random.Random(15)
    shuffled = copy.deepcopy(corpus)
    for items in shuffled["entries"].values():
        r.shuffle(items)
    assert list(cache._entry_dicts(shuffled)) == _through_entries(corpus)


VERSIONS = ["0.1", "0.10", "0.9", "1", "1.0", "1.0.0", "v1.0.1", "2.0.0-rc.1", "2.0.0", "2.0.0+b", "0.2.0-alpha",
            "10.0", "1.2.3", "01"]
KINDS = ["Task", "Pipeline", "StepAction"]


def test_in_order_says_yes_only_when_sorting_changes_nothing() -> None:
    r = random.Random(16)
    yes = 0
    for _ in range(3000):
        pairs = [(r.choice(KINDS), r.choice(VERSIONS)) for _ in range(r.randint(0, 5))]
        if r.random() < 0.5:  # often sorted already, as indexes are
            try:
                pairs = [(e.kind, e.version) for e in index.order(
                    Entry("n", k, v, "p", "sha256:" + "0" * 64) for k, v in pairs)]
            except InputError:
                continue
        if index.in_order(pairs):
            yes += 1
            entries = [Entry("n", k, v, "p", "sha256:" + "0" * 64) for k, v in pairs]
            assert list(index.order(entries)) == entries
            assert sorted(entries, key=lambda e: (index.KIND_ORDER[e.kind], index._neg(e.version))) == entries
    assert yes > 500


def test_a_bad_version_in_an_index_out_of_order_is_still_an_error() -> None:
    data = index.to_data(index.Index({"a": (Entry("a", "Task", "1.0", "p", "sha256:" + "0" * 64),
                                            Entry("a", "Task", "01", "p", "sha256:" + "0" * 64))}))
    with pytest.raises(InputError, match="'01' is not a version"):
        list(cache._entry_dicts(data))


def _settings(tmp_path: Path) -> Settings:
    return Settings(cache_home=tmp_path / "cache", config_home=tmp_path / "config", state_home=tmp_path / "state")


def _rows(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return list(db.execute("SELECT * FROM entries ORDER BY name, kind, pos"))


def test_the_cache_of_an_index_file_is_the_cache_of_its_entries(tmp_path: Path) -> None:
    text = (ROOT / "index.yaml").read_text()
    data = index.parse_text(text, "index.yaml")
    settings = _settings(tmp_path)
    fast = cache.open_cache("a", "k", lambda: cache.IndexFile(data), settings)
    slow = cache.open_cache("b", "k", lambda: (index.from_data(data).entries, []), settings)
    assert _rows(fast) == _rows(slow)
    assert len(_rows(fast)) == len(index.from_data(data))


def test_a_folder_catalog_gives_the_entries_of_its_index(tmp_path: Path) -> None:
    """A folder catalog (index file, IndexFile road) holds its index's entries, in order."""
    cat = folder.open_path(ROOT, _settings(tmp_path))
    idx = index.load(ROOT)
    assert cat.names() == sorted(idx.entries)
    for name in idx.entries:
        for kind in {e.kind for e in idx.versions(name)}:
            assert cat.versions(name, kind) == tuple(e for e in idx.versions(name) if e.kind == kind)
