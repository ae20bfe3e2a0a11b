"""schema_check: the hand-written check never accepts what the index schema refuses, and
an index it doubts gets the schema's own verdict and message."""

from __future__ import annotations

import copy
import random
from typing import Any

import fastjsonschema
import pytest

from catalog_cli import index, schema_check
from catalog_cli.errors import InputError

from .conftest import ROOT, TEKTON_CATALOG


def schema_accepts(data: Any) -> bool:
    try:
        schema_check._validator()(data)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    return index.to_data(index.build(TEKTON_CATALOG))


def test_valid_indexes_pass_the_fast_check(corpus: dict[str, Any]) -> None:
    for data in (corpus, index.parse_text((ROOT / "index.yaml").read_text(), "index.yaml")):
        assert schema_check.plainly_valid(data)
        assert schema_accepts(data)


#: Values that break some field or other: wrong types, bad patterns, empty strings.
BAD = [None, 1, 1.5, True, "", "x", "../up", "/abs", "a/../b", "sha256:00", "v1.x", "1.2.3.4", [], {},
       {"resolver": "git", "params": {"url": "u"}}, {"resolver": "git", "params": {"url": 1}},
       {"resolver": "", "params": {}}, {"resolver": "hub", "params": {}, "legacy": 1},
       ["x", 1], [None], [{}], [{"name": 1}], [{"resources": ["a"]}], [{"path": "a", "digest": "x"}],
       "Task", "Widget", "abc\n", "sha256:" + "0" * 64 + "\n", "1.0\n", "Kube-Deploy"]
FIELDS = ["name", "kind", "version", "path", "digest", "description", "displayName", "categories", "tags",
          "platforms", "minPipelinesVersion", "deprecated", "dependencies", "rbac", "files"]


def _damage(data: dict[str, Any], r: random.Random) -> dict[str, Any]:
    """A copy of ``data`` with one to three things wrong (or, by chance, still right)."""
    data = copy.deepcopy(data)
    for _ in range(r.randint(1, 3)):
        where = r.random()
        if not isinstance(data.get("entries"), dict) or not data["entries"]:
            break  # nothing left to damage
        name = r.choice(list(data["entries"]))
        items = data["entries"][name]
        entries = [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []
        if not entries:
            break
        entry = r.choice(entries)
        if where < 0.05:
            data[r.choice(["apiVersion", "kind", "entries"])] = r.choice(BAD)
        elif where < 0.1:
            data["entries"][r.choice(BAD[5:8] + ["UP", "a_b", "-a"])] = items
        elif where < 0.15:
            items.append(r.choice(BAD))
        elif where < 0.2:
            entry.pop(r.choice(FIELDS), None)
        elif where < 0.35 and any(isinstance(entry.get(f), list) and entry[f] and isinstance(entry[f][0], dict)
                                  for f in ("dependencies", "files", "rbac")):
            nested = r.choice([entry[f] for f in ("dependencies", "files", "rbac")
                               if isinstance(entry.get(f), list) and entry[f] and isinstance(entry[f][0], dict)])
            item = r.choice(nested)
            key = r.choice([*item, "range", "kind", "via", "resourceNames", "apiGroups"])
            if r.random() < 0.3:
                item.pop(key, None)
            else:
                item[key] = r.choice(BAD)
        else:
            entry[r.choice(FIELDS)] = r.choice(BAD)
    return data


def test_the_fast_check_never_accepts_what_the_schema_refuses(corpus: dict[str, Any]) -> None:
    small = {"apiVersion": corpus["apiVersion"], "kind": corpus["kind"],
             "entries": dict(list(corpus["entries"].items())[:12])}
    r = random.Random(15)
    doubted = 0
    for _ in range(3000):
        data = _damage(small, r)
        fast = schema_check.plainly_valid(data)
        schema = schema_accepts(data)
        assert schema or not fast, "plainly_valid accepted an index the schema refuses"
        doubted += not fast
        # check_index's verdict is the schema's, whatever the fast check said
        try:
            schema_check.check_index(data, "index.yaml")
            verdict = True
        except InputError:
            verdict = False
        assert verdict is schema
    assert doubted > 2000


def test_a_doubted_index_gets_the_schema_s_message() -> None:
    data = index.parse_text((ROOT / "index.yaml").read_text(), "index.yaml")
    name = next(iter(data["entries"]))
    data["entries"][name][0]["digest"] = "sha256:00"
    assert not schema_check.plainly_valid(data)
    with pytest.raises(InputError, match=rf"entries.{name}\[0\].digest must match pattern"):
        schema_check.check_index(data, "index.yaml")


def _paths(schema: dict[str, Any], node: dict[str, Any], at: str) -> set[str]:
    """The property paths the schema defines under ``node`` (``*`` for any key, ``[]``
    for the items of an array)."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    out: set[str] = set()
    for name, sub in node.get("properties", {}).items():
        path = f"{at}.{name}" if at else name
        out |= {path} | _paths(schema, sub, path)
    if isinstance(node.get("additionalProperties"), dict):
        out |= {f"{at}.*"} | _paths(schema, node["additionalProperties"], f"{at}.*")
    if isinstance(node.get("items"), dict):
        out |= {f"{at}[]"} | _paths(schema, node["items"], f"{at}[]")
    return out


def test_the_fast_check_covers_every_property_of_the_schema() -> None:
    """A property added to the schema must be checked by plainly_valid too (or it would
    let through what the schema refuses): add it there and to COVERED."""
    import json

    schema = json.loads((ROOT / "catalog_cli" / "data" / "index.schema.json").read_text())
    assert _paths(schema, schema, "") == schema_check.COVERED


def test_a_bad_resolver_reference_is_doubted() -> None:
    data = index.parse_text((ROOT / "index.yaml").read_text(), "index.yaml")
    entry = next(e for items in data["entries"].values() for e in items if e["dependencies"])
    for via in (1, {}, {"resolver": "", "params": {}}, {"resolver": "git", "params": {"url": 1}},
                {"resolver": "git", "params": {}, "legacy": "yes"}, {"resolver": "git"}):
        entry["dependencies"][0]["via"] = via
        assert not schema_check.plainly_valid(data)
        assert not schema_accepts(data)
    entry["dependencies"][0]["via"] = {"resolver": "git", "params": {"url": "https://x", "pathInRepo": "t.yaml"}}
    assert schema_check.plainly_valid(data) and schema_accepts(data)
