"""``catalog lock`` and ``catalog why``: resolve requirements into catalog.lock, and say why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import CatalogOption, OutputOption, settings_of, split_ref
from ..words import plural
from .output import Format, emit, note, out, print_table

if TYPE_CHECKING:
    from ..lockfile import Lock

FileOption = typer.Option(Path("catalog.lock"), "--file", "-f", help="The lock file.")


def _emit_lock(lock: Lock, output: Format) -> int:
    """Print the locked entries (table, json, yaml or names); return how many."""
    data = lock.to_data()["resolved"]
    rows = []
    for item in data:
        by = ", ".join(b.get("requirement") or f"{b['name']} ({b['range']}{' via ' + b['via'] if b.get('via') else ''})"
                       for b in item["requiredBy"])
        rows.append([item["kind"], item["name"], item["version"], by])
    emit(data, output, names=lambda: [r[1] for r in rows],
         table=lambda: print_table(["kind", "name", "version", "required by"], rows))
    return len(rows)


RequirementsArgument = typer.Argument(
    None, metavar="[KIND/]NAME[@RANGE]...",
    help="What to resolve, e.g. deploy-pipeline@^1.0 'git-clone@>=0.1 <1'; added to the lock file's own "
         "requirements. None: re-lock the requirements already in the lock file.")


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
    replace: bool = typer.Option(
        False, "--replace", help="Start the lock over with only the requirements given (by default they are "
                                 "added to the lock file's, replacing any for the same name)."),
    upgrade: bool = typer.Option(
        False, "--upgrade", help="Re-resolving the lock's own requirements: take the newest "
                                 "versions instead of keeping the locked ones (and pin references again)."),
    bundles: list[str] = typer.Option(
        [], "--bundles", metavar="REGISTRY/REPO",
        help="Also take Pipelines' bundles-resolver references to REGISTRY/REPO/NAME:TAG as dependencies on "
             "the catalog's NAME (repos say theirs with `repo add --bundles`)."),
    output: Format = OutputOption,
) -> None:
    """Resolve requirements and all their dependencies; write exact versions and digests.
    Given a folder (catalog lock .tekton/): lock the task references its files make.

    References a Pipeline makes through a resolver (hub, bundles, git, cluster) into a
    configured repo are dependencies too; every resolver reference is pinned in the
    lock: a bundle to its digest (asked of the registry), a git branch or tag to its
    commit (git ls-remote). Offline, or when a reference names no content (hub,
    cluster), the lock says why it is unpinned."""
    from ..actions import lock as run
    from ..errors import InputError

    if requirements and len(requirements) == 1 and Path(requirements[0]).is_dir():
        from .refs_cmd import lock_tekton  # `catalog lock .tekton/`: the references of a folder

        lock_tekton(ctx, Path(requirements[0]), None if file == FileOption.default else file, output)
        return
    settings = settings_of(ctx)
    if check:
        if requirements:
            raise InputError("--check verifies the lock file as it is: give no requirements")
        current = run.check(file, settings, catalog=catalog, warn=_warn)
        note(f"{file} is up to date ({plural(_emit_lock(current, output), 'entry')})")
        return
    new = run.lock(file, settings, requirements or (), catalog=catalog, tekton_version=tekton_version,
                   upgrade=upgrade, replace=replace, bundles=bundles, warn=_warn)
    note(f"wrote {file} ({plural(_emit_lock(new, output), 'entry')})")
    for e in new.resolved:
        for r in e.references:
            if r.pin is None:
                note(f"note: {e.name} {e.version}: {r.ref.describe()} is unpinned: {r.unpinned}")


def _warn(warning: str) -> None:
    note(f"warning: {warning}")


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
    """Why a resource is in the lock file at its version: who requires it, with which range
    (and through which resolver); for one a locked Pipeline fetches from outside every
    known catalog, who fetches it and how."""
    from ..actions.lock import why as run

    settings = settings_of(ctx)
    kind, name, _ = split_ref(ref, settings)
    found = run(file, name, settings, kind=kind, catalog=catalog)
    if found.catalog_error:
        note(f"note: cannot compare with the catalog: {found.catalog_error}")
    emit(found.to_dict(), output, table=lambda: out("\n".join(found.explanation)),
         names=lambda: [found.entry.name if found.entry else found.name])


def register(app: typer.Typer) -> None:
    app.command()(lock)
    app.command()(why)
