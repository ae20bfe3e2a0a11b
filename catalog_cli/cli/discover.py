"""Discovery: list, search, info, versions."""

from __future__ import annotations

from typing import Any

import typer

from . import listing
from .common import CatalogOption, OutputOption, settings_of, split_ref
from .listing import opened as _open
from .output import Format, emit, out, print_table


def list_(
    ctx: typer.Context,
    catalog: str | None = CatalogOption,
    kind: str | None = typer.Option(None, "--kind", help="Only this kind (Task, Pipeline, StepAction)."),
    installed: bool = typer.Option(False, "--installed", help="What catalog installed in the cluster (as status)."),
    namespace: list[str] = typer.Option([], "--namespace", "-n", help="With --installed: namespaces to look in."),
    all_namespaces: bool = typer.Option(False, "--all-namespaces", "-A",
                                        help="With --installed: every namespace catalog installed into."),
    context: str | None = typer.Option(None, "--context", help="With --installed: kubeconfig context."),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", envvar="KUBECONFIG", help="With --installed."),
    output: Format = OutputOption,
) -> None:
    """List every resource in the catalog with its versions, newest first."""
    if all_namespaces and not installed:
        from ..errors import InputError

        raise InputError("-A (--all-namespaces) goes with --installed: the catalog has no namespaces")
    if installed:
        from .install_cmd import show_installed

        show_installed(namespace, catalog, context, kubeconfig, output, settings_of(ctx), all_namespaces)
        return
    cat = _open(catalog, settings_of(ctx))
    listing.show(cat, cat.search("", kind=kind), output)


def search(
    ctx: typer.Context,
    term: str = typer.Argument("", help="Matched against name, display name, description, tags and categories."),
    category: str | None = typer.Option(None, "--category", help="Only resources in this category."),
    tag: str | None = typer.Option(None, "--tag", help="Only resources with this tag."),
    platform: str | None = typer.Option(None, "--platform", help="Only resources for this platform, e.g. linux/arm64."),
    kind: str | None = typer.Option(None, "--kind", help="Only this kind (Task, Pipeline, StepAction)."),
    catalog: str | None = CatalogOption,
    output: Format = OutputOption,
) -> None:
    """Search the catalog. Exits 1 when nothing matches."""
    # The quick path (cli/quick.py) runs the same function, without Typer.
    code = listing.search(settings_of(ctx), catalog, term, category=category, tag=tag, platform=platform,
                          kind=kind, output=output)
    if code:
        raise typer.Exit(code)


def versions(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="[KIND/]NAME", help="Resource name."),
    catalog: str | None = CatalogOption,
    output: Format = OutputOption,
) -> None:
    """Every version of a resource, newest first."""
    settings = settings_of(ctx)
    kind, name, _ = split_ref(ref, settings)
    items = _open(catalog, settings).versions(name, kind)
    data = [{"version": e.version, "minPipelinesVersion": e.min_pipelines_version,
             "deprecated": e.deprecated, "digest": e.digest} for e in items]
    emit(data, output, names=lambda: [e.version for e in items], table=lambda: print_table(
        ["version", "min pipelines", "deprecated", "digest"],
        [[e.version, e.min_pipelines_version or "", "yes" if e.deprecated else "", e.digest[:19]] for e in items],
    ))


def info(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="[KIND/]NAME[@VERSION]", help="Resource, optionally at a version."),
    catalog: str | None = CatalogOption,
    output: Format = OutputOption,
) -> None:
    """Everything about one version of a resource: interface, RBAC, dependencies, versions."""
    from ..actions.discover import info as run

    from ..repos import known

    settings = settings_of(ctx)
    cat = _open(catalog, settings)
    kind, name, version = split_ref(ref, settings)
    data = run(cat, name, version, kind, known(settings))
    emit(data, output, names=lambda: [f"{data['name']}@{data['version']}"], table=lambda: _info_text(data))


def _rules(rules: list[dict[str, Any]], indent: str = "  ") -> None:
    for r in rules:
        groups = ",".join(g or '""' for g in r.get("apiGroups") or [])
        out(f"{indent}{groups} {','.join(r.get('resources') or [])}: {','.join(r.get('verbs') or [])}")


def _generated_rbac(d: dict[str, Any]) -> None:
    """What a template's scaffold grants: its Roles per variant, for a service named example."""
    if d.get("generatedRbacError"):
        out(f"\nRBAC it generates: not shown ({d['generatedRbacError']})")
        return
    if not d["generatedRbac"]:
        out("\nRBAC it generates: none")
        return
    out("\nRBAC it generates (for a service named example):")
    for role in d["generatedRbac"]:
        bound = f", bound to {', '.join(role['boundTo'])}" if role["boundTo"] else ""
        out(f"  {role['kind']} {role['name']} in {role['file']} ({role['variant']}{bound}):")
        _rules(role["rules"], "    ")
        if not role["rules"]:
            out("    (no rules)")


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _info_text(d: dict[str, Any]) -> None:
    import json

    lines = [f"{d['name']} {d['version']}  ({d['kind']}{', deprecated' if d['deprecated'] else ''})"]
    if d["displayName"]:
        lines.append(d["displayName"])
    lines += ["", d["description"], ""]
    lines.append(f"Repo:         {d['repo']}")
    if d.get("signedBy"):
        what = "its bundle's cosign signature" if str(d["repo"]).startswith("oci://") else f"the index of repo {d['repo']}"
        lines.append(f"Signed by:    {d['signedBy']} ({what})")
    else:
        lines.append("Signed by:    - (not signed, or signatures not required)")
    lines.append(f"Versions:     {', '.join(d['versions'])}")
    lines.append(f"Categories:   {', '.join(d['categories']) or '-'}")
    lines.append(f"Tags:         {', '.join(d['tags']) or '-'}")
    lines.append(f"Platforms:    {', '.join(d['platforms']) or '-'}")
    lines.append(f"Min Tekton:   {d['minPipelinesVersion'] or '-'}")
    lines.append(f"Digest:       {d['digest']}")
    out("\n".join(lines))
    if d["params"]:
        out("\nParams:")
        print_table(["name", "type", "default", "description"], [
            [p["name"], p["type"], _short(json.dumps(p["default"])) if "default" in p else "(required)",
             p["description"]]
            for p in d["params"]])
    for title, key in (("Workspaces", "workspaces"), ("Results", "results")):
        if d[key]:
            out(f"\n{title}:")
            rows = [[w["name"] + (" (optional)" if w.get("optional") else ""), w["description"]] for w in d[key]]
            print_table(["name", "description"], rows)
    if "generatedRbac" in d:
        _generated_rbac(d)
    else:
        out("\nRBAC (rbac.yaml):" if d["rbac"] else "\nRBAC: none (does not call the Kubernetes API)")
        _rules(d["rbac"])
    out("\nDependencies:" + ("" if d["dependencies"] else " none"))
    for dep in d["dependencies"]:
        line = f"  {dep.get('kind', '') + '/' if dep.get('kind') else ''}{dep['name']} {dep['range']}"
        if dep.get("via"):
            line += f"  via {dep['reference']}"
            line += f"; external: {dep['external']}" if dep["external"] else ""
        out(line)
    if d["mismatches"]:
        out("\nThe index and the files disagree (install refuses this entry):")
        for line in d["mismatches"]:
            out(f"  {line}")


def register(app: typer.Typer) -> None:
    app.command("list")(list_)
    app.command()(search)
    app.command()(info)
    app.command()(versions)
