"""``catalog refs``, ``outdated``, ``update`` and ``trust export``: the task references
of a service's ``.tekton/``, kept pinned and current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import CatalogOption, OutputOption, settings_of
from .output import Format, emit, note, out, print_table

if TYPE_CHECKING:
    from ..tekton_refs.lookup import Status

PathArgument = typer.Argument(Path(".tekton"), metavar="[PATH]",
                              help="A .tekton/ folder (walked for *.yaml and *.yml) or one file.")
BundlesOption = typer.Option(
    [], "--bundles", metavar="REGISTRY/REPO",
    help="Also take bundles-resolver references to REGISTRY/REPO/NAME:TAG as the catalog's NAME "
         "(repos say theirs with `repo add --bundles`).")


def plural(count: int, noun: str) -> str:
    from ..words import plural as words_plural

    return words_plural(count, noun)


def _known(s: Status) -> str:
    if s.external:
        return f"external: {s.external}"
    return s.repo or "catalog"


def _table(statuses: list[Status]) -> None:
    rows = [[f"{s.ref.file}:{s.ref.line}", s.ref.task or s.ref.resource, f"{s.ref.kind}/{s.ref.name}",
             s.ref.ref.resolver if hasattr(s.ref.ref, "resolver") else "name",
             s.version or "-", "yes" if s.pin else "no", s.allowed.version if s.allowed else "-", _known(s)]
            for s in statuses]
    print_table(["where", "task", "reference", "via", "version", "pinned", "newest allowed", "known by"], rows)


def refs(
    ctx: typer.Context,
    path: Path = PathArgument,
    catalog: str | None = CatalogOption,
    bundles: list[str] = BundlesOption,
    output: Format = OutputOption,
) -> None:
    """Every task, pipeline and StepAction reference under PATH: where it points, the version
    it pins, whether it is pinned immutably (a digest or a commit), which configured catalog
    knows it, and the newest version allowed (catalog.yaml's range beside .tekton/, else the
    same major)."""
    from ..tekton_refs.verbs import refs as run

    found = run(path, settings_of(ctx), catalog=catalog, bundles=bundles)
    emit([s.to_dict() for s in found], output, table=lambda: _table(found),
         names=lambda: [f"{s.ref.kind.lower()}/{s.ref.name}" for s in found])


def outdated(
    ctx: typer.Context,
    path: Path = PathArgument,
    catalog: str | None = CatalogOption,
    bundles: list[str] = BundlesOption,
    output: Format = OutputOption,
) -> None:
    """References with a newer version: current -> newest allowed -> newest, with what
    changed between them (params, workspaces and results added, removed or retyped; the
    catalog's changelog). Exits 1 when a newer version is allowed (update would move
    something), for CI."""
    from ..tekton_refs.verbs import outdated as run

    found = run(path, settings_of(ctx), catalog=catalog, bundles=bundles)

    def table() -> None:
        if not found:
            out("every reference is at the newest version allowed")
            return
        for o in found:
            s = o.status
            allowed = s.allowed.version if s.allowed else "-"
            newest = s.newest.version if s.newest else "-"
            out(f"{s.ref.file}:{s.ref.line}  {s.ref.task or s.ref.resource}  {s.ref.kind}/{s.ref.name}  "
                f"{s.version} -> {allowed} (newest {newest}, range {s.range})")
            for line in o.interface:
                out(f"    {line}")
            for version, lines in o.changes:
                if lines:
                    out(f"    changes in {version}:")
                    out("\n".join(f"      {ln}" for ln in lines))

    emit([o.to_dict() for o in found], output, table=table,
         names=lambda: [f"{o.status.ref.kind.lower()}/{o.status.ref.name}" for o in found])
    if any(o.status.outdated for o in found):
        raise typer.Exit(1)


def update(
    ctx: typer.Context,
    path: Path = PathArgument,
    names: list[str] | None = typer.Argument(None, metavar="[NAME]...",
                                             help="Move only the references to these names."),
    to: list[str] = typer.Option([], "--to", metavar="NAME@VERSION",
                                 help="Move NAME to exactly this version (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write nothing; print the diff."),
    locked: bool = typer.Option(
        False, "--locked", help="First check that every tag the lock (catalog lock .tekton/) records still "
                                "names the locked digest or commit; refuse if one was re-pushed or moved."),
    lock_file: Path | None = typer.Option(None, "--lock-file", metavar="FILE",
                                          help="The lock --locked reads. Default: catalog-refs.lock beside PATH."),
    catalog: str | None = CatalogOption,
    bundles: list[str] = BundlesOption,
    output: Format = OutputOption,
) -> None:
    """Move references to the newest version allowed (catalog.yaml's ranges, else the same
    major), pinned to a digest (bundles) or a commit (git), applying the catalog's
    migrations to the pipelines that use them. Only the lines that change are touched:
    comments, key order, quoting and indentation stay as written."""
    from ..tekton_refs.verbs import update as run

    path, names = _path_and_names(path, names or [])
    done = run(path, settings_of(ctx), names, to=to, dry_run=dry_run, catalog=catalog, bundles=bundles,
               locked=locked, lock_file=lock_file)

    def table() -> None:
        if dry_run:
            sys.stdout.write(done.diff())
        for line in done.rewrites:
            note(line)
        for m in done.moves:
            f = m.status.ref
            target = m.target.name if m.target.name != f.name else ""
            note(f"{f.file}:{f.line}: {f.task or f.resource}: {f.name} {m.status.version or '(unknown)'} -> "
                 f"{target + ' ' if target else ''}{m.target.version}"
                 + "".join(f"\n    {op}" for op in m.operations))
        if not done.moves and not done.rewrites:
            note("nothing to update")
        elif not dry_run:
            note(f"updated {plural(len(done.edits), 'file')}")

    emit(done.to_dict() | ({"diff": done.diff()} if dry_run else {}), output, table=table,
         names=lambda: [e.path for e in done.edits])


def _path_and_names(path: Path, names: list[str]) -> tuple[Path, list[str]]:
    """``update git-clone``: a first argument that is no file or folder but a name is a
    NAME, the PATH being the default .tekton/."""
    from ..refs import NAME

    if not path.exists() and NAME.match(str(path)):
        return Path(".tekton"), [str(path), *names]
    return path, names


def lock_tekton(ctx: typer.Context, path: Path, file: Path | None, output: Format) -> None:
    """``catalog lock .tekton/`` (called by ``lock`` when given a folder)."""
    from ..tekton_refs.verbs import lock as run

    written, items = run(path, settings_of(ctx), file=file)
    rows = [[i.ref.kind, i.ref.name, i.ref.resolver, i.version or "-", i.tag or "-", i.pin or f"unpinned: {i.unpinned}"]
            for i in items]
    emit([i.to_data() for i in items], output, names=lambda: [r[1] for r in rows],
         table=lambda: print_table(["kind", "name", "via", "version", "tag", "pinned to"], rows))
    note(f"wrote {written} ({plural(len(items), 'reference')})")


trust_app = typer.Typer(help="What a policy engine should trust: the catalogs you do.", no_args_is_help=True)


@trust_app.command("export")
def trust_export(
    ctx: typer.Context,
    path: Path | None = typer.Argument(None, metavar="[PATH]",
                                       help="A .tekton/ folder whose catalog.yaml ranges limit the versions."),
    fmt: str = typer.Option("conforma", "--format", help="conforma: Conforma's trusted_task_rules."),
    repo: list[str] = typer.Option([], "--repo", metavar="NAME",
                                   help="Only this configured repo (repeatable). Default: every repo with "
                                        "--bundles or --git."),
    effective_on: str | None = typer.Option(None, "--effective-on", metavar="DATE",
                                            help="When the rules take effect (a date or an RFC 3339 time). "
                                                 "Default: now."),
    output: Format = typer.Option(Format.yaml, "--output", "-o", help="yaml or json.", case_sensitive=False),
) -> None:
    """The trusted-task data Conforma (Enterprise Contract) reads: for every Task and
    StepAction of the trusted repos, an allow rule for their bundles and git paths, with
    the versions allowed and when the rule takes effect."""
    from ..tekton_refs.verbs import trust_export as run

    data = run(settings_of(ctx), fmt=fmt, names=repo, effective_on=effective_on, root=path)
    emit(data, output if output is not Format.table else Format.yaml)


def register(app: typer.Typer) -> None:
    app.command()(refs)
    app.command()(outdated)
    app.command()(update)
    app.add_typer(trust_app, name="trust")
