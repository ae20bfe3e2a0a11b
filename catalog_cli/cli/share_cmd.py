"""Sharing: ``publish --oci``, ``mirror export|import`` and ``bump``."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import CatalogOption, OutputOption, settings_of
from ..words import plural
from .output import Format, emit, note, out, print_table

mirror_app = typer.Typer(
    help="Move a catalog to an air-gapped site: one archive with the index, its files and "
         "the list of step images.",
    no_args_is_help=True,
)


def publish(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, metavar="[NAME]...", help="What to publish. Default: everything."),
    oci: str = typer.Option(..., "--oci", metavar="REGISTRY/REPO",
                            help="Push each resource as a Tekton bundle REGISTRY/REPO/NAME:VERSION."),
    all_versions: bool = typer.Option(False, "--all-versions", help="Every version, not only the newest."),
    insecure: bool = typer.Option(False, "--insecure", help="Plain HTTP to a registry that is not on loopback."),
    sign: str | None = typer.Option(
        None, "--sign", metavar="KEY",
        help="Sign each bundle as `cosign sign --key` does (under its sha256-<hex>.sig tag) with KEY: a private key "
             "file, or env://VAR; its passphrase from $CATALOG_SIGNING_PASSWORD."),
    catalog: str | None = CatalogOption,
    output: Format = OutputOption,
) -> None:
    """Push Tasks, Pipelines and StepActions to an OCI registry as Tekton bundles (for the
    bundles resolver). Templates are not Tekton resources: publish them as a catalog."""
    from ..actions.share import publish as run

    key = None
    if sign:
        from .sign_cmd import private_key

        key = private_key(ctx, sign)  # read before anything is pushed
    published = run(oci, names or [], settings_of(ctx), catalog=catalog, all_versions=all_versions,
                    insecure=insecure, sign=key)
    rows = [{"name": p.name, "kind": p.kind, "version": p.version, "bundle": p.ref, "digest": p.digest,
             "signature": p.signature, "signedBy": p.signed_by} for p in published.pushed]
    emit(rows, output, names=lambda: [f"{r['bundle']}@{r['digest']}" for r in rows], table=lambda: print_table(
        ["name", "version", "bundle", "digest"], [[r["name"], r["version"], r["bundle"], r["digest"]] for r in rows]))
    note(f"pushed {plural(len(rows), 'bundle')} to {oci}")
    if key is not None:
        note(f"signed {plural(len(rows), 'bundle')} with {key.keyid} (cosign's format, tags sha256-<hex>.sig)")
    if published.note:
        note(published.note)


def _output_format(value: str) -> str:
    """``-o`` of ``mirror export``: a format, as everywhere. It named the archive before
    ``--file`` did, so a path here gets a pointer to ``--file`` rather than a list of
    formats (checked as the line is parsed, before a missing --file is reported)."""
    from ..errors import InputError

    try:
        return Format(value.lower()).value
    except ValueError:
        raise InputError(f"{value!r} is not an output format ({', '.join(f.value for f in Format)}); "
                         "the archive is given with --file/-f", "-o/--output") from None


@mirror_app.command("export")
def mirror_export(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, metavar="[NAME]...", help="What to mirror (with its dependencies). Default: everything."),
    file: Path = typer.Option(..., "--file", "-f", metavar="PATH", help="The archive to write (.tar.gz)."),
    catalog: str | None = CatalogOption,
    output: str = typer.Option("table", "--output", "-o", metavar="table|json|yaml|name", callback=_output_format,
                               help="Output format of what was written (the archive itself is --file)."),
) -> None:
    """Write one archive: index.yaml, the files it names, and images.txt (every step image)."""
    from ..actions.share import export

    fmt = Format(output)
    result = export(names or [], file, settings_of(ctx), catalog=catalog)
    data = {"archive": str(file), "versions": result.entries, "files": result.files,
            "images": list(result.images), "warnings": list(result.warnings)}
    emit(data, fmt, names=lambda: [str(file)], table=lambda: None)
    for w in result.warnings:
        note(f"warning: {w}")
    note(f"wrote {file} ({plural(result.entries, 'version')}, {plural(result.files, 'file')}, "
         f"{plural(len(result.images), 'image')})")


@mirror_app.command("import")
def mirror_import(
    ctx: typer.Context,
    archive: Path = typer.Argument(..., help="An archive written by `catalog mirror export`."),
    dest: Path = typer.Argument(..., help="Folder to unpack into (must not exist, or be empty)."),
    name: str | None = typer.Option(None, "--name", help="Repo name to add it as. Default: the folder's name."),
    no_add: bool = typer.Option(False, "--no-add", help="Only unpack; do not add a repo."),
) -> None:
    """Unpack a mirror archive safely, check every file's digest, and add it as a local repo."""
    from ..actions.share import import_

    done = import_(archive, dest, settings_of(ctx), name=name, add=not no_add)
    result = done.unpacked
    note(f"unpacked {plural(result.entries, 'version')} ({plural(result.files, 'file')}) into {result.path}")
    if result.images:
        note(f"{plural(len(result.images), 'image')} to copy into the site's registry: {result.path / 'images.txt'}")
    if done.repo is None:
        note(f"use it with --catalog {result.path}, or `catalog repo add NAME {result.path}`")
        return
    note(f"added repo {done.repo}")


def bump(
    ref: str = typer.Argument(..., metavar="[KIND/]NAME", help="The resource to bump."),
    path: Path = typer.Argument(Path("."), help="Catalog folder."),
    major: bool = typer.Option(False, "--major"),
    minor: bool = typer.Option(False, "--minor"),
    patch: bool = typer.Option(False, "--patch"),
    output: Format = OutputOption,
) -> None:
    """Start a new version: copy the newest version folder and rewrite its version label."""
    from ..bump import bump as run
    from ..errors import InputError

    parts = [p for p, on in (("major", major), ("minor", minor), ("patch", patch)) if on]
    if len(parts) != 1:
        raise InputError("give one of --major, --minor, --patch")
    b = run(path, ref, parts[0])
    data = {"name": b.name, "kind": b.kind, "from": b.old, "to": b.new, "folder": str(b.folder)}
    emit(data, output, names=lambda: [str(b.folder)], table=lambda: out(f"{b.name} {b.old} -> {b.new}: {b.folder}"))
    if not b.label_rewritten:
        note(f"warning: no app.kubernetes.io/version label in {b.name}.yaml; add one saying {b.new!r}")
    note("now edit it, then run `catalog index` to add it to index.yaml")


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.add_typer(mirror_app, name="mirror")
    app.command()(bump)
