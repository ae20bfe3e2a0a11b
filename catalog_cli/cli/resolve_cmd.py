"""``catalog lock`` and ``catalog why``: resolve requirements into catalog.lock, and say why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from .common import CatalogOption, settings_of, split_ref
from .output import Format, OutputOption, emit, note, out, print_table

FileOption = typer.Option(Path("catalog.lock"), "--file", "-f", help="The lock file.")


def _open(location: str | None, settings: Any) -> Any:
    from ..sources import open_catalog

    cat = open_catalog(location, settings)
    for w in cat.warnings:
        note(f"warning: {w}")
    return cat


def _emit_lock(lock: Any, output: Format) -> int:
    """Print the locked entries (table, json, yaml or names); return how many."""
    data = lock.to_data()["resolved"]
    rows = []
    for item in data:
        by = ", ".join(b.get("requirement") or f"{b['name']} ({b['range']})" for b in item["requiredBy"])
        rows.append([item["kind"], item["name"], item["version"], by])
    emit(data, output, names=lambda: [r[1] for r in rows],
         table=lambda: print_table(["kind", "name", "version", "required by"], rows))
    return len(rows)


RequirementsArgument = typer.Argument(
    None, metavar="[KIND/]NAME[@RANGE]...",
    help="What to resolve, e.g. deploy-pipeline@^1.0 'git-clone@>=0.1 <1'. "
         "None: the requirements already in the lock file.")


def lock(
    ctx: typer.Context,
    requirements: list[str] | None = RequirementsArgument,
    catalog: str | None = CatalogOption,
    tekton_version: str | None = typer.Option(
        None, "--tekton-version", metavar="VERSION",
        help="Resolve for a cluster running this Tekton Pipelines version "
             "(entries needing a newer one are left out). Default: ignore minVersion."),
    file: Path = FileOption,
    check: bool = typer.Option(
        False, "--check", help="Write nothing; fail if the catalog no longer has the locked "
                               "versions with the locked digests."),
    upgrade: bool = typer.Option(
        False, "--upgrade", help="Re-resolving the lock's own requirements: take the newest "
                                 "versions instead of keeping the locked ones."),
    output: Format = OutputOption,
) -> None:
    """Resolve requirements and all their dependencies; write exact versions and digests."""
    from .. import lockfile, versions
    from ..errors import InputError
    from ..provider import resolve
    from ..requirements import parse_requirement

    settings = settings_of(ctx)
    if check:
        if requirements:
            raise InputError("--check verifies the lock file as it is: give no requirements")
        current = lockfile.read(file)
        location = catalog or _first_source(current)
        lockfile.verify(_open(location, settings), current)
        note(f"{file} is up to date ({_emit_lock(current, output)} entries)")
        return
    prior = None
    cat = None
    if requirements:
        from .common import open_for

        cat, routed = open_for(catalog, list(requirements), settings)  # REPO/NAME picks a repo
        reqs = [parse_requirement(r) for r in routed]
    else:
        prior = lockfile.read(file)
        reqs = list(prior.requirements)
    tekton_text = tekton_version or (prior.tekton_version if prior else None)
    tekton = versions.parse(tekton_text, "--tekton-version") if tekton_text else None
    location = catalog or (_first_source(prior) if prior else None)
    resolution = resolve(cat if cat is not None else _open(location, settings), reqs, tekton,
                         None if upgrade else prior)
    new = lockfile.from_resolution(resolution)
    lockfile.write(new, file)
    note(f"wrote {file} ({_emit_lock(new, output)} entries)")


def _first_source(lock: Any) -> str | None:
    from ..lockfile import catalog_location

    return catalog_location(lock.resolved[0].source) if lock.resolved else None


def why(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="[KIND/]NAME", help="A resource in the lock file."),
    file: Path = FileOption,
    catalog: str | None = typer.Option(
        None, "--catalog", "-c", envvar="CATALOG_SOURCE", metavar="PATH|URL",
        help="Catalog to compare with (to say whether a newer version would do). "
             "Default: the one the lock names."),
    output: Format = OutputOption,
) -> None:
    """Why a resource is in the lock file at its version: who requires it, with which range."""
    from .. import lockfile
    from ..errors import CatalogError

    settings = settings_of(ctx)
    kind, name, _ = split_ref(ref, settings)
    current = lockfile.read(file)
    item = current.find(name, kind)
    newest = None
    try:
        from ..sources import open_catalog

        cat = open_catalog(catalog or lockfile.catalog_location(item.source), settings)
        newest = lockfile.newest_for(cat, current, name, item.kind)
    except CatalogError as exc:
        note(f"note: cannot compare with the catalog: {exc}")
    lines = current.why(name, item.kind, newest)
    data = {
        "kind": item.kind, "name": item.name, "version": item.version,
        "requiredBy": current.to_data()["resolved"][current.resolved.index(item)]["requiredBy"],
        "newest": newest, "explanation": lines,
    }
    emit(data, output, table=lambda: out("\n".join(lines)), names=lambda: [item.name])


def register(app: typer.Typer) -> None:
    app.command()(lock)
    app.command()(why)
