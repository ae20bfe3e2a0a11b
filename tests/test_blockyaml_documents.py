"""catalog_cli.blockyaml.read_all: the fast reader of resource files (Tasks, Pipelines,
rbac.yaml...) gives exactly the documents PyYAML's safe loader gives, or declines; what
it declines goes to PyYAML and yamlio's checks as before.

Hostile input first, then every real file the tests can find, then random documents
and careless edits of real ones."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import blockyaml, yamlio
from catalog_cli.errors import InputError

from .conftest import BUILTIN, ROOT, TEKTON_CATALOG
from .test_blockyaml import same


def pyyaml_docs(text: str) -> list[Any]:
    """The reference: every non-empty document, as yamlio.loads_all keeps them."""
    return [d for d in yaml.load_all(text, Loader=yamlio.SafeLoader) if d is not None]


def check_all(text: str) -> bool:
    """Assert read_all agrees with PyYAML on ``text``; whether it read it."""
    got = blockyaml.read_all(text)
    if got is None:
        return False
    try:
        docs = pyyaml_docs(text)
    except yaml.YAMLError as exc:
        pytest.fail(f"the fast reader accepted what PyYAML refuses ({exc}): {text!r}")
    assert same(got, docs), f"{text!r}:\nfast   {got!r}\nPyYAML {docs!r}"
    return True


TASK = """apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: t
spec:
  steps:
    - name: s
      image: alpine
      script: |
{script}
"""


def _task(script: str) -> str:
    return TASK.format(script="\n".join("        " + line if line else "" for line in script.split("\n")))


# -- hostile input ----------------------------------------------------------------------

def _bomb() -> str:
    lines = ["apiVersion: tekton.dev/v1", "kind: Task", "metadata:", "  name: t", "spec:",
             '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


#: Text the fast reader must leave to PyYAML, and what yamlio then says (None: it reads it).
DECLINED = {
    "alias-bomb": (_bomb(), "alias bomb"),
    "anchor-on-a-block-scalar": ("a: &x |\n  text\nb: *x\n", None),
    "alias-in-flow": ("a: &x 1\nb: [*x, 2]\n", None),
    "python-tag-in-flow": ("a: [!!python/object/apply:os.system [echo]]\n", "invalid YAML"),
    "tag-on-block-scalar": ("a: !!binary |\n  aGVsbG8=\n", None),
    "indentation-indicator": ("a: |2\n   x\n", None),
    "indicator-and-chomp": ("a: >-1\n  x\n", None),
    "empty-block-scalar": ("a: |\nb: 1\n", None),
    "block-scalar-under-min-indent": ("a:\n  b: |\n  c: 1\n", None),
    "tab-in-block-scalar": ("a: |\n  x\ty\n", None),
    "tab-indented-block-scalar": ("a: |\n\tx\n", "invalid YAML"),
    "bell-in-block-scalar": ("a: |\n  x\x07y\n", "invalid YAML"),
    "nel-in-block-scalar": ("a: |\n  x\x85y\n", "invalid YAML"),
    "crlf": ("a: |\r\n  x\r\n", None),
    "document-end": ("a: 1\n...\n", None),
    "tagged-document": ("--- !!map\na: 1\n", None),
    "block-scalar-document": ("--- |\n  x\n", None),
    "scalar-document": ("---\nx\n", None),
    "list-document": ("- a\n- b\n", None),
    "directive": ("%YAML 1.1\n---\na: 1\n", None),
    "nested-flow": ("a: [b, [c]]\n", None),
    "flow-mapping": ("a: [b, {c: d}]\n", None),
    "flow-over-lines": ("a: [b,\n  c]\n", None),
    "flow-trailing-comma": ("a: [b, c,]\n", None),
    "flow-empty-item": ("a: [b, , c]\n", "invalid YAML"),
    "flow-plain-with-colon": ("a: [b: c]\n", None),
    "flow-comment-after-a-quote": ("a: ['b'] # c\n", None),
    "comment-after-an-item": ("a:\n  - b # c: d\n", None),
    "flow-unclosed": ("a: [b, c\n", "invalid YAML"),
    "flow-unclosed-quote": ("a: ['b, c]\n", "invalid YAML"),
    "merge-key": ("base: &b {x: 1}\nentries:\n  <<: *b\n", None),
    "deep-block": ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, yamlio.MAX_DEPTH + 5))
                   + "  " * (yamlio.MAX_DEPTH + 5) + "leaf: |\n" + "  " * (yamlio.MAX_DEPTH + 6) + "x\n",
                   f"nested deeper than {yamlio.MAX_DEPTH} levels"),
    "comment-inside-plain-over-lines": ("a: b\n  c\n# d\n  e\n", "invalid YAML"),
    "continuation-after-comment": ("a: b\n# c\n  d\n", "invalid YAML"),
    "more-after-block-scalar": ("a:\n  b: |\n      x\n    c: 1\n", "invalid YAML"),
    "double-quoted-over-lines": ('a: "b\n  c"\n', None),
    "trailing-space-in-block-scalar": ("a: |\n  x \n", None),
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_hostile_and_unusual_text_is_left_to_pyyaml(name: str) -> None:
    text, message = DECLINED[name]
    assert blockyaml.read_all(text) is None
    if message is None:
        yamlio.loads_all(text, "task.yaml")
    else:
        with pytest.raises(InputError, match=message):
            yamlio.loads_all(text, "task.yaml")


#: Text it reads; each must give PyYAML's documents exactly.
READ = {
    "anchor-like-text-in-a-script": _task("x=&a\necho *a !!python/object:os.system\nkind: ClusterRole"),
    "yaml-inside-a-script": _task("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                                  "- a\n  b: [c]\n#not a comment"),
    "document-marker-ends-a-block-scalar": "a: |\n  x\n---\nkind: ClusterRoleBinding\n",
    "a-second-document-is-kept": _task("echo") + "---\napiVersion: rbac.authorization.k8s.io/v1\n"
                                                 "kind: ClusterRoleBinding\nmetadata:\n  name: x\n",
    "empty-documents": "---\n---\n# only a comment\n---\na: 1\n---\n",
    "comment-looking-like-a-key": "kind: Task\n# kind: ClusterRole\nmetadata:\n  # name: evil\n  name: t\n",
    "repeated-key-last-wins": "kind: Task\nmetadata:\n  name: t\nkind: ClusterRole\n",
    "comment-lines-everywhere": "# head\na:\n  # before\n  - b\n  # after\n    # deeper\n# col 0\n  - c\n",
    "keep-at-end-of-text": "a: |+\n  x\n\n\n",
    "keep-before-key": "a: |+\n  x\n\n\nb: 1\n",
    "strip": "a: |-\n  x\n\n  y\n\n\nb: >-\n  p\n  q\n",
    "clip-without-final-break": "a: |\n  x",
    "leading-blank-lines": "a: |\n\n\n  x\n",
    "folded-more-indented": "a: >\n  p\n    q\n  r\n\n  s\n\n\n   t\n  u\n",
    "literal-in-sequence": "a:\n- |\n  x\n- |-\n    y\n- >+\n z\n\n- w\n",
    "block-scalar-of-a-nested-key": "k:\n- a: 1\n  b: |\n   x\n  c: 2\n",
    "comment-after-header": "a: | # note\n  x\nb: >- #\n  y\n",
    "comments-after-values": "a: b # c\nd: 'e' # f: g\nh: \"i\"  #\nj: [k, l] # m\nn: # o\n  p: q\nr: s#t\nu: 'v #w'\n",
    "plain-starting-with-a-dash": "args:\n  - --dockerfile=$(params.X)\n  - -v\n  - --\n  - -1\n  - -.inf\nv: -race -cover\n",
    "hash-lines-in-block-scalar": "a: |\n  x\n  # y\n\n  #z\nb: 1\n",
    "flow-sequences": "a: [x, 'y z', \"w\", 1, true, ~, 0.10, '']\nb: []\nc: [ ]\nd: ['it''s', \"q\\\"\"]\n",
    "flow-without-spaces": "a: [x,y]\n",
    "double-quoted-escapes": 'a: "\\x41\\u263A\\t"\nb: "plain"\nc: ""\n',
    "comment-at-deeper-indent": "a:\n  b: 1\n      # deep comment\n  c: 2\n",
    "comment-at-col-zero-inside-mapping": "a:\n  b: 1\n# top\n  c: 2\n",
}


@pytest.mark.parametrize("name", sorted(READ))
def test_what_it_reads_is_what_pyyaml_reads(name: str) -> None:
    assert check_all(READ[name])


def test_a_second_document_is_never_dropped() -> None:
    docs = blockyaml.read_all(READ["a-second-document-is-kept"])
    assert docs is not None and [d["kind"] for d in docs] == ["Task", "ClusterRoleBinding"]


def test_a_script_of_fifty_thousand_lines_is_read_in_linear_time() -> None:
    text = _task("\n".join(f"echo {i}" + ("\n" if i % 9 == 0 else "") for i in range(50_000)))
    start = time.process_time()
    assert blockyaml.read_all(text) is not None
    assert time.process_time() - start < 20  # a hang, not a benchmark: it takes 0.05 s
    assert check_all(text)


def test_read_reads_one_document_only() -> None:
    """``read`` (the index's reader) keeps its contract: one mapping or None."""
    assert blockyaml.read("a: 1\n---\nb: 2\n") is None
    assert blockyaml.read("a: |\n  x\n") == {"a": "x\n"}


# -- every real file ---------------------------------------------------------------------

def _resource_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def _read_share(files: list[Path]) -> tuple[int, int]:
    read = 0
    for f in files:
        read += check_all(f.read_text(encoding="utf-8"))
    return read, len(files)


def test_every_yaml_file_of_the_tektoncd_catalog_reads_the_same() -> None:
    read, total = _read_share(_resource_files(TEKTON_CATALOG))
    assert total > 1000
    assert read > total * 0.6, f"only {read} of {total} read fast"


def test_every_task_file_of_the_tektoncd_catalog_mostly_reads_fast() -> None:
    files = [p for p in _resource_files(TEKTON_CATALOG / "task") if p.parent.parent.parent.name == "task"
             and p.stem == p.parent.parent.name]
    read, total = _read_share(files)
    assert total > 250
    assert read > total * 0.7, f"only {read} of {total} Task files read fast"


def test_every_yaml_file_of_the_builtin_catalog_and_the_test_data_reads_the_same() -> None:
    files = [*_resource_files(BUILTIN), *_resource_files(ROOT / "tests" / "data")]
    read, total = 0, 0
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            pyyaml_docs(text)
        except yaml.YAMLError:
            assert blockyaml.read_all(text) is None, f"{f}: read what PyYAML refuses"
            continue
        total += 1
        read += check_all(text)
    assert read > total * 0.6, f"only {read} of {total} read fast"


def test_every_file_the_site_benchmark_writes_reads_fast_and_the_same(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_site  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    bench_site.write_catalog(tmp_path, 12, 4)
    files = [p for p in _resource_files(tmp_path / "task")]
    read, total = _read_share(files)
    assert total > 60
    assert read == total


def test_yamlio_reads_a_task_without_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    text = READ["a-second-document-is-kept"]
    want = pyyaml_docs(text)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PyYAML read a file the fast reader reads")

    monkeypatch.setattr(yaml, "load_all", refuse)
    monkeypatch.setattr(yaml, "compose_all", refuse)
    assert same(yamlio.loads_all(text, "task.yaml"), want)


# -- random documents and careless edits ------------------------------------------------

LINES = ["echo hi", "  indented", "# hash", "---", "key: value", "- item", "[a, b]", "'q'", '"dq"', "x: &a b",
         "*a", "!!str x", "|", ">", "a #b", "é😀", "", "", "   ", "\\", "{b}", "...", "%x"]
PLAIN = ["x", "a b", "yes", "0.10", "1", "~", "null", "1.0.0", "$(params.x)", "http://h/p", "a:b", "-x", "é",
         "--help", "a b c d e f g h"]


def _scalar_text(r: random.Random) -> str:
    x = r.random()
    if x < 0.5:
        return r.choice(PLAIN)
    if x < 0.65:
        return "'" + r.choice(PLAIN).replace("'", "''") + "'"
    if x < 0.8:
        return '"' + r.choice(PLAIN + ["\\t", "\\x41", "\\\"", "a\\\\b"]) + '"'
    if x < 0.9:
        items = [r.choice([r.choice(PLAIN), "'q'", '"d"', "1"]) for _ in range(r.randint(0, 4))]
        return "[" + r.choice([", ", ",", " , "]).join(items) + "]"
    return r.choice(["[]", "{}", "[ ]"])


def _block(r: random.Random, indent: int) -> list[str]:
    header = r.choice(["|", "|-", "|+", ">", ">-", ">+"])
    extra = r.choice([1, 2, 2, 2, 4])
    lines = [header]
    for _ in range(r.randint(1, 8)):
        line = r.choice(LINES)
        if r.random() < 0.2:
            line = " " * r.randint(1, 3) + line
        lines.append(" " * (indent + extra) + line if line.strip() else "")
    for _ in range(r.choice([0, 0, 1, 2])):
        lines.append("")
    return lines


def _mapping(r: random.Random, indent: int, depth: int) -> list[str]:
    out: list[str] = []
    for _ in range(r.randint(1, 4)):
        key = r.choice(["name", "script", "args", "description", "a", "b-c", "x.y/z"])
        pad = " " * indent
        if r.random() < 0.1:
            out.append(" " * r.randint(0, indent + 2) + "# " + r.choice(LINES))
        x = r.random()
        if x < 0.35:
            out.append(f"{pad}{key}: {_scalar_text(r)}")
        elif x < 0.6:
            body = _block(r, indent)
            out.append(f"{pad}{key}: {body[0]}")
            out += body[1:]
        elif x < 0.8 and depth < 4:
            out.append(f"{pad}{key}:")
            out += _mapping(r, indent + r.choice([1, 2, 4]), depth + 1)
        elif depth < 4:
            out.append(f"{pad}{key}:")
            out += _sequence(r, indent + r.choice([0, 2, 2]), depth + 1)
        else:
            out.append(f"{pad}{key}: {_scalar_text(r)}")
    return out


def _sequence(r: random.Random, indent: int, depth: int) -> list[str]:
    out: list[str] = []
    pad = " " * indent
    for _ in range(r.randint(1, 4)):
        x = r.random()
        if x < 0.35:
            out.append(f"{pad}- {_scalar_text(r)}")
        elif x < 0.6:
            body = _block(r, indent)
            out.append(f"{pad}- {body[0]}")
            out += body[1:]
        else:
            inner = _mapping(r, indent + 2, depth + 1)
            out.append(f"{pad}- {inner[0].lstrip(' ')}" if not inner[0].lstrip().startswith("#") else f"{pad}-")
            out += inner[1:]
    return out


def _document(r: random.Random) -> str:
    docs = []
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        docs.append("\n".join(_mapping(r, 0, 0)))
    head = r.choice(["", "", "---\n", "# c\n---\n"])
    text = head + "\n---\n".join(docs)
    return text + r.choice(["\n", "\n", "", "\n\n"])


def _pyyaml_reads(text: str) -> bool:
    try:
        pyyaml_docs(text)
    except yaml.YAMLError:
        return False
    return True


def test_random_documents_read_the_same_or_go_to_pyyaml() -> None:
    r = random.Random(17)
    read = valid = 0
    for _ in range(4000):
        text = _document(r)
        valid += _pyyaml_reads(text)
        read += check_all(text)
    assert valid > 1000 and read > valid * 0.3, (read, valid)


class _Styled(str):
    """A string value yaml.dump writes in the style it carries (keys stay plain)."""

    style: str | None = None


class _StyledDumper(yamlio.SafeDumper):
    pass


def _represent_styled(dumper: yaml.SafeDumper, value: _Styled) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=value.style)


_StyledDumper.add_representer(_Styled, _represent_styled)


def _styled(value: Any, r: random.Random) -> Any:
    if isinstance(value, dict):
        return {k: _styled(v, r) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v, r) for v in value]
    if isinstance(value, str):
        out = _Styled(value)
        out.style = r.choice(["|", ">", "|", ">", None, "'"])
        return out
    return value


def test_what_yaml_dump_writes_in_block_styles_reads_the_same() -> None:
    """Values written as literal and folded block scalars (where the emitter can: it
    picks another style where the text does not allow one), in one document and several."""
    r = random.Random(18)
    from .test_blockyaml import _key, _value

    read = 0
    for _ in range(1500):
        doc = _styled({_key(r): _value(r) for _ in range(r.randint(1, 6))}, r)
        text = yaml.dump(doc, Dumper=_StyledDumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=r.choice([20, 80]), indent=r.choice([2, 4]))
        read += check_all(text)
        read += check_all("---\n" + text + "---\n" + text)
    assert read > 500, read


def _edit(text: str, r: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(lines))
        op = r.randrange(10)
        if op == 0:
            lines[i] = " " + lines[i]
        elif op == 1:
            lines[i] = lines[i].removeprefix(" ")
        elif op == 2:
            lines.insert(i, "")
        elif op == 3:
            lines.insert(i, " " * r.randint(0, 10) + "# c")
        elif op == 4:
            lines[i] = lines[i].replace(r.choice(["'", '"', "[", "]", "|", ">", "- "]), "", 1)
        elif op == 5:
            lines.insert(i, lines[i])
        elif op == 6:
            lines[i] += r.choice([" #x", ":", " x", "'", "\t", " |", " [a]", "---"])
        elif op == 7:
            lines[i] = r.choice(["---", "...", "- x", "|", ">-", "#", "[a, b]"])
        elif op == 8:
            lines[i] = lines[i].replace("  ", " ", 1)
        else:
            lines.insert(i, " " * r.randint(0, 12) + r.choice([*LINES, "k: |", "- |", "k: >-", "- k: v"]))
    return "\n".join(lines)


def test_hand_edited_task_files_read_the_same_or_go_to_pyyaml() -> None:
    """Edits that break the YAML must never be read: the fast reader declines them, and
    PyYAML says what is wrong."""
    r = random.Random(19)
    bases = [p.read_text() for p in sorted((TEKTON_CATALOG / "task").glob("*/*/*.yaml"))[:60]]
    read = 0
    for i in range(3000):
        read += check_all(_edit(bases[i % len(bases)], r))
    assert read > 300
