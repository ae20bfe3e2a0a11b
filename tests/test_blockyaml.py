"""catalog_cli.blockyaml: the fast reader of index.yaml gives exactly what PyYAML gives,
or declines; hostile input never gets past it to anything but PyYAML and yamlio's checks."""

from __future__ import annotations

import datetime
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import blockyaml, index, yamlio
from catalog_cli.errors import InputError

from .conftest import ROOT, TEKTON_CATALOG

QUIRKS = yaml.safe_load((ROOT / "tests" / "data" / "yaml_quirks.yaml").read_text())


def pyyaml(text: str) -> Any:
    """The reference: PyYAML's safe loader, as yamlio uses it (libyaml when present)."""
    return yaml.load(text, Loader=yamlio.SafeLoader)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``True == 1`` and ``1 == 1.0`` are
    not the same data), with keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(type(k) is type(j) for k, j in zip(a, b, strict=True)) \
            and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


def check(text: str) -> bool:
    """Assert the fast reader agrees with PyYAML on ``text``; whether it read it."""
    got = blockyaml.read(text)
    if got is None:
        return False
    try:
        docs = list(yaml.load_all(text, Loader=yamlio.SafeLoader))
    except yaml.YAMLError as exc:
        pytest.fail(f"the fast reader accepted what PyYAML refuses ({exc}): {text!r}")
    assert len(docs) == 1, text
    assert same(got, docs[0]), f"{text!r}: fast {got!r}, PyYAML {docs[0]!r}"
    return True


@pytest.mark.parametrize("case", QUIRKS, ids=[c["id"] for c in QUIRKS])
def test_quirks_read_as_pyyaml_reads_them(case: dict[str, Any]) -> None:
    assert check(case["text"]) is case["fast"]


def test_yaml_11_scalars_keep_pyyaml_types() -> None:
    text = "a: 0.10\nb: '0.10'\nc: yes\nd: 'yes'\ne: 2024-01-01\nf: 1.0.0\ng: off\nh: ~\n"
    assert blockyaml.read(text) == {"a": 0.1, "b": "0.10", "c": True, "d": "yes",
                                    "e": datetime.date(2024, 1, 1), "f": "1.0.0", "g": False, "h": None}


# -- what the index writer writes -----------------------------------------------------

def _indexes() -> dict[str, str]:
    """Every index the tests use: the built-in catalog's two, any index.yaml under
    tests/data, and the index of each catalog there."""
    data = ROOT / "tests" / "data"
    texts = {"index.yaml": (ROOT / "index.yaml").read_text(),
             "catalog/index.yaml": (ROOT / "catalog" / "index.yaml").read_text()}
    for file in sorted(data.rglob("index.yaml")):
        texts[str(file.relative_to(ROOT))] = file.read_text()
    for folder in [*sorted((data / "layouts").iterdir()), data / "lint" / "catalog"]:
        if folder.is_dir():
            texts[f"{folder.relative_to(ROOT)} (indexed)"] = index.render(index.build(folder))
    return texts


INDEXES = _indexes()


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_every_index_of_the_tests_reads_fast_and_the_same(name: str) -> None:
    assert check(INDEXES[name]), f"{name}: the fast reader declined it"


def test_the_tektoncd_catalog_index_reads_fast_and_the_same() -> None:
    text = index.render(index.build(TEKTON_CATALOG))
    assert len(text) > 100_000
    assert check(text)


def test_the_benchmark_index_reads_fast_and_the_same() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_index  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    text = index.render(bench_index.generate(40, 12))
    assert check(text)


def test_parse_text_gives_the_same_data_as_pyyaml_for_yaml_and_json() -> None:
    idx = index.build(TEKTON_CATALOG)
    text = index.render(idx)
    fast = index.parse_text(text, "index.yaml")
    assert same(fast, pyyaml(text))
    assert same(fast, index.parse_text(index.render(idx, "json"), "index.yaml"))
    assert index.from_data(fast) == index.from_data(pyyaml(text))


# -- anything yamlio.dump writes ------------------------------------------------------

WORDS = ["yes", "No", "on", "y", "true", "null", "~", "", "0.10", "1.0", "017", "0x1F", "1e3", "1_000",
         "1:20", ".inf", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "<<", "=", "-", "?", ":", "a: b",
         "a #b", "#c", "'q'", '"dq"', "it's", "[a]", "{b}", "*a", "&a", "!t", "|", ">", "%", "@", "`",
         " lead", "trail ", "two  spaces", "a\nb", "a\n\nb", "\n", "tab\there", "é", "😀", "\u2028",
         "\x85", "- x", "---", "...", "a:b", "sha256:ab", "^0.1", ">=1 <2", "\\", "a\\", " ", "'", '"']


def _word(r: random.Random) -> str:
    if r.random() < 0.3:  # long enough to be folded over several lines
        return " ".join(r.choice(WORDS) for _ in range(r.randint(1, 40)))
    if r.random() < 0.7:
        return r.choice(WORDS)
    return "".join(r.choice("ab '\"#:-\n\\ xé") for _ in range(r.randint(0, 12)))


def _value(r: random.Random, depth: int = 0) -> Any:
    x = r.random()
    if depth > 4 or x < 0.5:
        return r.choice([True, False, None, 0, -3, 1.5]) if r.random() < 0.15 else _word(r)
    if x < 0.75:
        return [_value(r, depth + 1) for _ in range(r.randint(0, 4))]
    return {_key(r): _value(r, depth + 1) for _ in range(r.randint(0, 4))}


def _key(r: random.Random) -> str:
    return r.choice(["name", "kind", "a", "b-c", "x.y", "k_1"]) if r.random() < 0.7 else _word(r)


def test_whatever_yamlio_dump_writes_reads_the_same() -> None:
    r = random.Random(15)
    read = 0
    for _ in range(1500):
        doc = {_key(r): _value(r) for _ in range(r.randint(1, 6))}
        for text in (yamlio.dump(doc), yamlio.dump(doc, ascii_only=True)):
            read += check(text)
    assert read > 600  # the cases it declines are the rare ones (tabs, NEL, escapes over lines)


def _mutate(text: str, r: random.Random) -> str:
    """``text`` after one to three careless hand edits."""
    lines = text.split("\n")
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(lines))
        op = r.randrange(9)
        if op == 0:
            lines[i] = " " + lines[i]
        elif op == 1:
            lines[i] = lines[i].removeprefix(" ")
        elif op == 2:
            lines.insert(i, "")
        elif op == 3:
            lines.insert(i, " " * r.randint(0, 6) + "# c")
        elif op == 4:
            lines[i] = lines[i].replace("'", "", 1)
        elif op == 5:
            lines.insert(i, lines[i])
        elif op == 6:
            lines[i] += r.choice([" #x", ":", " x", "'", "  ", "\t"])
        elif op == 7:
            lines[i] = lines[i].replace("- ", "", 1)
        else:
            lines.insert(i, " " * r.randint(0, 8) + r.choice([*WORDS, "- a", "k: v", "- k: v", "k:", "'q': 1"]))
    return "\n".join(lines)


def test_hand_edited_indexes_read_the_same_or_go_to_pyyaml() -> None:
    """Edits that break the YAML must never be read: the fast reader declines them, and
    PyYAML says what is wrong."""
    r = random.Random(16)
    base = INDEXES["index.yaml"]
    head = base[: base.index("\n", 3000)]  # a few entries, so that edits hit them often
    read = 0
    for _ in range(1500):
        read += check(_mutate(head, r))
    assert read > 200


# -- hostile input ----------------------------------------------------------------------

def _bomb() -> str:
    lines = ["apiVersion: catalog.dev/v1", "entries: {}", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _block_nested(levels: int) -> str:
    """An index with a value ``levels`` mappings deep, in block style."""
    lines = ["apiVersion: catalog.dev/v1", "entries: {}", "x:"]
    lines += ["  " * i + f"k{i}:" for i in range(1, levels)]
    lines.append("  " * levels + "leaf: 1")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias-bomb": (_bomb(), "alias bomb"),
    "recursive-alias": ("apiVersion: catalog.dev/v1\nentries: &e {x: *e}\n", "recursive alias"),
    "python-tag": ("apiVersion: catalog.dev/v1\nentries: !!python/object/apply:os.system [echo]\n",
                   "invalid YAML"),
    "deep-block": (_block_nested(yamlio.MAX_DEPTH + 5), f"nested deeper than {yamlio.MAX_DEPTH} levels"),
    "deep-flow": ("apiVersion: catalog.dev/v1\nentries: {}\nx: " + "[" * 150 + "]" * 150 + "\n",
                  f"nested deeper than {yamlio.MAX_DEPTH} levels"),
    "merge-key": ("apiVersion: catalog.dev/v1\nbase: &b {x: 1}\nentries:\n  <<: *b\n", "entries"),
    "control-character": ("apiVersion: catalog.dev/v1\nentries: {}\nx: \"\x07\"\n", "invalid YAML"),
    "two-documents": ("apiVersion: catalog.dev/v1\nentries: {}\n---\nentries: {}\n", "one YAML document"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_indexes_are_declined_and_refused_as_before(name: str) -> None:
    text, message = HOSTILE[name]
    assert blockyaml.read(text) is None
    with pytest.raises(InputError, match=message):
        index.parse_text(text, "index.yaml")


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x20), 0x7F, 0x85, 0xFEFF, 0x2028] if c != 0x0A])
def test_control_characters_and_other_line_breaks_are_pyyaml_s(char: str) -> None:
    for text in (f"a: x{char}y\n", f"a: 'x{char}y'\n", f"a:{char}1\n", f"{char}a: 1\n"):
        assert blockyaml.read(text) is None


def test_a_json_index_nested_beyond_what_json_reads_is_one_error() -> None:
    text = '{"apiVersion": "catalog.dev/v1", "entries": {}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(InputError, match=f"nested deeper than {yamlio.MAX_DEPTH} levels"):
        index.parse_text(text, "index.yaml")


def test_depth_at_the_limit_is_pyyaml_s_call() -> None:
    """The fast reader declines well before the limit, so where exactly it lies is decided
    in one place (yamlio) for every reader."""
    at = _block_nested(yamlio.MAX_DEPTH - 1)
    assert blockyaml.read(at) is None
    assert yamlio.loads_all(at, "index.yaml")


def test_a_huge_scalar_is_read_whole() -> None:
    """Quoted or plain, a scalar of megabytes on one line is one string (read_text caps
    the file's size)."""
    for quote in ("'", ""):
        text = f"apiVersion: catalog.dev/v1\nentries: {{}}\nx: {quote}" + "ab " * 3_000_000 + f"z{quote}\n"
        got = blockyaml.read(text)
        assert got is not None and got["x"] == "ab " * 3_000_000 + "z"


def test_a_scalar_over_many_lines_is_folded_once() -> None:
    """Fifty thousand lines of one plain scalar: read in linear time (folding it again at
    each line took a minute and a half), as PyYAML reads it."""
    for opening, closing in (("", ""), ("'", "'")):
        text = f"a: {opening}w0\n" + "".join(f"  w{i}\n" + ("\n" if i % 7 == 0 else "") for i in range(1, 50_000))
        text = text.rstrip("\n") + f"{closing}\nb: 1\n"
        start = time.process_time()
        assert blockyaml.read(text) is not None
        assert time.process_time() - start < 20  # a hang, not a benchmark: it takes 0.1 s
        assert check(text)


def test_duplicate_keys_keep_the_last_value_in_the_first_place() -> None:
    assert check("a: 1\nb: 2\na: 3\n")
    assert list(blockyaml.read("a: 1\nb: 2\na: 3\n") or {}) == ["a", "b"]


def test_a_long_plain_key_is_pyyaml_s_to_refuse() -> None:
    text = "k" * 1100 + ": v\n"
    assert blockyaml.read(text) is None
    with pytest.raises(InputError, match="invalid YAML"):
        yamlio.loads_all(text, "index.yaml")


def test_the_fast_reader_of_a_yaml_index_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """parse_text takes the fast road for what `catalog index` writes (PyYAML is not called)."""
    text = INDEXES["index.yaml"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PyYAML read an index the fast reader reads")

    monkeypatch.setattr(yamlio, "loads_all", refuse)
    assert index.parse_text(text, "index.yaml")["entries"]
