"""``catalog repo add|list|remove|update``: the repos the default catalog is made of."""

from __future__ import annotations

import os
from typing import Any

import typer

from .common import settings_of
from .output import Format, OutputOption, emit, note, print_table

repo_app = typer.Typer(
    help="Catalog repositories: web servers or folders holding a catalog. The default catalog "
         "is every repo in order (first repo with a name wins), then the built-in one; "
         "REPO/NAME picks a repo.",
    no_args_is_help=True,
)


@repo_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A short name, used in REPO/NAME references."),
    url: str = typer.Argument(..., metavar="URL|PATH", help="http(s) URL of the catalog (or its index.yaml), or a folder."),
    priority: int | None = typer.Option(None, "--priority", min=1, help="Position in the order of precedence (1: first). Default: last."),
    token_env: str | None = typer.Option(None, "--token-env", metavar="VAR", help="Send 'Authorization: Bearer $VAR'."),
    username_env: str | None = typer.Option(None, "--username-env", metavar="VAR", help="Basic auth: user name from $VAR."),
    password_env: str | None = typer.Option(None, "--password-env", metavar="VAR", help="Basic auth: password from $VAR."),
    token_stdin: bool = typer.Option(False, "--token-stdin", help="Read a bearer token from stdin and store it in repos.yaml (mode 0600)."),
    force: bool = typer.Option(False, "--force", help="Replace a repo of the same name."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Do not fetch the index now (check nothing)."),
    trust_sensitive_rbac: bool = typer.Option(
        False, "--trust-sensitive-rbac",
        help="Let this repo's rbac.yaml grant rights that amount to escalation (reading Secrets, running pods, "
             "exec) without --allow-sensitive-rbac on each install: only for a repo your own platform team writes."),
) -> None:
    """Add a repo; its index is fetched (and checked) first, so a bad URL adds nothing."""
    import sys

    from .. import repos
    from ..errors import InputError
    from ..urls import redact

    token = None
    if token_stdin:
        if token_env:
            raise InputError("--token-stdin or --token-env, not both")
        token = sys.stdin.readline().strip()
        if not token:
            raise InputError("--token-stdin: no token on standard input")
    auth = repos.Auth(token_env, username_env, password_env, token)
    if auth.kind == "basic" and not (username_env and password_env):
        raise InputError("basic auth needs both --username-env and --password-env")
    settings = settings_of(ctx)
    if "://" not in url:
        url = os.path.expanduser(url)  # the library takes paths as they are
    repo = repos.make(name, url, auth, trust_sensitive_rbac=trust_sensitive_rbac)
    if not no_fetch:
        from ..sources.open import open_repo

        cat = open_repo(repo, settings)
        count = len(cat.names())
    order = repos.add(repo, settings, priority, replace=force)
    where = order.index(repo) + 1
    found = "" if no_fetch else f", {count} resources"
    note(f"added repo {name} ({redact(repo.url) if repo.remote else repo.url}{found}), "
         f"position {where} of {len(order)}")


@repo_app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOption) -> None:
    """The repos in order of precedence, with where their credentials come from."""
    from .. import repos
    from ..sources.repo_cache import read_cache
    from ..urls import redact

    settings = settings_of(ctx)
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(repos.load(settings), 1):
        cached = read_cache(r, settings) if r.remote else None
        rows.append({"priority": i, "name": r.name, "url": redact(r.url) if r.remote else r.url,
                     "auth": r.auth.describe(repos.config_path(settings)), "trust": ["sensitive-rbac"] if r.trust_sensitive_rbac else [],
                     "cached": cached.age if cached else ("-" if not r.remote else "never")})
    rows.append({"priority": len(rows) + 1, "name": repos.BUILTIN, "url": "(shipped with catalog)",
                 "auth": "none", "trust": ["sensitive-rbac"], "cached": "-"})
    emit(rows, output, names=lambda: [str(r["name"]) for r in rows], table=lambda: print_table(
        ["priority", "name", "url", "auth", "trust", "fetched"],
        [[r["priority"], r["name"], r["url"], r["auth"], ",".join(r["trust"]) or "-", r["cached"]] for r in rows]))


@repo_app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="The repo to forget (its cache goes too).")) -> None:
    """Remove a repo from the configuration and delete its cache."""
    from .. import repos
    from ..urls import redact

    repo = repos.remove(name, settings_of(ctx))
    note(f"removed repo {repo.name} ({redact(repo.url) if repo.remote else repo.url})")


@repo_app.command("update")
def update(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, metavar="[NAME]...", help="Repos to update. Default: all."),
    output: Format = OutputOption,
) -> None:
    """Fetch the index of each repo (an unchanged index costs one 304). Exit 5 if any failed."""
    from .. import repos
    from ..sources import remote
    from ..errors import CatalogError, RemoteError
    from ..progress import reporter

    settings = settings_of(ctx)
    chosen = [repos.get(n, settings) for n in names] if names else repos.load(settings)
    remote_repos = [r for r in chosen if r.remote]
    rows, failed = [], []
    overall = reporter().bar("updating repos", len(remote_repos)) if len(remote_repos) > 1 else None
    for r in remote_repos:
        try:
            u = remote.update(r, settings, label=True)
            rows.append({"name": r.name, "status": u.status, "bytes": u.size})
        except CatalogError as exc:
            failed.append(exc)
            rows.append({"name": r.name, "status": f"failed: {exc}", "bytes": None})
        if overall:
            overall.advance()
    if overall:
        overall.close()
    for r in chosen:
        if not r.remote:
            rows.append({"name": r.name, "status": "local folder: nothing to fetch", "bytes": None})
    if not chosen:
        note("no repos configured: `catalog repo add NAME URL` adds one")
    emit(rows, output, names=lambda: [str(r["name"]) for r in rows], table=lambda: print_table(
        ["name", "status", "bytes"], [[r["name"], r["status"], r["bytes"] or ""] for r in rows]))
    if failed:
        raise RemoteError(f"{len(failed)} of {len(remote_repos)} repos could not be updated")


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
