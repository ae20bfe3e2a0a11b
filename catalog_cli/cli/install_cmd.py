"""Installing into namespaces: install, upgrade, rollback, uninstall, status, diff, render."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .cluster_opts import (
    AllNamespacesOption,
    AllowSensitiveOption,
    ContextOption,
    DryRunOption,
    ForceOption,
    KubeconfigOption,
    NamespaceOption,
    Moving,
    TektonVersionOption,
    connect,
    moving_command,
    options,
)
from .common import CatalogOption, OutputOption, open_for, settings_of
from ..words import plural
from .output import Format, acts_on_terminal, emit, note, print_table, safe

if TYPE_CHECKING:
    from ..actions.common import Options, Report
    from ..actions.status import StatusRow
    from ..cluster.base import ObjectRef
    from ..cluster.client import KubeCluster
    from ..settings import Settings
    from ..sources.base import Catalog


def _render_report(report: Report, output: Format) -> None:
    data = report.to_dict()

    def table() -> None:
        if report.packages:
            print_table(["namespace", "name", "kind", "version", "status"],
                        [[p["namespace"], p["name"], p["kind"], p["version"], p["status"]] for p in report.packages])
        written = [c for c in report.changes if c.action != "unchanged"]
        prefix = f"(dry run: {report.dry_run}) nothing written; " if report.dry_run else ""
        spaces = sorted({c.namespace for c in report.changes} | {str(p["namespace"]) for p in report.packages})
        where = f" in namespace{'s' if len(spaces) > 1 else ''} {', '.join(spaces)}" if spaces else ""
        recorded = [p for p in report.packages if p["status"] != "unchanged"]
        if not written and recorded:
            would = "would be" if report.dry_run else "was"
            note(f"{prefix}no object to write{where}; only the install record {would} changed")
        elif not written:
            note(f"{prefix}nothing to do{where}: everything is already as asked")
        else:
            counts: dict[str, int] = {}
            for c in written:
                counts[c.action] = counts.get(c.action, 0) + 1
            objects = plural(len(written), "object")
            if report.dry_run:
                todo = ", ".join(f"{a} {n}" for a, n in sorted(counts.items()))
                note(f"{prefix}{objects} would change{where}: {todo}")
            else:
                past = {"create": "created", "update": "updated", "adopt": "adopted", "delete": "deleted"}
                done = ", ".join(f"{n} {past.get(a, a)}" for a, n in sorted(counts.items()))
                note(f"{objects} changed{where}: {done}")
    _render_grants(report)
    for n in report.notes:
        note(n)
    emit(data, output, table=table, names=lambda: [f"{c.kind.lower()}/{c.name}" for c in report.changes])


def _render_grants(report: Report) -> None:
    """What each ServiceAccount is (or would be) granted, on stderr: the user's consent
    is only worth something if they can see what it was given to."""
    from ..actions.consent import rule_text, sensitive

    verb = "would be granted" if report.dry_run else "granted"
    for g in report.grants:
        note(f"ServiceAccount {g.service_account} in {g.namespace} ({g.package} from {g.source}) {verb}:")
        for rule in g.rules:
            why = sensitive(rule)
            note(f"  {rule_text(rule)}" + (f"   ! {'; '.join(why)}" if why else ""))
        if not g.rules:
            note("  nothing (no rbac.yaml)")
    for r in report.risks:
        note(f"{r.kind} {r.package} in {r.namespace} ({r.source}) runs with: {', '.join(r.reasons)}   !")


@contextmanager
def write_progress(namespaces: int) -> Iterator[Callable[[ObjectRef, str], None]]:
    """An ``on_write`` callback driving a progress bar of objects written (stderr, terminals only)."""
    from ..progress import reporter

    bar = reporter().bar(f"writing to {plural(namespaces, 'namespace')}", None)
    try:
        yield lambda ref, what: bar.advance()
    finally:
        bar.close()


def install(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(
        None, metavar="[REPO/]NAME[@RANGE]...",
        help="What to install, e.g. kubectl-deploy@^0.2, team/git-clone, or a bundle oci://REGISTRY/REPO/NAME:TAG."),
    bundle: str | None = typer.Option(
        None, "--bundle", metavar="REF", help="Install the resources of this Tekton bundle (REGISTRY/REPO:TAG)."),
    insecure: bool = typer.Option(False, "--insecure", help="With a bundle: plain HTTP to a registry not on loopback."),
    trust_key: list[Path] = typer.Option(
        [], "--trust-key", metavar="FILE",
        help="With a bundle: install it only with a cosign signature of its digest by this public key "
             "(repeatable). Bundles under a repo's --bundles base need one by that repo's keys anyway."),
    locked: str | None = typer.Option(
        None, "--locked", metavar="FILE",
        help="Install exactly what lock FILE (e.g. catalog.lock) names; refuse changed digests."),
    namespace: list[str] = NamespaceOption,
    dry_run: str | None = DryRunOption,
    force: bool = ForceOption,
    adopt: bool = typer.Option(False, "--adopt", help="Take over objects another tool (e.g. tkn hub) made."),
    create_namespace: bool = typer.Option(
        False, "--create-namespace", help="Create the namespace when it does not exist (kept should the install fail)."),
    allow_sensitive_rbac: bool = AllowSensitiveOption,
    tekton_version: str | None = TektonVersionOption,
    catalog: str | None = CatalogOption,
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """Install Tasks (and what they depend on) with their ServiceAccount, Role and RoleBinding."""
    from ..actions.install import install as run

    settings = settings_of(ctx)
    lock = None
    if locked:
        from ..lockfile import read

        lock = read(Path(locked))
    bundles = [r for r in refs or [] if r.startswith("oci://")] + ([bundle] if bundle else [])
    cat: Catalog
    if bundles:
        from ..errors import InputError
        from ..sources.bundle import open_bundle

        if len(bundles) > 1 or len(refs or []) > len(bundles) - (1 if bundle else 0) or locked:
            raise InputError("a bundle is installed on its own: one oci:// reference (or --bundle), "
                             "no other names, no --locked")
        from .sign_cmd import public_keys

        trusted = public_keys(trust_key, "--trust-key") if trust_key else []
        opened, refs = open_bundle(bundles[0], settings, insecure=insecure, trusted=trusted,
                                   trusted_as="--trust-key")
        if opened.signer:
            note(f"{opened.location}: signed by {opened.signer}")
        cat = opened
    else:
        if trust_key:
            from ..errors import InputError

            raise InputError("--trust-key is for a bundle (oci://...); a repo's keys are given once, with "
                             "`catalog repo add NAME URL --trust-key FILE`")
        cat, refs = open_for(catalog, refs or [], settings)
        from ..actions.packages import refuse_templates

        refuse_templates(cat, refs)
    cluster = connect(kubeconfig, context)
    opts = options(cluster, namespace, settings, dry_run=dry_run, force=force, adopt=adopt, tekton_version=tekton_version,
                   allow_sensitive_rbac=allow_sensitive_rbac, create_namespace=create_namespace)
    with write_progress(len(opts.namespaces)) as on_write:
        report = run(cat, cluster, refs, opts, on_write=on_write, locked=lock)
    _render_report(report, output)


@moving_command
def upgrade(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(None, metavar="[NAME[@RANGE]]...", help="Installed entries to upgrade."),
    all_: bool = typer.Option(False, "--all", help="Upgrade everything catalog installed."),
    moving: Moving | None = None,
) -> None:
    """Upgrade installed entries to the newest version their range and the cluster allow."""
    from ..actions.upgrade import upgrade as run
    from ..errors import InputError

    assert moving is not None
    if not refs and not all_:
        raise InputError("name what to upgrade, or use --all")
    settings = settings_of(ctx)
    cat, refs = open_for(moving.catalog, refs or [], settings)
    cluster, opts = _moving_options(moving, settings)
    _render_report(run(cat, cluster, refs, opts, all_=all_, from_=moving.from_), moving.output)


@moving_command
def rollback(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="NAME", help="Installed entry to roll back."),
    to: str | None = typer.Option(None, "--to", help="Version to go back to. Default: the one before."),
    moving: Moving | None = None,
) -> None:
    """Put an installed entry back to its previous version (or --to VERSION)."""
    from ..actions.upgrade import rollback as run
    from ..sources import open_catalog

    assert moving is not None
    settings = settings_of(ctx)
    cat = open_catalog(moving.catalog, settings)
    cluster, opts = _moving_options(moving, settings)
    _render_report(run(cat, cluster, ref, opts, to=to, from_=moving.from_), moving.output)


def _moving_options(moving: Moving, settings: Settings) -> tuple[KubeCluster, Options]:
    cluster = connect(moving.kubeconfig, moving.context)
    return cluster, options(cluster, moving.namespace, settings, dry_run=moving.dry_run, force=moving.force,
                            tekton_version=moving.tekton_version, allow_sensitive_rbac=moving.allow_sensitive_rbac)


def uninstall(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., metavar="NAME...", help="Installed entries to remove."),
    namespace: list[str] = NamespaceOption,
    dry_run: str | None = DryRunOption,
    force: bool = typer.Option(False, "--force", help="Remove objects someone edited since catalog installed them."),
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """Remove what catalog installed for these entries (and dependencies nothing else needs)."""
    from ..actions.uninstall import uninstall as run

    cluster = connect(kubeconfig, context)
    opts = options(cluster, namespace, settings_of(ctx), dry_run=dry_run, force=force)
    _render_report(run(None, cluster, refs, opts), output)


def status(
    ctx: typer.Context,
    namespace: list[str] = NamespaceOption,
    all_namespaces: bool = AllNamespacesOption,
    catalog: str | None = CatalogOption,
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """What catalog installed in each namespace: version, newest available, drift."""
    show_installed(namespace, catalog, context, kubeconfig, output, settings_of(ctx), all_namespaces)


def _newest(row: StatusRow) -> str:
    """The newest version, and what ``upgrade`` would move to (only what its range allows)."""
    up = row["upgradable"]
    if not up:
        return row["newest"]
    return f"{row['newest']} (upgrade)" if up == row["newest"] else f"{row['newest']} (upgrade to {up})"


def show_installed(namespace: list[str], catalog: str | None, context: str | None,
                   kubeconfig: str | None, output: Format, settings: Settings, all_namespaces: bool = False) -> None:
    from ..actions.status import installed_namespaces
    from ..actions.status import status as run
    from ..errors import InputError
    from ..sources import open_catalog

    if all_namespaces and namespace:
        raise InputError("-A (--all-namespaces) and -n (--namespace) say different things: give one")
    cat = open_catalog(catalog, settings)
    cluster = connect(kubeconfig, context)
    found = installed_namespaces(cluster) if all_namespaces else namespace
    if all_namespaces and not found:
        rows: list[StatusRow] = []
    else:
        result = run(cat, cluster, options(cluster, found, settings))
        rows = result.rows
        for n in result.notes:
            note(n)

    def table() -> None:
        print_table(["namespace", "name", "kind", "version", "source", "newest", "managed by", "drift"], [
            [r["namespace"], r["name"], r["kind"], r["version"], r["source"] or "-", _newest(r) or "-",
             r["managedBy"], "; ".join(r["drift"]) or "none"] for r in rows])
        if not rows:
            note("nothing installed by catalog in any namespace" if all_namespaces else
                 f"nothing installed by catalog in {', '.join(found) or cluster.default_namespace}")
    emit(rows, output, table=table, names=lambda: [r["name"] for r in rows])


def history(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="[KIND/]NAME", help="Installed (or once installed) entry."),
    namespace: list[str] = NamespaceOption,
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """The revisions of an entry in each namespace: when, what, which version, and who."""
    from ..actions.history import history as run

    settings = settings_of(ctx)
    cluster = connect(kubeconfig, context)
    result = run(cluster, ref, options(cluster, namespace, settings))
    for n in result.notes:
        note(n)
    rows = result.rows

    def table() -> None:
        print_table(["namespace", "revision", "updated", "action", "version", "by"], [
            [r["namespace"], r["revision"], r["updated"], r["action"], r["version"] or "(removed)",
             r["user"] or "-"] for r in rows])
    emit(rows, output, table=table, names=lambda: [str(r["revision"]) for r in rows])


def diff(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., metavar="NAME[@RANGE]...",
                                     help="Installed entries (compared with their installed version), or what "
                                          "install NAME@RANGE would apply."),
    namespace: list[str] = NamespaceOption,
    tekton_version: str | None = TektonVersionOption,
    catalog: str | None = CatalogOption,
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = OutputOption,
) -> None:
    """Show how the live objects differ from what catalog installed (or would); exit 1 when they do."""
    from ..actions.diff import diff as run

    settings = settings_of(ctx)
    cat, refs = open_for(catalog, refs, settings)
    cluster = connect(kubeconfig, context)
    result = run(cat, cluster, refs, options(cluster, namespace, settings, tekton_version=tekton_version))
    for n in result.notes:
        note(n)

    def table() -> None:
        for item in result.differences:
            print(safe(item["diff"]), end="")
        if not result.differs:
            note("no differences")
    emit(result.differences, output, table=table,
         names=lambda: [d["object"] for d in result.differences if d["state"] != "same"])
    if result.differs:
        raise typer.Exit(1)


def render(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(None, metavar="NAME[@RANGE]...",
                                     help="What to render (with --locked: default, what the lock file names)."),
    namespace: str = typer.Option("default", "--namespace", "-n", help="Namespace to render for."),
    tekton_version: str | None = TektonVersionOption,
    catalog: str | None = CatalogOption,
    bundles: str | None = typer.Option(
        None, "--bundles", metavar="REGISTRY/REPO",
        help="Pipelines refer to their Tasks as Tekton bundles REGISTRY/REPO/NAME:VERSION (bundles resolver) "
             "instead of by name; those Tasks are then not rendered (see `catalog publish --oci`). Every "
             "bundle reference is pinned by digest, from --locked or the registry (unpinned ones are noted)."),
    locked: str | None = typer.Option(
        None, "--locked", metavar="FILE", help="Render exactly the versions of this lock file, with its pins."),
    output: Format = typer.Option(Format.yaml, "--output", "-o", case_sensitive=False,
                                  help="yaml (default; scripts as | blocks), json (a List), name or table."),
) -> None:
    """Print the objects install would apply, for GitOps; no cluster needed."""
    from ..actions.render import render as run
    from ..repos import known

    settings = settings_of(ctx)
    lock = None
    if locked:
        from ..lockfile import read

        lock = read(Path(locked))
        refs = refs or [str(r) for r in lock.requirements]
    if not refs:
        from ..errors import InputError

        raise InputError("name what to render (NAME[@RANGE]...), or use --locked")
    cat, refs = open_for(catalog, refs, settings)
    objs = run(cat, refs, namespace, tekton_version, known=known(settings, (bundles,) if bundles else ()),
               locked=lock)
    if bundles:
        from ..actions.render import with_bundles
        from ..pins import RemotePinner
        from ..requirements import parse_requirement

        done = with_bundles(objs, bundles, frozenset(parse_requirement(r).name for r in refs), locked=lock,
                            pinner=None if settings.offline else RemotePinner(settings))
        objs = done.objects
        for line in done.unpinned:
            note(f"note: {line}")
    _print_objects(objs, output)


def _print_objects(objs: list[dict[str, Any]], output: Format) -> None:
    """Objects as kubectl prints them: YAML documents (scripts as ``|`` blocks), a JSON
    List, ``kind.group/name`` lines, or a table."""
    import sys

    from ..yamlio import dump
    from .output import to_json

    def resource(o: dict[str, Any]) -> str:
        group = str(o.get("apiVersion", "")).rpartition("/")[0]
        return f"{str(o.get('kind', '')).lower()}{'.' + group if group else ''}/{o['metadata']['name']}"

    if output is Format.json:
        sys.stdout.write(to_json({"apiVersion": "v1", "kind": "List", "items": objs}, indent=2) + "\n")
    elif output is Format.name:
        sys.stdout.write("".join(f"{safe(resource(o))}\n" for o in objs))
    elif output is Format.table:
        print_table(["kind", "name", "namespace", "apiVersion"],
                    [[o.get("kind"), o["metadata"].get("name"), o["metadata"].get("namespace", ""),
                      o.get("apiVersion")] for o in objs])
    else:
        text = "".join(f"---\n{dump(o, literal_blocks=True)}" for o in objs)
        if acts_on_terminal(text):  # then every non-ASCII character is written escaped
            text = "".join(f"---\n{dump(o, literal_blocks=True, ascii_only=True)}" for o in objs)
        sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    for command in (install, upgrade, rollback, uninstall, status, history, diff, render):
        app.command()(command)
