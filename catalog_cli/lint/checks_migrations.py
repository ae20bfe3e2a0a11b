"""A catalog version's ``migrations.yaml``, checked against the two versions' interfaces.

For a resource in a version folder holding ``migrations.yaml``, the operations are read
(:mod:`catalog_cli.tekton_refs.migrations`) and compared with this version's params,
workspaces and results and with those of the version before it (the newest sibling
version folder below this one):

    migration-invalid  error    the file does not parse, or an operation names what the
                                versions do not have (renameParam from a param the old
                                version lacks, or to one the new version lacks; addParam
                                of a param the new version lacks; ...).
    migration-missing  warning  the new version needs something of its callers that no
                                operation gives: a required param or workspace added, a
                                param passed before that is gone, a result renamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import versions, yamlio
from ..errors import CatalogError
from .model import Issue, LintContext, Resource, mapping, text



def _list(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _interface(spec: Mapping[str, Any]) -> dict[str, dict[str, bool]]:
    """name -> required, for params, workspaces and results."""
    return {
        "params": {text(p.get("name")): "default" not in p for p in _list(spec.get("params"))},
        "workspaces": {text(w.get("name")): not w.get("optional") for w in _list(spec.get("workspaces"))},
        "results": {text(r.get("name")): False for r in _list(spec.get("results"))},
    }


def _previous(res: Resource) -> tuple[str, Mapping[str, Any]] | None:
    """The version before ``res``'s (its folder name) and that version's spec."""
    here = Path(res.file).parent
    if not versions.is_version(here.name):
        return None
    mine = versions.parse(here.name)
    older = sorted((d for d in here.parent.iterdir() if d.is_dir() and versions.is_version(d.name)
                    and versions.parse(d.name) < mine), key=lambda d: versions.parse(d.name))
    if not older:
        return None
    file = older[-1] / Path(res.file).name
    try:
        docs = yamlio.load_all(file)
    except CatalogError:
        return None
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == res.kind:
            return older[-1].name, mapping(doc.get("spec"))
    return None


_NEEDS = {  # op -> (field, side, interface): the name given in field must (not) be in that version
    "addParam": [("name", "new", "params")],
    "renameParam": [("from", "old", "params"), ("to", "new", "params")],
    "removeParam": [("name", "old", "params")],
    "addWorkspace": [("name", "new", "workspaces")],
    "renameWorkspace": [("from", "old", "workspaces"), ("to", "new", "workspaces")],
    "renameResult": [("from", "old", "results"), ("to", "new", "results")],
}


def check_migrations(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    from ..tekton_refs.migrations import FILE_NAME, loads

    file = Path(res.file).parent / FILE_NAME
    if res.helper or res.kind not in ("Task", "Pipeline", "StepAction") or not file.is_file():
        return
    where = f"{file.parent.name}/{FILE_NAME}"
    try:
        ops = loads(yamlio.read_text(file), where)
    except CatalogError as exc:
        yield Issue("migration-invalid", (), f"{exc}")
        return
    previous = _previous(res)
    if previous is None:
        yield Issue("migration-invalid", (), f"{where}: no earlier version of {res.name} to migrate from")
        return
    old_version, old_spec = previous
    sides = {"old": _interface(old_spec), "new": _interface(res.spec)}
    for i, op in enumerate(ops):
        for key, side, kind in _NEEDS.get(op.op, []):
            name = op[key]
            if name not in sides[side][kind]:
                version = old_version if side == "old" else file.parent.name
                yield Issue("migration-invalid", ("spec", kind),
                            f"{where} operations[{i}] {op.op}: {res.name} {version} has no "
                            f"{kind[:-1]} {name!r}")
    yield from _missing(res, where, ops, sides["old"], sides["new"])


def _missing(res: Resource, where: str, ops: list[Any], old: dict[str, dict[str, bool]],
             new: dict[str, dict[str, bool]]) -> Iterator[Issue]:
    given = {(op.op, op.args.get("name") or op.args.get("to") or op.args.get("from")) for op in ops}
    named_old = {op.args.get("from") or op.args.get("name") for op in ops}
    for name, required in new["params"].items():
        if required and name not in old["params"] and ("addParam", name) not in given \
                and ("renameParam", name) not in given:
            yield Issue("migration-missing", ("spec", "params"),
                        f"{where}: param {name} is new and required, and no operation passes it")
    for name in old["params"]:
        if name not in new["params"] and name not in named_old:
            yield Issue("migration-missing", ("spec", "params"),
                        f"{where}: param {name} is gone, and no operation renames or removes it")
    for name, required in new["workspaces"].items():
        if required and name not in old["workspaces"] and ("addWorkspace", name) not in given \
                and ("renameWorkspace", name) not in given:
            yield Issue("migration-missing", ("spec", "workspaces"),
                        f"{where}: workspace {name} is new and required, and no operation binds it")
    for name in old["results"]:
        if name not in new["results"] and name not in named_old:
            yield Issue("migration-missing", ("spec", "results"),
                        f"{where}: result {name} is gone, and no operation renames it")


CHECKS = (check_migrations,)
